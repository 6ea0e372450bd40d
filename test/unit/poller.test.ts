import { publishResultFor } from '../helpers/publish-result.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging/logger.js';
import type { DaemonEvent } from '../../src/domain/events.js';
import { Poller, type RunJob } from '../../src/pipeline/poller.js';
import type { VideoRecord } from '../../src/domain/record.js';
import type { PublishResult } from '../../src/domain/rendition.js';
import { Changes } from '../fakes/changes.js';
import { MemorySource } from '../fakes/memory-source.js';

/** The clock of every test here: the poller's, and the source's (what is due). */
const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const now = (): Date => new Date(NOW);
const ago = (minutes: number): string => new Date(NOW - minutes * 60_000).toISOString();

interface Harness {
  poller: Poller;
  source: MemorySource;
  started: string[];
  /** How each job that was aborted ended: its id and the abort reason's code. */
  aborted: Array<{ id: string; reason: string }>;
  finish: (id: string) => void;
  cronTick: () => void;
  cronStopped: () => boolean;
  /** Resolves once `check()` holds; re-checked whenever a job starts or ends, or the source is called. */
  until: (check: () => boolean) => Promise<void>;
}

const RESULT: PublishResult = { ...publishResultFor('local-x', { base: 'https://cdn.test' }), completedAt: new Date(NOW).toISOString() };

/** A poller whose jobs run until the test finishes them, with a manual cron. */
function harness(concurrency = 1, source = new MemorySource({ workerId: 'test:1', now }), events: DaemonEvent[] = []): Harness {
  const started: string[] = [];
  const aborted: Harness['aborted'] = [];
  const finishers = new Map<string, () => void>();
  const changes = new Changes();
  source.onCall = () => changes.notify();
  let cronFn: () => void = () => undefined;
  let stopped = false;
  const runJob: RunJob = (src, record, { signal }) =>
    new Promise<void>((resolve) => {
      started.push(record.id);
      changes.notify();
      const done = (): void => {
        void src.complete(record.id, RESULT).then(resolve);
      };
      finishers.set(record.id, done);
      signal.addEventListener('abort', () => {
        const reason: unknown = signal.reason;
        aborted.push({ id: record.id, reason: isAppError(reason) ? reason.code : String(reason) });
        if (isAppError(reason, 'shutdown')) void src.release(record.id).then(resolve);
        else resolve();
      });
    });
  const poller = new Poller({
    sources: [source],
    config: { workerId: 'test:1', pollCron: '* * * * *', pollPageSize: 10, concurrency, shutdownTimeoutMs: 60_000 },
    runJob,
    schedule: (_cron, fn) => {
      cronFn = fn;
      return { stop: () => (stopped = true) };
    },
    log: silentLogger(),
    now,
    events: { emit: (event) => events.push(event) },
    soonDelayMs: 5,
  });
  return {
    poller,
    source,
    started,
    aborted,
    finish: (id) => finishers.get(id)?.(),
    cronTick: () => cronFn(),
    cronStopped: () => stopped,
    until: (check) => changes.until(check),
  };
}

