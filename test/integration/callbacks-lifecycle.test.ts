import assert from 'node:assert/strict';
import { once, EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { CallbackService, type CallbackServiceOptions } from '../../src/callbacks/callback-service.js';
import { CallbackRepository } from '../../src/store/callback-repository.js';
import { promised } from '../../src/store/store.js';
import { AppError } from '../../src/errors.js';
import type { DaemonEvent } from '../../src/domain/events.js';
import { silentLogger } from '../../src/logging/logger.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { serverPool } from '../helpers/http-fixtures.js';

const SECRET = 'callback-secret-0123456789abcdef';
const KEY = 'local-j8f2k';
const JOB = { id: 'j8f2k', source: 'local', status: 'completed' };
const COMPLETED: DaemonEvent = { type: 'job_completed', key: KEY, processingMs: 1000, sourceBytes: 10, outputBytes: 20, rungs: 3 };
const T0 = new Date('2026-02-01T10:00:00.000Z');

/** A loopback receiver: `answer(n)` for the n-th request, 'hang' = never answers. Emits 'request' on each arrival. */
async function receiver(pool: ReturnType<typeof serverPool>, answer: (n: number) => number | 'hang') {
  const bodies: unknown[] = [];
  const arrivals = new EventEmitter();
  const server = await pool.serve((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      const status = answer(bodies.length);
      arrivals.emit('request');
      if (status !== 'hang') res.writeHead(status).end();
    });
  });
  return { server, bodies, arrival: () => once(arrivals, 'request') };
}

