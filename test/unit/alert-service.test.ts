import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { AlertService } from '../../src/alerts/alert-service.js';
import type { Notification } from '../../src/alerts/notification.js';
import type { SystemSample } from '../../src/alerts/system-sample.js';
import { silentLogger } from '../../src/logging/logger.js';
import type { WorkerSnapshot } from '../../src/domain/worker.js';
import { AlertRepository } from '../../src/store/alert-repository.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { promised } from '../../src/store/store.js';
import { sample, snapshot, THRESHOLDS } from '../helpers/monitoring-fixtures.js';

const MIN = 60_000;
const COOLDOWN = 30 * MIN;

/** Lets queued evaluations finish: the store is SQLite behind Promises, so they settle within microtasks. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An alert service on an in-memory store, with a hand-driven clock and readings. */
function harness(db: Database = openDatabase(':memory:')) {
  let now = new Date('2025-10-22T12:00:00Z');
  const samples: SystemSample[] = [];
  const sent: Notification[] = [];
  let failed = 0;
  let worker: WorkerSnapshot = snapshot({ now });
  const deferred: Array<() => void> = [];
  const service = new AlertService({
    repo: promised(new AlertRepository(db)),
    notify: (n) => sent.push(n),
    thresholds: THRESHOLDS,
    cooldownMs: COOLDOWN,
    pollPeriodMs: 2 * MIN,
    samples: () => samples,
    failedSince: async () => failed,
    now: () => now,
    log: silentLogger(),
    defer: (fn) => deferred.push(fn),
  });
  service.attach(() => worker);
  for (const fn of deferred.splice(0)) fn();
  return {
    db,
    service,
    sent,
    repo: new AlertRepository(db),
    /** Advances the clock, adds a reading and evaluates, like the 10-second monitor tick. */
    async tick(minutes: number, reading: { cpu?: number; memory?: number; disk?: number } = {}) {
      now = new Date(now.getTime() + minutes * MIN);
      worker = { ...worker, lastTickAt: now.toISOString() };
      samples.push(sample(now, reading));
      await service.evaluate();
    },
    /** Advances the clock without a reading (the sampler is failing) and evaluates. */
    async advance(minutes: number) {
      now = new Date(now.getTime() + minutes * MIN);
      worker = { ...worker, lastTickAt: now.toISOString() };
      await service.evaluate();
    },
    setFailed: (n: number) => (failed = n),
    setWorker: (w: Partial<WorkerSnapshot>) => (worker = { ...worker, ...w }),
    deferred,
    /** Runs the queued evaluations (deferred by emit/attach) and waits for them to finish. */
    async runDeferred() {
      for (const fn of deferred.splice(0)) fn();
      await settled();
    },
    changes: () => sent.map((n) => (n.kind === 'alert' ? `${n.change}:${n.alert.rule}:${n.alert.level}` : n.kind)),
  };
}

