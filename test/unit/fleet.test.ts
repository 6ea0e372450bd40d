import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkerControl } from '../../src/domain/worker.js';
import { fleetView } from '../../src/http/admin/fleet-model.js';
import { FleetBeacon, LOST_AFTER_MS } from '../../src/pipeline/fleet-beacon.js';
import type { PipelineTimers } from '../../src/pipeline/timers.js';
import { AppError } from '../../src/errors.js';
import { openDatabase } from '../../src/store/database.js';
import { promised } from '../../src/store/store.js';
import { WorkerRegistry, type FleetWorker } from '../../src/store/worker-registry.js';
import { capturingLogger } from '../helpers/appwrite-fixtures.js';
import { snapshot } from '../helpers/monitoring-fixtures.js';

const NOW = new Date('2026-12-01T12:00:00.000Z');
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();

function worker(workerId: string, extra: Partial<FleetWorker> = {}): FleetWorker {
  return {
    workerId,
    host: 'enc',
    version: '1.0.0',
    state: 'WAITING',
    jobs: [],
    startedAt: ago(3_600_000),
    heartbeatAt: ago(5000),
    stoppedAt: null,
    ...extra,
  };
}

describe('fleet view', () => {
  it('shows running workers first with their jobs, then lost ones (silent too long), then those stopped cleanly within the hour', () => {
    const view = fleetView(
      [
        worker('z-stopped', { state: 'STOPPED', stoppedAt: ago(60_000), heartbeatAt: ago(60_000) }),
        worker('y-lost', {
          state: 'PROCESSING',
          heartbeatAt: ago(LOST_AFTER_MS + 1),
          jobs: [{ key: 'local-j9', title: null, percent: 10, step: 'encoding' }],
        }),
        worker('x-busy', { state: 'PROCESSING', jobs: [{ key: 'local-j1', title: 'Intro', percent: 42, step: 'encoding' }] }),
        worker('w-idle', { heartbeatAt: ago(LOST_AFTER_MS) }),
        worker('v-yesterday', { state: 'STOPPED', stoppedAt: ago(3_600_001), heartbeatAt: ago(3_600_001) }),
      ],
      NOW,
      LOST_AFTER_MS,
    );
    assert.deepEqual(
      view.map((w) => [w.workerId, w.state, w.level, w.jobs, w.heartbeat]),
      [
        ['w-idle', 'WAITING', 'ok', '—', '30 s ago'],
        ['x-busy', 'PROCESSING', 'ok', 'local-j1 42% (encoding)', '5 s ago'],
        ['y-lost', 'LOST', 'warning', 'local-j9 10% (encoding)', '30 s ago'],
        ['z-stopped', 'STOPPED', 'muted', '—', '1 min ago'],
      ],
    );
  });
});

/** Timers the test fires by hand. */
function manualTimers(): PipelineTimers & { fire: () => void } {
  const fns = new Set<() => void>();
  return {
    every: (_ms, fn) => {
      fns.add(fn);
      return () => void fns.delete(fn);
    },
    sleep: async () => undefined,
    fire: () => fns.forEach((fn) => fn()),
  };
}

describe('FleetBeacon', () => {
  const control = (active = 0): WorkerControl =>
    ({
      snapshot: () => ({
        ...snapshot({ now: NOW }),
        workerId: 'enc:42',
        active: Array.from({ length: active }, (_, i) => ({
          key: `local-j${i}`,
          source: 'local' as const,
          recordId: `j${i}`,
          title: null,
          step: 'encoding' as const,
          percent: 50,
          rung: null,
          etaSeconds: null,
          startedAt: NOW.toISOString(),
        })),
      }),
    }) as unknown as WorkerControl;

  it('beats at start and at every interval with the jobs in progress, and marks the worker stopped at shutdown', async () => {
    const registry = new WorkerRegistry(openDatabase(':memory:'));
    const timers = manualTimers();
    let active = 0;
    let clock = NOW.getTime();
    const beacon = new FleetBeacon({
      workers: promised(registry),
      worker: { snapshot: () => control(active).snapshot() } as WorkerControl,
      host: 'enc',
      version: '1.0.0',
      now: () => new Date(clock),
      log: capturingLogger().log,
      timers,
    });
    beacon.start();
    await beacon.beat();
    assert.deepEqual(
      registry.list().map((w) => [w.workerId, w.jobs.length, w.heartbeatAt]),
      [['enc:42', 0, NOW.toISOString()]],
    );
    active = 2;
    clock += 10_000;
    timers.fire();
    await beacon.beat();
    assert.equal(registry.list()[0]?.jobs.length, 2);
    assert.equal(registry.list()[0]?.heartbeatAt, new Date(clock).toISOString());
    await beacon.stop();
    assert.deepEqual([registry.list()[0]?.state, registry.list()[0]?.jobs], ['STOPPED', []]);
  });

  it('logs a failing store once until a beat succeeds again, and never throws', async () => {
    let down = true;
    const captured = capturingLogger();
    const beats: string[] = [];
    const beacon = new FleetBeacon({
      workers: {
        beat: async (b) => {
          if (down) throw new AppError('store_unavailable', 'PostgreSQL is down');
          beats.push(b.workerId);
        },
        stop: async () => undefined,
        prune: async () => 0,
      },
      worker: control(),
      host: 'enc',
      version: '1.0.0',
      now: () => NOW,
      log: captured.log,
      timers: manualTimers(),
    });
    await beacon.beat();
    await beacon.beat();
    down = false;
    await beacon.beat();
    assert.deepEqual(beats, ['enc:42']);
    assert.equal(captured.text().match(/could not record this worker in the fleet/g)?.length, 1);
    assert.match(captured.text(), /fleet beat recorded again/);
  });
});