describe('completion callbacks: lifecycle', { timeout: 20_000 }, () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'vc-callbacks-life-'));
  const pool = serverPool();
  let file: string;
  let db: Database;
  let now: Date;
  let services: CallbackService[];
  let files = 0;

  beforeEach(() => {
    file = path.join(tmp, `callbacks-${(files += 1)}.db`);
    db = openDatabase(file);
    now = T0;
    services = [];
  });
  afterEach(async () => {
    await Promise.all(services.map((s) => s.stop()));
    if (db.open) db.close();
    await pool.closeAll();
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  function service(url: string | null, options: Partial<CallbackServiceOptions> = {}): CallbackService {
    const created = new CallbackService({
      store: promised(new CallbackRepository(db)),
      config: { url, secret: SECRET, allowPrivate: true },
      jobJson: async () => JOB,
      log: silentLogger(),
      now: () => now,
      timers: { every: () => () => undefined },
      ...options,
    });
    services.push(created);
    return created;
  }

  it('resumes pending deliveries after a restart, with the job as it was when the event happened', async () => {
    const receiving = await receiver(pool, (n) => (n === 1 ? 503 : 200));
    const first = service(receiving.server.url('/hook'));
    first.start();
    first.emit(COMPLETED);
    await first.idle();
    await first.stop();
    db.close();

    db = openDatabase(file);
    now = new Date(T0.getTime() + 31_000);
    // The job has moved on since (requeued): the retry still describes the completion.
    const second = service(receiving.server.url('/hook'), { jobJson: async () => ({ ...JOB, status: 'processing' }) });
    second.start();
    await second.idle();

    assert.deepEqual(receiving.bodies, [
      { event: 'job.completed', key: KEY, delivery_id: 1, attempt: 1, job: JOB },
      { event: 'job.completed', key: KEY, delivery_id: 1, attempt: 2, job: JOB },
    ]);
    assert.equal(new CallbackRepository(db).get(1)?.status, 'delivered');
  });

  it('records events emitted before start() and delivers them once started', async () => {
    const receiving = await receiver(pool, () => 200);
    const callbacks = service(receiving.server.url('/hook'));
    callbacks.emit({ type: 'job_cancelled', key: KEY });
    await callbacks.idle();
    assert.equal(receiving.bodies.length, 0);
    assert.equal(new CallbackRepository(db).deliveriesFor(KEY)[0]?.status, 'pending');
    callbacks.start();
    await callbacks.idle();
    assert.equal(receiving.bodies.length, 1);
  });

  it('looks for due deliveries on its timer', async () => {
    const receiving = await receiver(pool, (n) => (n === 1 ? 500 : 200));
    const timer: { tick: (() => void) | null; periodMs: number } = { tick: null, periodMs: 0 };
    const callbacks = service(receiving.server.url('/hook'), {
      pollMs: 5000,
      timers: {
        every: (ms, fn) => {
          [timer.periodMs, timer.tick] = [ms, fn];
          return () => (timer.tick = null);
        },
      },
    });
    callbacks.start();
    callbacks.emit(COMPLETED);
    await callbacks.idle();
    assert.equal(timer.periodMs, 5000);
    now = new Date(T0.getTime() + 30_000);
    assert.ok(timer.tick, 'start() set the timer');
    timer.tick();
    await callbacks.idle();
    assert.equal(receiving.bodies.length, 2);
    await callbacks.stop();
    assert.equal(timer.tick, null, 'stop() cancels the timer');
  });

  it('never makes the emitter wait: a receiver that does not answer costs an attempt after the timeout', async () => {
    const receiving = await receiver(pool, () => 'hang');
    const callbacks = service(receiving.server.url('/hook'), { timeoutMs: 300 });
    callbacks.start();
    callbacks.emit(COMPLETED);
    assert.deepEqual(new CallbackRepository(db).deliveriesFor(KEY), [], 'emit returns before even the job is read');
    await callbacks.idle();
    const [delivery] = new CallbackRepository(db).deliveriesFor(KEY);
    assert.deepEqual([delivery?.status, delivery?.attempts, delivery?.lastError], ['pending', 1, 'no response within 300 ms']);
  });

  it('stop() abandons an attempt in flight without counting it, and records nothing after', async () => {
    const receiving = await receiver(pool, () => 'hang');
    const callbacks = service(receiving.server.url('/hook'));
    callbacks.start();
    const arrived = receiving.arrival();
    callbacks.emit(COMPLETED);
    await arrived;
    await callbacks.stop();
    const store = new CallbackRepository(db);
    const [delivery] = store.deliveriesFor(KEY);
    assert.deepEqual([delivery?.status, delivery?.attempts, delivery?.nextAttemptAt], ['pending', 0, T0.toISOString()]);
    callbacks.emit({ type: 'job_cancelled', key: KEY });
    await callbacks.idle();
    assert.equal(store.deliveriesFor(KEY).length, 1);
  });

  it('sends "job": null when the job cannot be read, and nothing at all without a target URL', async () => {
    const receiving = await receiver(pool, () => 200);
    const callbacks = service(null, { jobJson: () => Promise.reject(new Error('store is busy')) });
    callbacks.start();
    callbacks.emit(COMPLETED);
    await callbacks.idle();
    assert.deepEqual(new CallbackRepository(db).deliveriesFor(KEY), []);

    await callbacks.register(KEY, receiving.server.url('/mine'));
    callbacks.emit(COMPLETED);
    await callbacks.idle();
    assert.deepEqual(receiving.bodies, [{ event: 'job.completed', key: KEY, delivery_id: 1, attempt: 1, job: null }]);
  });

  it('validates a per-job callback URL', async () => {
    const callbacks = service(null);
    const invalid = ['ftp://example.com/hook', 'not a url', '', `https://example.com/${'a'.repeat(2048)}`];
    for (const url of invalid) {
      await assert.rejects(
        callbacks.register(KEY, url),
        (err: unknown) => err instanceof AppError && err.code === 'invalid_request' && /callback_url/.test(err.message),
        url.slice(0, 40),
      );
    }
    await callbacks.register(KEY, ' https://example.com/hook?token=1 ');
    assert.equal(new CallbackRepository(db).jobUrl(KEY), 'https://example.com/hook?token=1');
  });

  it('logs each outcome with the URL redacted, never the secret or the signature', async () => {
    const receiving = await receiver(pool, (n) => (n === 1 ? 500 : 200));
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString('utf8')), done()) });
    const callbacks = service(receiving.server.url('/hook?token=query-token'), { log: pino({ level: 'debug' }, sink) });
    callbacks.start();
    callbacks.emit(COMPLETED);
    await callbacks.idle();
    now = new Date(T0.getTime() + 30_000);
    await callbacks.deliverDue();

    const logs = lines.map((line) => JSON.parse(line));
    const outcomes = logs.filter((l) => l.delivery === 1).map((l) => [l.msg, l.statusCode, l.url]);
    const url = receiving.server.url('/hook');
    assert.deepEqual(outcomes, [
      ['callback not delivered; will retry', 500, url],
      ['callback delivered', 200, url],
    ]);
    const text = lines.join('');
    assert.ok(!text.includes(SECRET) && !text.includes('query-token') && !text.includes('sha256='), text);
  });
});
