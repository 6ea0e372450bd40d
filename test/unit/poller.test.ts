import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { isAppError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging/logger.js';
import type { DaemonEvent } from '../../src/domain/events.js';
import { Poller, type RunJob } from '../../src/pipeline/poller.js';
import type { VideoRecord } from '../../src/domain/record.js';
import { MemorySource } from '../fakes/memory-source.js';

interface Harness {
  poller: Poller;
  source: MemorySource;
  started: string[];
  finish: (id: string) => void;
  cronTick: () => void;
  cronStopped: () => boolean;
}

/** A poller whose jobs run until the test finishes them, with a manual cron. */
function harness(concurrency = 1, source = new MemorySource(), events: DaemonEvent[] = []): Harness {
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  let cronFn: () => void = () => undefined;
  let stopped = false;
  const runJob: RunJob = (src, record, { signal }) =>
    new Promise<void>((resolve) => {
      started.push(record.id);
      const done = (): void => {
        void src.complete(record.id, {} as never).then(resolve);
      };
      finishers.set(record.id, done);
      signal.addEventListener('abort', () => {
        const reason: unknown = signal.reason;
        if (isAppError(reason, 'shutdown')) void src.release(record.id).then(resolve);
        else resolve();
      });
    });
  const poller = new Poller({
    sources: [source],
    config: { workerId: 'test:1', pollCron: '* * * * *', pollPageSize: 10, concurrency, shutdownTimeoutMs: 2000 },
    runJob,
    schedule: (_cron, fn) => {
      cronFn = fn;
      return { stop: () => (stopped = true) };
    },
    log: silentLogger(),
    now: () => new Date(),
    events: { emit: (event) => events.push(event) },
    soonDelayMs: 5,
  });
  return {
    poller,
    source,
    started,
    finish: (id) => finishers.get(id)?.(),
    cronTick: () => cronFn(),
    cronStopped: () => stopped,
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if (check()) return;
    await delay(5);
  }
  assert.fail(`timed out waiting for ${what}`);
}

const ago = (minutes: number): string => new Date(Date.now() - minutes * 60_000).toISOString();

describe('Poller', () => {
  it('starts INITIALIZING, polls at start and goes IDLE on an empty queue', async () => {
    const h = harness();
    assert.equal(h.poller.snapshot().state, 'INITIALIZING');
    h.poller.start();
    await h.poller.idle();
    const snap = h.poller.snapshot();
    assert.equal(snap.state, 'IDLE');
    assert.equal(snap.sources.length, 1);
    assert.deepEqual({ ...snap.sources[0], lastPollAt: undefined }, { kind: 'local', connected: true, pending: 0, lastPollAt: undefined, lastError: null });
    assert.match(snap.sources[0]?.lastPollAt ?? '', /^\d{4}-\d\d-\d\dT/);
    await h.poller.stop();
  });

  it('claims by priority, then oldest first, and never more than CONCURRENCY', async () => {
    const h = harness(2);
    h.source.add('old-normal', { createdAt: ago(30) });
    h.source.add('new-urgent', { priority: 1, createdAt: ago(1) });
    h.source.add('oldest-low', { priority: 10, createdAt: ago(60) });
    h.source.add('new-normal', { createdAt: ago(2) });
    h.poller.start();
    await until(() => h.started.length === 2, 'two jobs');
    assert.deepEqual(h.started, ['new-urgent', 'old-normal']);
    assert.equal(h.poller.snapshot().state, 'PROCESSING');
    assert.equal(h.poller.snapshot().active.length, 2);
    h.finish('new-urgent');
    // The freed slot is refilled at once, without waiting for the cron.
    await until(() => h.started.length === 3, 'third job');
    assert.equal(h.started[2], 'new-normal');
    h.finish('old-normal');
    h.finish('new-normal');
    await until(() => h.started.length === 4, 'fourth job');
    assert.equal(h.started[3], 'oldest-low');
    await h.poller.stop();
  });

  it('skips records that are not due yet', async () => {
    const h = harness();
    h.source.add('later', { nextAttemptAt: new Date(Date.now() + 3_600_000).toISOString() });
    h.poller.start();
    await h.poller.idle();
    assert.deepEqual(h.started, []);
    await h.poller.stop();
  });

  it('never overlaps ticks: requests during a tick coalesce into one more', async () => {
    const source = new MemorySource();
    let inFlight = 0;
    let maxInFlight = 0;
    const original = source.listPending.bind(source);
    source.listPending = async (limit) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await delay(20);
      inFlight -= 1;
      return original(limit);
    };
    const h = harness(1, source);
    h.poller.start();
    for (let i = 0; i < 5; i += 1) h.poller.pollNow();
    h.cronTick();
    await h.poller.idle();
    assert.equal(maxInFlight, 1);
    assert.equal(source.calls.filter((c) => c === 'listPending').length, 2);
    await h.poller.stop();
  });

  it('reports an unreachable source without throwing, and recovers', async () => {
    const events: DaemonEvent[] = [];
    const h = harness(1, new MemorySource(), events);
    h.source.failList = new Error('connect ECONNREFUSED');
    h.poller.start();
    await h.poller.idle();
    h.poller.pollNow();
    await h.poller.idle();
    let snap = h.poller.snapshot();
    assert.equal(snap.state, 'ERROR');
    assert.equal(snap.sources[0]?.connected, false);
    assert.match(snap.sources[0]?.lastError ?? '', /ECONNREFUSED/);
    h.source.failList = null;
    h.source.add('a');
    h.poller.pollNow();
    await until(() => h.started.length === 1, 'job after recovery');
    snap = h.poller.snapshot();
    assert.equal(snap.sources[0]?.connected, true);
    assert.equal(snap.lastError, null);
    // One event per transition, not one per failed poll.
    assert.deepEqual(
      events.map((e) => e.type),
      ['source_disconnected', 'source_reconnected'],
    );
    await h.poller.stop();
  });

  it('does not run a record another worker won', async () => {
    const h = harness();
    h.source.add('raced');
    h.source.claim = async () => null;
    h.poller.start();
    await h.poller.idle();
    assert.deepEqual(h.started, []);
    await h.poller.stop();
  });

  it('stop() aborts running jobs with a shutdown reason, claims nothing new and stops the cron', async () => {
    const h = harness();
    h.source.add('running');
    h.poller.start();
    await until(() => h.started.length === 1, 'job');
    assert.equal(await h.poller.stop(), true);
    assert.equal(h.poller.snapshot().state, 'SHUTDOWN');
    assert.equal(h.source.get('running').status, 'pending');
    assert.ok(h.cronStopped());
    h.source.add('after');
    h.poller.pollNow();
    await h.poller.idle();
    assert.deepEqual(h.started, ['running']);
  });

  it('abortJob() cancels only a job it runs', async () => {
    const h = harness();
    h.source.add('x');
    h.poller.start();
    await until(() => h.started.length === 1, 'job');
    assert.equal(h.poller.abortJob('local-nope', 'cancelled'), false);
    assert.equal(h.poller.abortJob('local-x', 'cancelled'), true);
    await until(() => h.poller.snapshot().active.length === 0, 'job to end');
    await h.poller.stop();
  });

  it('exposes progress of running jobs in the snapshot', async () => {
    const source = new MemorySource();
    source.add('p', { title: 'Holiday' });
    let progress: ((p: { percent: number; step: 'transcoding'; rung?: string }) => void) | undefined;
    const poller = new Poller({
      sources: [source],
      config: { workerId: 'w', pollCron: '* * * * *', pollPageSize: 10, concurrency: 1, shutdownTimeoutMs: 500 },
      runJob: (_s, _r: VideoRecord, o) => {
        progress = o.onProgress;
        return new Promise((resolve) => o.signal.addEventListener('abort', () => resolve(undefined)));
      },
      schedule: () => ({ stop: () => undefined }),
      log: silentLogger(),
      now: () => new Date(),
    });
    poller.start();
    await until(() => progress !== undefined, 'job');
    progress?.({ percent: 45, step: 'transcoding', rung: 'high' });
    const job = poller.snapshot().active[0];
    assert.equal(job?.percent, 45);
    assert.equal(job?.step, 'transcoding');
    assert.equal(job?.rung, 'high');
    assert.equal(job?.title, 'Holiday');
    await poller.stop();
  });
});
