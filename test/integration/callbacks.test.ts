import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { CallbackService, type CallbackServiceOptions } from '../../src/callbacks/callback-service.js';
import { verifySignature } from '../../src/callbacks/callback-signature.js';
import { CallbackRepository } from '../../src/store/callback-repository.js';
import { promised } from '../../src/store/store.js';
import type { DaemonEvent } from '../../src/domain/events.js';
import { silentLogger } from '../../src/logging/logger.js';
import { isPublicAddress, type LookupFn } from '../../src/pipeline/url-policy.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { serverPool, type TestServer } from '../helpers/http-fixtures.js';

const SECRET = 'callback-secret-0123456789abcdef';
const KEY = 'local-j8f2k';
const JOB = { id: 'j8f2k', source: 'local', status: 'completed', title: 'Holiday', hls_url: 'https://video.test/hls/master.m3u8' };
const COMPLETED: DaemonEvent = { type: 'job_completed', key: KEY, processingMs: 1000, sourceBytes: 10, outputBytes: 20, rungs: 3 };
const T0 = new Date('2026-02-01T10:00:00.000Z');
const SECOND = 1000;

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: Buffer;
}

/** A loopback receiver answering the n-th request (1-based) with `answer(n)`. */
async function receiver(pool: ReturnType<typeof serverPool>, answer: (n: number) => number) {
  const received: Received[] = [];
  const server: TestServer = await pool.serve((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '/', headers: req.headers, raw: Buffer.concat(chunks) });
      const status = answer(received.length);
      res.writeHead(status, status >= 300 && status < 400 ? { Location: '/moved' } : {}).end('ok');
    });
  });
  return { server, received };
}