describe('AlertService', () => {
  let h: ReturnType<typeof harness>;
  beforeEach(() => {
    h = harness();
  });

  it('a job killed by the encode watchdog raises encode_stuck with its reason, until a job completes', async () => {
    h.service.emit({ type: 'job_failed', key: 'local-j1', code: 'source_timeout', message: 'slow', final: false });
    h.service.emit({ type: 'job_failed', key: 'local-j2', code: 'encode_stalled', message: 'no progress for 300 s', final: false });
    await h.runDeferred();
    assert.deepEqual(h.changes(), ['opened:encode_stuck:warning']);
    assert.match(h.repo.active()[0]?.message ?? '', /local-j2: no progress for 300 s \(encode_stalled; will be retried\)/);
    h.service.emit({ type: 'job_completed', key: 'local-j3', processingMs: 1, sourceBytes: 1, outputBytes: 1, rungs: 1 });
    await h.runDeferred();
    assert.deepEqual(h.changes(), ['opened:encode_stuck:warning', 'resolved:encode_stuck:warning']);
  });

  it('opens an alert once, stores it, and repeats it at most every ALERT_COOLDOWN', async () => {
    await h.tick(0, { memory: 85 });
    assert.deepEqual(h.changes(), ['opened:memory:warning']);
    const [alert] = h.repo.active();
    assert.equal(alert?.status, 'open');
    assert.equal(alert?.notifications, 1);
    for (let i = 0; i < 29; i += 1) await h.tick(1, { memory: 86 });
    assert.deepEqual(h.changes(), ['opened:memory:warning'], 'nothing new within the cooldown');
    assert.equal(h.repo.active()[0]?.firstSeenAt, alert?.firstSeenAt);
    assert.match(h.repo.active()[0]?.message ?? '', /86%/, 'the message follows the latest reading');
    await h.tick(1, { memory: 86 });
    assert.deepEqual(h.changes(), ['opened:memory:warning', 'repeated:memory:warning']);
  });

  it('sends a resolved message when the condition clears, and keeps the alert in history', async () => {
    await h.tick(0, { disk: 90 });
    await h.tick(1, { disk: 50 });
    assert.deepEqual(h.changes(), ['opened:disk:warning', 'resolved:disk:warning']);
    assert.equal(h.repo.active().length, 0);
    const [resolved] = h.repo.recentResolved(5);
    assert.equal(resolved?.status, 'resolved');
    assert.equal(resolved?.resolvedAt, '2025-10-22T12:01:00.000Z');
  });

  it('announces an escalation to critical at once, even within the cooldown', async () => {
    await h.tick(0, { memory: 85 });
    await h.tick(1, { memory: 97 });
    assert.deepEqual(h.changes(), ['opened:memory:warning', 'escalated:memory:critical']);
    assert.equal(h.repo.active()[0]?.level, 'critical');
  });

  it('does not flood the channels when a condition flaps around its threshold', async () => {
    for (let i = 0; i < 10; i += 1) await h.tick(1, { memory: i % 2 === 0 ? 85 : 70 });
    assert.deepEqual(h.changes(), ['opened:memory:warning', 'resolved:memory:warning'], 'one open and its resolution per cooldown');
    assert.equal(h.repo.recentResolved(10).length, 5, 'every episode is still recorded');
  });

  it('stops repeating an acknowledged alert but still announces its resolution', async () => {
    await h.tick(0, { cpu: 100 });
    await h.tick(6, { cpu: 100 });
    assert.deepEqual(h.changes(), ['opened:cpu:critical']);
    const id = h.repo.active()[0]!.id;
    assert.equal((await h.service.acknowledge(id, 'ops'))?.acknowledgedBy, 'ops');
    assert.equal(await h.service.acknowledge(id, 'ops'), null, 'only open alerts can be acknowledged');
    for (let i = 0; i < 7; i += 1) await h.tick(10, { cpu: 100 });
    assert.deepEqual(h.changes(), ['opened:cpu:critical']);
    await h.tick(1, { cpu: 5 });
    assert.deepEqual(h.changes(), ['opened:cpu:critical', 'resolved:cpu:critical']);
  });

  it('leaves system alerts alone while no fresh reading exists (sampler down)', async () => {
    await h.tick(0, { memory: 90 });
    await h.advance(5);
    assert.equal(h.repo.active()[0]?.rule, 'memory', 'not resolved for lack of data');
    assert.deepEqual(h.changes(), ['opened:memory:warning']);
    await h.tick(0, { memory: 40 });
    assert.deepEqual(h.changes(), ['opened:memory:warning', 'resolved:memory:warning']);
  });

  it('turns pipeline events into alerts without waiting: emit only queues an evaluation', async () => {
    h.service.emit({ type: 'worker_crashed', key: 'local-j1', reason: 'FFmpeg was killed by signal SIGKILL' });
    h.service.emit({ type: 'job_failed', key: 'local-j1', code: 'ffmpeg_failed', message: 'x', final: false });
    assert.equal(h.sent.length, 0, 'nothing happens inside emit');
    assert.equal(h.deferred.length, 1, 'one evaluation for a burst of events');
    h.deferred.shift()?.();
    await settled();
    assert.deepEqual(h.changes(), ['opened:worker_crashed:critical']);
    assert.match(h.repo.active()[0]?.message ?? '', /Worker crashed on local-j1: FFmpeg was killed/);
    h.service.emit({ type: 'job_completed', key: 'local-j2', processingMs: 1000, sourceBytes: 1, outputBytes: 2, rungs: 3 });
    h.deferred.shift()?.();
    await settled();
    assert.deepEqual(
      h.changes(),
      ['opened:worker_crashed:critical', 'resolved:worker_crashed:critical'],
      'a completed job clears the crash',
    );
  });

  it('a crash alert survives a restart and clears at the next completed job, not at boot', async () => {
    h.service.emit({ type: 'worker_crashed', key: null, reason: '1 job(s) were in flight' });
    h.deferred.shift()?.();
    await settled();
    const again = harness(h.db);
    await again.tick(1);
    assert.deepEqual(again.changes(), [], 'no resolve, no second announcement (it was sent before the restart)');
    assert.equal(again.repo.active()[0]?.rule, 'worker_crashed');
  });

  it('raises the failed-jobs warning and a disconnected source, then resolves both', async () => {
    h.setFailed(6);
    h.setWorker({
      sources: [
        {
          kind: 'local',
          connected: false,
          pending: 0,
          lastPollAt: '2025-10-22T12:00:00Z',
          lastError: 'database is locked',
          lastErrorCode: 'cms_error',
        },
      ],
    });
    await h.tick(1);
    assert.deepEqual(h.changes().sort(), ['opened:failed_jobs:warning', 'opened:source:local:critical']);
    h.setFailed(0);
    h.setWorker({
      sources: [{ kind: 'local', connected: true, pending: 0, lastPollAt: '2025-10-22T12:01:00Z', lastError: null, lastErrorCode: null }],
    });
    await h.tick(1);
    assert.equal(h.changes().filter((c) => c.startsWith('resolved:')).length, 2);
  });

  it('evaluates nothing before the worker is attached, and nothing after stop', async () => {
    const db = openDatabase(':memory:');
    const sent: Notification[] = [];
    const service = new AlertService({
      repo: promised(new AlertRepository(db)),
      notify: (n) => sent.push(n),
      thresholds: THRESHOLDS,
      cooldownMs: COOLDOWN,
      pollPeriodMs: 2 * MIN,
      samples: () => [sample(Date.parse('2025-10-22T12:00:00Z'), { memory: 99 })],
      failedSince: async () => 0,
      now: () => new Date('2025-10-22T12:00:00Z'),
      log: silentLogger(),
      defer: (fn) => fn(),
    });
    service.emit({ type: 'worker_crashed', key: null, reason: 'boot' });
    await settled();
    assert.equal(sent.length, 0);
    service.attach(() => snapshot({ now: new Date('2025-10-22T12:00:00Z') }));
    await settled();
    assert.deepEqual(sent.map((n) => (n.kind === 'alert' ? n.alert.rule : '')).sort(), ['memory', 'worker_crashed']);
    service.stop();
    service.emit({ type: 'disk_full', key: 'local-j3', message: 'no space' });
    await settled();
    assert.equal(sent.length, 2);
  });
});