describe('Poller', () => {
  it('starts INITIALIZING, polls at start and goes IDLE on an empty queue', async () => {
    const h = harness();
    assert.equal(h.poller.snapshot().state, 'INITIALIZING');
    h.poller.start();
    await h.poller.idle();
    const snap = h.poller.snapshot();
    assert.equal(snap.state, 'IDLE');
    assert.equal(snap.sources.length, 1);
    assert.deepEqual(snap.sources[0], {
      kind: 'local',
      connected: true,
      pending: 0,
      lastPollAt: '2026-03-01T12:00:00.000Z',
      lastError: null,
      lastErrorCode: null,
    });
    await h.poller.stop();
  });

  it('claims by priority, then oldest first, and never more than CONCURRENCY', async () => {
    const h = harness(2);
    h.source.add('old-normal', { createdAt: ago(30) });
    h.source.add('new-urgent', { priority: 1, createdAt: ago(1) });
    h.source.add('oldest-low', { priority: 10, createdAt: ago(60) });
    h.source.add('new-normal', { createdAt: ago(2) });
    h.poller.start();
    await h.until(() => h.started.length === 2);
    await h.poller.idle();
    assert.deepEqual(h.started, ['new-urgent', 'old-normal'], 'the tick is over and started no third job');
    assert.equal(h.poller.snapshot().state, 'PROCESSING');
    assert.equal(h.poller.snapshot().active.length, 2);
    h.finish('new-urgent');
    // The freed slot is refilled at once, without waiting for the cron.
    await h.until(() => h.started.length === 3);
    assert.equal(h.started[2], 'new-normal');
    h.finish('old-normal');
    h.finish('new-normal');
    await h.until(() => h.started.length === 4);
    assert.equal(h.started[3], 'oldest-low');
    await h.poller.stop();
  });

  it('skips records that are not due yet', async () => {
    const h = harness();
    h.source.add('later', { nextAttemptAt: new Date(NOW + 3_600_000).toISOString() });
    h.poller.start();
    await h.poller.idle();
    assert.deepEqual(h.started, []);
    await h.poller.stop();
  });

  it('never overlaps ticks: requests during a tick coalesce into one more', async () => {
    const source = new MemorySource({ workerId: 'test:1', now });
    let inFlight = 0;
    let maxInFlight = 0;
    // The first listing is held open until every request below has been made during it.
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const original = source.listPending.bind(source);
    source.listPending = async (limit) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await gate;
      inFlight -= 1;
      return original(limit);
    };
    const h = harness(1, source);
    h.poller.start();
    assert.equal(inFlight, 1, 'the first tick is listing');
    for (let i = 0; i < 5; i += 1) h.poller.pollNow();
    h.cronTick();
    openGate();
    await h.poller.idle();
    assert.equal(maxInFlight, 1);
    assert.equal(source.calls.filter((c) => c === 'listPending').length, 2);
    await h.poller.stop();
  });

  it('reports an unreachable source without throwing, and recovers', async () => {
    const events: DaemonEvent[] = [];
    const h = harness(1, new MemorySource({ workerId: 'test:1', now }), events);
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
    await h.until(() => h.started.length === 1);
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
    await h.until(() => h.started.length === 1);
    assert.equal(await h.poller.stop(), true);
    assert.equal(h.poller.snapshot().state, 'SHUTDOWN');
    assert.equal(h.source.get('running').status, 'pending');
    assert.ok(h.cronStopped());
    h.source.add('after');
    h.poller.pollNow();
    await h.poller.idle();
    assert.deepEqual(h.started, ['running']);
    assert.deepEqual(h.aborted, [{ id: 'running', reason: 'shutdown' }]);
  });

  it('abortJob() cancels only a job it runs', async () => {
    const h = harness();
    h.source.add('x');
    h.poller.start();
    await h.until(() => h.started.length === 1);
    assert.equal(h.poller.abortJob('local-nope', 'cancelled'), false);
    assert.deepEqual(h.aborted, []);
    assert.equal(h.poller.abortJob('local-x', 'cancelled'), true);
    assert.deepEqual(h.aborted, [{ id: 'x', reason: 'cancelled' }]);
    // The ended job frees its slot, and the poller polls again at once (which the source hears).
    await h.until(() => h.poller.snapshot().active.length === 0);
    await h.poller.stop();
  });

  it('exposes progress of running jobs in the snapshot', async () => {
    const source = new MemorySource({ workerId: 'w', now });
    source.add('p', { title: 'Holiday' });
    let progress: ((p: { percent: number; step: 'transcoding'; rung?: string }) => void) | undefined;
    const changes = new Changes();
    const poller = new Poller({
      sources: [source],
      config: { workerId: 'w', pollCron: '* * * * *', pollPageSize: 10, concurrency: 1, shutdownTimeoutMs: 500 },
      runJob: (_s, _r: VideoRecord, o) => {
        progress = o.onProgress;
        changes.notify();
        return new Promise((resolve) => o.signal.addEventListener('abort', () => resolve(undefined)));
      },
      schedule: () => ({ stop: () => undefined }),
      log: silentLogger(),
      now,
    });
    poller.start();
    await changes.until(() => progress !== undefined);
    progress?.({ percent: 45, step: 'transcoding', rung: 'high' });
    const job = poller.snapshot().active[0];
    assert.equal(job?.percent, 45);
    assert.equal(job?.step, 'transcoding');
    assert.equal(job?.rung, 'high');
    assert.equal(job?.title, 'Holiday');
    await poller.stop();
  });
});
