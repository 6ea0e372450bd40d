import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Request } from 'express';
import { formatBitRate, formatBytes, formatMinutes, formatUptime, formatUsage } from '../../src/format/units.js';
import { adminCredentials } from '../../src/http/admin/admin-credentials.js';
import { safeReturnPath, SESSION_MAX_AGE_MS, SessionGuard } from '../../src/http/admin/admin-session.js';
import { dailyChart } from '../../src/http/admin/daily-chart.js';
import { hashPassword, parsePasswordHash, verifyPasswordHash } from '../../src/http/admin/password-hash.js';

const admin = { user: 'ops', password: 'correct horse battery', passwordHash: null, sessionSecret: null };

describe('admin sessions', () => {
  it('expire after 12 hours, end at logout, and end when the password changes', () => {
    let now = new Date('2025-10-22T08:00:00Z');
    const credentials = adminCredentials(admin)!;
    const guard = new SessionGuard(credentials, () => now);
    const req = {} as Request;
    assert.equal(guard.currentUser(req), null);
    guard.logIn(req, 'ops');
    assert.equal(guard.currentUser(req), 'ops');
    const copy = { session: { ...(req.session as object) } } as Request;
    now = new Date(now.getTime() + SESSION_MAX_AGE_MS - 1000);
    assert.equal(guard.currentUser(req), 'ops');
    now = new Date(now.getTime() + 1000);
    assert.equal(guard.currentUser(req), null, 'expired');

    now = new Date('2025-10-22T08:00:00Z');
    guard.logIn(req, 'ops');
    const stolen = { session: { ...(req.session as object) } } as Request;
    guard.logOut(req);
    assert.equal(req.session, null);
    assert.equal(guard.currentUser(stolen), null, 'a copy of the cookie dies with the logout');
    assert.equal(guard.currentUser(copy), 'ops', 'other sessions live on');

    const changed = new SessionGuard(adminCredentials({ ...admin, password: 'a brand new password' })!, () => now);
    assert.equal(changed.currentUser(copy), null, 'a new password logs everyone out');
  });

  it('checks user and password, and stays closed without a password', async () => {
    const credentials = adminCredentials(admin)!;
    assert.equal(await credentials.verify('ops', 'correct horse battery'), true);
    assert.equal(await credentials.verify('admin', 'correct horse battery'), false);
    assert.equal(await credentials.verify('ops', 'correct horse batter'), false);
    assert.equal(adminCredentials({ ...admin, password: null }), null);
    const hash = await hashPassword('hashed secret value', { log2N: 10, r: 8, p: 1 });
    const hashed = adminCredentials({ ...admin, passwordHash: hash })!;
    assert.equal(await hashed.verify('ops', 'hashed secret value'), true, 'the hash wins over ADMIN_PASSWORD');
    assert.equal(await hashed.verify('ops', 'correct horse battery'), false);
  });

  it('hashes with scrypt in a self-describing format and refuses malformed hashes', async () => {
    const hash = await hashPassword('secret', { log2N: 10, r: 8, p: 1 });
    assert.match(hash, /^scrypt:10:8:1:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]{43}$/);
    assert.notEqual(hash, await hashPassword('secret', { log2N: 10, r: 8, p: 1 }), 'salted');
    assert.equal(
      parsePasswordHash('scrypt:40:8:1:c2FsdHNhbHRzYWx0c2FsdA:aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'),
      null,
      'unreasonable cost',
    );
    assert.equal(await verifyPasswordHash('secret', 'bcrypt:whatever'), false);
  });

  it('only returns to pages of the dashboard after login', () => {
    assert.equal(safeReturnPath('/admin/jobs?status=failed'), '/admin/jobs?status=failed');
    for (const bad of ['https://evil.example/admin', '//evil.example', '/administrator', '/admin\\..\\x', undefined, ['/admin']])
      assert.equal(safeReturnPath(bad), '/admin');
  });
});

describe('dashboard figures', () => {
  it('formats figures as the dashboard shows them', () => {
    assert.equal(formatUsage(6.2 * 1024 ** 3, 16 * 1024 ** 3), '6.2 / 16 GiB');
    assert.equal(formatUsage(120 * 1024 ** 3, 500 * 1024 ** 3), '120 / 500 GiB');
    assert.equal(formatBytes(22 * 1024 ** 3), '22 GiB');
    assert.equal(formatBitRate(15e6), '15 Mbps');
    assert.equal(formatBitRate(null), '—');
    assert.equal(formatMinutes(8.5 * 60_000), '8.5 minutes');
    assert.equal(formatUptime((14 * 24 + 6) * 3_600_000 + 5 * 60_000), '14 days, 6 hours');
    assert.equal(formatUptime(61 * 60_000), '1 hour, 1 minute');
  });

  it('draws 14 days scaled to the busiest, labels inside the chart', () => {
    const days = Array.from({ length: 14 }, (_, i) => ({
      day: `2025-10-${String(9 + i).padStart(2, '0')}`,
      completed: i === 13 ? 8 : 2,
      failed: i === 12 ? 4 : 0,
    }));
    const chart = dailyChart(days);
    assert.equal(chart.bars.length, 14);
    assert.equal(chart.max, 8);
    const last = chart.bars[13]!;
    assert.equal(last.completed.height, chart.baseline - chart.top, 'the busiest day is full height');
    assert.equal(last.completed.y, chart.top);
    assert.equal(chart.bars[12]!.failed.height * 2, last.completed.height);
    assert.equal(last.label, 'Oct 22');
    assert.equal(last.labelAnchor, 'end');
    assert.ok(chart.bars.every((b) => b.x + 2 * chart.barWidth + 1 <= chart.width));
    assert.equal(chart.bars.filter((b) => b.showLabel).length, 5);
    assert.equal(last.title, 'Oct 22: 8 completed, 0 failed');
  });
});
