import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AlertService } from '../../src/alerts/alert-service.js';
import type { Notification } from '../../src/alerts/notification.js';
import { AppError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging/logger.js';
import { AlertRepository } from '../../src/store/alert-repository.js';
import { openDatabase } from '../../src/store/database.js';
import { promised, type AlertStore } from '../../src/store/store.js';
import { sample, snapshot, THRESHOLDS } from '../helpers/monitoring-fixtures.js';

const MIN = 60_000;
const COOLDOWN = 30 * MIN;

/** An alert service whose store can be switched off (every call rejects as PostgreSQL down would). */
function harness() {
  let now = new Date('2026-12-01T12:00:00Z');
  let down = false;
  const sent: Notification[] = [];
  const rows = new AlertRepository(openDatabase(':memory:'));
  const live = promised(rows);
  const unreachable = (): Promise<never> =>
    Promise.reject(new AppError('store_unavailable', 'The PostgreSQL store cannot be reached: ECONNREFUSED'));
  const repo = Object.fromEntries(
    Object.entries(live).map(([name, fn]) => [
      name,
      (...args: unknown[]) => (down ? unreachable() : (fn as (...a: unknown[]) => unknown)(...args)),
    ]),
  ) as unknown as AlertStore;
  const service = new AlertService({
    repo,
    notify: (n) => sent.push(n),
    thresholds: THRESHOLDS,
    cooldownMs: COOLDOWN,
    pollPeriodMs: 2 * MIN,
    samples: () => [sample(now)],
    failedSince: async () => (down ? unreachable() : 0),
    now: () => now,
    log: silentLogger(),
    defer: () => undefined,
  });
  service.attach(() => snapshot({ now }));
  return {
    rows,
    sent,
    changes: () => sent.map((n) => (n.kind === 'alert' ? `${n.change}:${n.alert.rule}:${n.alert.level}` : n.kind)),
    setDown: (value: boolean) => (down = value),
    async after(minutes: number) {
      now = new Date(now.getTime() + minutes * MIN);
      await service.evaluate();
    },
  };
}

describe('AlertService: the job store itself out of reach', () => {
  it('announces "job store disconnected" as critical from memory, repeats it each cooldown, and records and resolves it once the store answers', async () => {
    const h = harness();
    await h.after(0);
    assert.deepEqual(h.changes(), [], 'nothing while all is well');

    h.setDown(true);
    await h.after(1);
    await h.after(1);
    assert.deepEqual(h.changes(), ['opened:store:critical'], 'once, not at every evaluation');
    const opened = h.sent[0];
    assert.ok(opened?.kind === 'alert');
    assert.match(opened.alert.message, /job store cannot be reached: The PostgreSQL store cannot be reached: ECONNREFUSED/);
    await h.after(30);
    assert.deepEqual(h.changes(), ['opened:store:critical', 'repeated:store:critical'], 'again after the cooldown');

    h.setDown(false);
    await h.after(2);
    assert.deepEqual(h.changes(), ['opened:store:critical', 'repeated:store:critical', 'resolved:store:critical']);
    const [row] = h.rows.recentResolved(5);
    assert.equal(row?.rule, 'store');
    assert.equal(row?.firstSeenAt, '2026-12-01T12:01:00.000Z', 'the history shows when it began');
    assert.equal(row?.resolvedAt, '2026-12-01T12:34:00.000Z');
    assert.equal(row?.notifications, 2);
    assert.deepEqual(h.rows.active(), [], 'nothing left open');

    await h.after(1);
    assert.equal(h.sent.length, 3, 'no more messages once resolved');
  });

  it('other failures of an evaluation are logged, never announced as a store outage', async () => {
    const h = harness();
    // A rule input that fails with something other than store_unavailable.
    const broken = new AppError('internal_error', 'a bug');
    const service = new AlertService({
      repo: promised(h.rows),
      notify: (n) => h.sent.push(n),
      thresholds: THRESHOLDS,
      cooldownMs: COOLDOWN,
      pollPeriodMs: 2 * MIN,
      samples: () => [],
      failedSince: () => Promise.reject(broken),
      now: () => new Date('2026-12-01T12:00:00Z'),
      log: silentLogger(),
      defer: () => undefined,
    });
    service.attach(() => snapshot({ now: new Date('2026-12-01T12:00:00Z') }));
    await service.evaluate();
    assert.deepEqual(h.changes(), []);
  });
});
