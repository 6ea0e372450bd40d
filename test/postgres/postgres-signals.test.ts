import assert from 'node:assert/strict';
import { once } from 'node:events';
import { EventEmitter } from 'node:events';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { PgSignals } from '../../src/store/postgres/pg-signals.js';
import type { Store } from '../../src/store/store.js';
import { createSchema, testPostgresUrl } from '../helpers/postgres.js';

const now = (): Date => new Date();

/** Counts the wake-ups a store's signals deliver; `next()` resolves at the next one. */
function wakeups(store: Pick<Store, 'signals'>): { count: () => number; next: () => Promise<unknown> } {
  const emitter = new EventEmitter();
  let count = 0;
  assert.ok(store.signals, 'PostgreSQL has signals');
  store.signals.onJobsQueued(() => {
    count += 1;
    emitter.emit('wake');
  });
  return { count: () => count, next: () => once(emitter, 'wake') };
}

async function terminate(applicationName: string): Promise<number> {
  const admin = new pg.Client({ connectionString: testPostgresUrl() });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
      applicationName,
    ]);
    return rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

describe('PostgreSQL signals: a job queued on one daemon wakes the others', () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const close of closers.reverse()) await close();
  });

  async function twoStores(): Promise<[Store, Store]> {
    const { url, drop } = await createSchema();
    const a = await openPostgresStore(url, { now });
    const b = await openPostgresStore(url, { now });
    closers.push(
      drop,
      () => a.close(),
      () => b.close(),
    );
    return [a, b];
  }

  it('tells every store of the schema when a job is created, retried or released, not when it is claimed or ends', async () => {
    const [a, b] = await twoStores();
    const woken = wakeups(b);
    const created = woken.next();
    const job = await a.jobs.create({ sourceUrl: 'https://example.com/a.mp4', priority: 5, title: null });
    await created;
    assert.equal(woken.count(), 1);

    const claimed = await a.jobs.claim(job.id, 'w1', { status: 'pending', updatedAt: job.updatedAt }, 300);
    assert.ok(claimed);
    const released = woken.next();
    await a.jobs.release(job.id, 'w1');
    await released;
    assert.equal(woken.count(), 2, 'the claim told nobody; the release (pending again) did');

    const again = await a.jobs.claim(job.id, 'w1', { status: 'pending', updatedAt: (await a.jobs.get(job.id))!.updatedAt }, 300);
    assert.ok(again);
    await a.jobs.fail(job.id, 'w1', {
      status: 'failed',
      error: 'x',
      errorCode: 'ffmpeg_failed',
      retryCount: 0,
      retryErrors: [],
      lastRetryAt: now().toISOString(),
      nextAttemptAt: null,
    });
    const retried = woken.next();
    await a.jobs.retry(job.id);
    await retried;
    assert.equal(woken.count(), 3, 'the failure told nobody; the retry did');
  });

  it('ignores jobs of another schema in the same database', async () => {
    const [, b] = await twoStores();
    const [c] = await twoStores();
    const woken = wakeups(b);
    const mine = wakeups(c);
    const seen = mine.next();
    await c.jobs.create({ sourceUrl: 'https://example.com/c.mp4', priority: 5, title: null });
    await seen;
    // A marker in b's own schema, created after c's: once b sees it, c's notification has been delivered before it.
    const marker = woken.next();
    await b.jobs.create({ sourceUrl: 'https://example.com/b.mp4', priority: 5, title: null });
    await marker;
    assert.equal(woken.count(), 1, "b saw only its own schema's job");
  });

  it('listens again after losing its connection, and tells its listeners once it is back', async () => {
    const { url, drop } = await createSchema();
    closers.push(drop);
    const store = await openPostgresStore(url, { now });
    closers.push(() => store.close());
    const name = `vc-signals-${process.pid}`;
    const tagged = new URL(url);
    tagged.searchParams.set('application_name', name);
    const errors: Error[] = [];
    const signals = new PgSignals({ url: tagged.toString(), onError: (err) => errors.push(err), retryDelaysMs: [20] });
    await signals.start();
    closers.push(() => signals.close());
    const woken = wakeups({ signals });

    const back = woken.next();
    assert.equal(await terminate(name), 1, 'one listening connection');
    await back;
    assert.ok(errors.length >= 1, 'the loss was reported');

    const created = woken.next();
    await store.jobs.create({ sourceUrl: 'https://example.com/d.mp4', priority: 5, title: null });
    await created;
    assert.equal(woken.count(), 2, 'the reconnection, then the new job');
  });
});
