import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { callbackBody, callbackEventOf, RETRY_DELAYS_MS, settle, type AttemptResult } from '../../src/callbacks/callback-policy.js';
import { signBody, verifySignature } from '../../src/callbacks/callback-signature.js';

const NOW = new Date('2026-02-01T10:00:00.000Z');
const status = (statusCode: number): AttemptResult => ({ kind: 'response', statusCode });

describe('callback retry decision', () => {
  it('delivers on 2xx', () => {
    for (const code of [200, 201, 202, 204, 299]) assert.equal(settle(status(code), 1, NOW).status, 'delivered', String(code));
  });

  it('retries 408, 429, 5xx and network errors; gives up at once on other 4xx and on 3xx', () => {
    for (const result of [
      status(408),
      status(429),
      status(500),
      status(502),
      status(503),
      { kind: 'error', error: 'ECONNRESET' } as const,
    ]) {
      assert.equal(settle(result, 1, NOW).status, 'pending', JSON.stringify(result));
    }
    for (const code of [301, 302, 307, 400, 401, 403, 404, 410, 422])
      assert.equal(settle(status(code), 1, NOW).status, 'failed', String(code));
    assert.equal(settle({ kind: 'refused', error: 'private' }, 1, NOW).status, 'refused');
  });

  it('walks the schedule 30 s … 8 h, then gives up after the 9th attempt, all within a day', () => {
    let at = NOW.getTime();
    const pauses: number[] = [];
    for (let attempt = 1; attempt <= 8; attempt += 1) {
      const next = settle(status(503), attempt, new Date(at));
      assert.equal(next.status, 'pending');
      const nextAt = Date.parse(next.nextAttemptAt ?? '');
      pauses.push((nextAt - at) / 1000);
      at = nextAt;
    }
    assert.deepEqual(pauses, [30, 120, 600, 1800, 3600, 7200, 14_400, 28_800]);
    assert.ok(at - NOW.getTime() < 24 * 3600 * 1000);
    const last = settle(status(503), 9, new Date(at));
    assert.deepEqual(last, {
      status: 'failed',
      attempts: 9,
      nextAttemptAt: null,
      lastStatusCode: 503,
      lastError: 'HTTP 503; gave up after 9 attempts',
    });
    assert.equal(RETRY_DELAYS_MS.length, 8);
  });
});

describe('callback events and body', () => {
  it('maps completed, final failures and cancels; nothing else', () => {
    assert.deepEqual(callbackEventOf({ type: 'job_cancelled', key: 'local-a' }), { key: 'local-a', event: 'job.cancelled' });
    const failed = { type: 'job_failed', key: 'local-a', code: 'ffmpeg_failed', message: 'x' } as const;
    assert.deepEqual(callbackEventOf({ ...failed, final: true }), { key: 'local-a', event: 'job.failed' });
    assert.equal(callbackEventOf({ ...failed, final: false }), null);
    assert.equal(callbackEventOf({ type: 'job_started', key: 'local-a', title: null }), null);
  });

  it('builds the same bytes for the same delivery and attempt', () => {
    const delivery = { id: 7, jobKey: 'local-a', event: 'job.completed' as const, jobJson: '{"id":"a","status":"completed"}' };
    const body = callbackBody(delivery, 2);
    assert.equal(body, '{"event":"job.completed","key":"local-a","delivery_id":7,"attempt":2,"job":{"id":"a","status":"completed"}}');
    assert.equal(callbackBody(delivery, 2), body);
  });

  it('signs as HMAC-SHA256 hex and verifies only the exact body, secret and well-formed header', () => {
    const body = '{"event":"job.completed"}';
    const header = signBody(body, 'k'.repeat(32));
    assert.equal(header, `sha256=${createHmac('sha256', 'k'.repeat(32)).update(body).digest('hex')}`);
    assert.ok(verifySignature(Buffer.from(body), header, 'k'.repeat(32)));
    assert.ok(verifySignature(body, header.toUpperCase().replace('SHA256=', 'sha256='), 'k'.repeat(32)));
    for (const bad of [undefined, null, '', header.slice(7), `${header}0`, ['a', 'b']]) {
      assert.equal(verifySignature(body, bad, 'k'.repeat(32)), false, String(bad));
    }
    assert.equal(verifySignature(`${body} `, header, 'k'.repeat(32)), false);
  });
});
