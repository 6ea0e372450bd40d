import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkerBeat } from '../../src/store/worker-registry.js';
import type { StoreHarness } from './store-contract-support.js';

/** The fleet: each daemon's latest beat, its clean stop, and forgetting the long gone. */
export function workersContract(h: StoreHarness): void {
  const beat = (workerId: string, extra: Partial<WorkerBeat> = {}): WorkerBeat => ({
    workerId,
    host: 'encoder-1',
    version: '1.2.3',
    state: 'WAITING',
    jobs: [],
    startedAt: '2024-05-01T11:00:00.000Z',
    ...extra,
  });

  describe('workers', () => {
    it('keeps the latest beat of each worker, by id, with its jobs', async () => {
      await h.store.workers.beat(beat('b:2'), h.now());
      await h.store.workers.beat(beat('a:1'), h.now());
      h.tick(10_000);
      const jobs = [{ key: 'local-j1', title: 'Intro', percent: 42, step: 'encoding' }];
      await h.store.workers.beat(beat('a:1', { state: 'PROCESSING', jobs }), h.now());
      assert.deepEqual(await h.store.workers.list(), [
        { ...beat('a:1', { state: 'PROCESSING', jobs }), heartbeatAt: h.now().toISOString(), stoppedAt: null },
        { ...beat('b:2'), heartbeatAt: '2024-05-01T12:00:00.000Z', stoppedAt: null },
      ]);
    });

    it('marks a clean stop (no jobs), and a new beat of the same id runs again', async () => {
      await h.store.workers.beat(beat('a:1', { jobs: [{ key: 'local-j1', title: null, percent: 5, step: 'downloading' }] }), h.now());
      h.tick(5000);
      await h.store.workers.stop('a:1', h.now());
      const [stopped] = await h.store.workers.list();
      assert.deepEqual(
        { state: stopped?.state, jobs: stopped?.jobs, stoppedAt: stopped?.stoppedAt },
        { state: 'STOPPED', jobs: [], stoppedAt: h.now().toISOString() },
      );
      h.tick(5000);
      await h.store.workers.beat(beat('a:1'), h.now());
      assert.equal((await h.store.workers.list())[0]?.stoppedAt, null);
    });

    it('forgets workers not heard of since a date', async () => {
      await h.store.workers.beat(beat('old:1'), h.now());
      h.tick(86_400_000);
      await h.store.workers.beat(beat('new:2'), h.now());
      assert.equal(await h.store.workers.prune(new Date(h.now().getTime() - 3_600_000)), 1);
      assert.deepEqual(
        (await h.store.workers.list()).map((w) => w.workerId),
        ['new:2'],
      );
    });
  });
}