describe('completion callbacks: delivery', { timeout: 20_000 }, () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'vc-callbacks-'));
  const pool = serverPool();
  let db: Database;
  let store: CallbackRepository;
  let now: Date;
  let services: CallbackService[];
  let files = 0;

  beforeEach(() => {
    db = openDatabase(path.join(tmp, `callbacks-${(files += 1)}.db`));
    store = new CallbackRepository(db);
    now = T0;
    services = [];
  });
  afterEach(async () => {
    await Promise.all(services.map((s) => s.stop()));
    db.close();
    await pool.closeAll();
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  /** Started, with a timer that never fires: the tests move the clock and call deliverDue(). */
  function service(url: string | null, options: Partial<CallbackServiceOptions> & { allowPrivate?: boolean } = {}): CallbackService {
    const created = new CallbackService({
      store: promised(store),
      config: { url, secret: SECRET, allowPrivate: options.allowPrivate ?? true },
      jobJson: async (key) => (key === KEY ? JOB : null),
      log: silentLogger(),
      now: () => now,
      timers: { every: () => () => undefined },
      ...options,
    });
    created.start();
    services.push(created);
    return created;
  }

  async function emitted(target: CallbackService, event: DaemonEvent = COMPLETED): Promise<void> {
    target.emit(event);
    await target.idle();
  }

  it('POSTs the job signed with CALLBACK_SECRET, to CALLBACK_URL and to the job’s own URL', async () => {
    const global = await receiver(pool, () => 200);
    const own = await receiver(pool, () => 204);
    const callbacks = service(global.server.url('/hooks/video'));
    await callbacks.register(KEY, own.server.url('/job-hook?token=abc'));
    await emitted(callbacks);

    assert.equal(global.received.length, 1);
    assert.equal(own.received.length, 1);
    assert.equal(own.received[0]?.path, '/job-hook?token=abc');
    const { headers, raw } = global.received[0] ?? assert.fail('no request');
    assert.equal(headers['content-type'], 'application/json');
    const body = JSON.parse(raw.toString('utf8'));
    assert.deepEqual(Object.keys(body), ['event', 'key', 'delivery_id', 'attempt', 'job']);
    assert.deepEqual(body, { event: 'job.completed', key: KEY, delivery_id: body.delivery_id, attempt: 1, job: JOB });

    const signature = headers['x-signature'];
    assert.ok(verifySignature(raw, signature, SECRET));
    assert.equal(signature, `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`);
    assert.equal(verifySignature(Buffer.concat([raw, Buffer.from(' ')]), signature, SECRET), false);
    assert.equal(verifySignature(raw, signature, `${SECRET}x`), false);

    const rows = store.deliveriesFor(KEY);
    assert.deepEqual(rows.map((d) => [d.status, d.attempts, d.lastStatusCode, d.nextAttemptAt]).sort(), [
      ['delivered', 1, 200, null],
      ['delivered', 1, 204, null],
    ]);
  });

  it('retries a 500 on the schedule and then delivers, with the same delivery_id and the next attempt number', async () => {
    const receiving = await receiver(pool, (n) => (n === 1 ? 500 : 200));
    const callbacks = service(receiving.server.url('/hook'));
    await emitted(callbacks);
    const [first] = store.deliveriesFor(KEY);
    assert.equal(first?.status, 'pending');
    assert.equal(first?.lastStatusCode, 500);
    assert.equal(first?.lastError, 'HTTP 500');
    assert.equal(first?.nextAttemptAt, new Date(T0.getTime() + 30 * SECOND).toISOString());

    now = new Date(T0.getTime() + 29 * SECOND);
    assert.deepEqual(await callbacks.deliverDue(), []);
    assert.equal(receiving.received.length, 1);

    now = new Date(T0.getTime() + 30 * SECOND);
    const [outcome] = await callbacks.deliverDue();
    assert.equal(outcome?.status, 'delivered');
    assert.equal(receiving.received.length, 2);
    const bodies = receiving.received.map((r) => JSON.parse(r.raw.toString('utf8')));
    assert.deepEqual(
      bodies.map((b) => [b.delivery_id, b.attempt]),
      [
        [first?.id, 1],
        [first?.id, 2],
      ],
    );
    const settled = store.get(first?.id ?? 0);
    assert.deepEqual([settled?.status, settled?.attempts, settled?.lastStatusCode, settled?.lastError], ['delivered', 2, 200, null]);
  });

  it('gives up at once on a 404, and on a redirect (never followed)', async () => {
    const missing = await receiver(pool, () => 404);
    const moved = await receiver(pool, () => 302);
    const callbacks = service(missing.server.url('/gone'));
    await callbacks.register(KEY, moved.server.url('/old'));
    await emitted(callbacks);
    now = new Date(T0.getTime() + 24 * 3600 * SECOND);
    assert.deepEqual(await callbacks.deliverDue(), []);

    assert.equal(missing.received.length, 1);
    assert.deepEqual(
      moved.received.map((r) => r.path),
      ['/old'],
    );
    const byCode = new Map(store.deliveriesFor(KEY).map((d) => [d.lastStatusCode, d]));
    assert.equal(byCode.get(404)?.status, 'failed');
    assert.equal(byCode.get(404)?.lastError, 'HTTP 404');
    assert.equal(byCode.get(302)?.status, 'failed');
    assert.match(byCode.get(302)?.lastError ?? '', /redirects are not followed/);
  });

  it('gives up after the last retry of the schedule', async () => {
    const down = await receiver(pool, () => 503);
    const callbacks = service(down.server.url('/hook'), { retryDelaysMs: [SECOND, 2 * SECOND] });
    await emitted(callbacks);
    for (const at of [SECOND, 3 * SECOND]) {
      now = new Date(T0.getTime() + at);
      await callbacks.deliverDue();
    }
    const [delivery] = store.deliveriesFor(KEY);
    assert.equal(down.received.length, 3);
    assert.equal(delivery?.status, 'failed');
    assert.equal(delivery?.lastError, 'HTTP 503; gave up after 3 attempts');
    assert.equal(delivery?.nextAttemptAt, null);
  });

  it('refuses a loopback address unless ALLOW_PRIVATE_CALLBACK_URLS, literal or resolved at connect', async () => {
    const receiving = await receiver(pool, () => 200);
    const lookup: LookupFn = async (host) => (host.endsWith('.example.test') ? [{ address: '127.0.0.1', family: 4 }] : []);
    const named = `http://hooks.example.test:${receiving.server.port}/hook`;
    const strict = service(receiving.server.url('/hook'), { allowPrivate: false, lookup });
    await strict.register(KEY, named);
    await emitted(strict);

    assert.equal(receiving.received.length, 0);
    const refused = store.deliveriesFor(KEY);
    assert.deepEqual(
      refused.map((d) => [d.status, d.attempts, d.nextAttemptAt]),
      [
        ['refused', 1, null],
        ['refused', 1, null],
      ],
    );
    for (const d of refused)
      assert.match(d.lastError ?? '', /127\.0\.0\.1.*private, loopback or link-local.*ALLOW_PRIVATE_CALLBACK_URLS=true/);
    assert.ok(refused.some((d) => (d.lastError ?? '').includes('"hooks.example.test" resolves to 127.0.0.1')));

    const lenient = service(null, { allowPrivate: true, lookup });
    await emitted(lenient, { type: 'job_cancelled', key: KEY });
    assert.deepEqual(
      receiving.received.map((r) => [r.path, r.headers.host]),
      [['/hook', `hooks.example.test:${receiving.server.port}`]],
    );
    assert.equal(store.deliveriesFor(KEY)[0]?.status, 'delivered');
  });

  it('judges the address connected, not the name: a name the predicate allows is delivered with the policy on', async () => {
    const receiving = await receiver(pool, () => 200);
    const lookup: LookupFn = async () => [{ address: '127.0.0.1', family: 4 }];
    const isAllowedAddress = (address: string, host: string): boolean => host === 'public.example.test' || isPublicAddress(address);
    const callbacks = service(`http://public.example.test:${receiving.server.port}/hook`, {
      allowPrivate: false,
      lookup,
      isAllowedAddress,
    });
    await callbacks.register(KEY, `http://internal.example.test:${receiving.server.port}/hook`);
    await emitted(callbacks);
    assert.equal(receiving.received.length, 1);
    assert.deepEqual(
      store
        .deliveriesFor(KEY)
        .map((d) => d.status)
        .sort(),
      ['delivered', 'refused'],
    );
  });

  it('sends nothing for a failure that will be retried, and job.failed for a final one', async () => {
    const receiving = await receiver(pool, () => 200);
    const callbacks = service(receiving.server.url('/hook'));
    const failed = (final: boolean): DaemonEvent => ({ type: 'job_failed', key: KEY, code: 'source_not_found', message: '404', final });
    await emitted(callbacks, failed(false));
    await emitted(callbacks, { type: 'job_started', key: KEY, title: null });
    assert.equal(receiving.received.length, 0);
    assert.deepEqual(store.deliveriesFor(KEY), []);

    await emitted(callbacks, failed(true));
    assert.deepEqual(
      receiving.received.map((r) => JSON.parse(r.raw.toString('utf8')).event),
      ['job.failed'],
    );
  });

  it('sends no X-Signature when CALLBACK_SECRET is unset', async () => {
    const receiving = await receiver(pool, () => 200);
    const callbacks = new CallbackService({
      store: promised(store),
      config: { url: receiving.server.url('/hook'), secret: null, allowPrivate: true },
      jobJson: async () => JOB,
      log: silentLogger(),
      now: () => now,
      timers: { every: () => () => undefined },
    });
    services.push(callbacks);
    callbacks.start();
    await emitted(callbacks);
    assert.equal(receiving.received.length, 1);
    assert.equal(receiving.received[0]?.headers['x-signature'], undefined);
    assert.equal(store.deliveriesFor(KEY)[0]?.status, 'delivered');
  });
});
