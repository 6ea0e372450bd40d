/** The in-memory source of the unit tests (test/fakes/memory-source.ts) against the CmsSource contract: the fake behaves as the real sources do. */
import { MemorySource } from '../fakes/memory-source.js';
import { cmsSourceContract, type SourceUnderTest } from './cms-source-contract.js';
import { cmsOperationsContract } from './operations-contract.js';
import { manualClock, RIVAL_ID, WORKER_ID } from './source-under-test.js';

const LEASE_SECONDS = 120;

async function underTest(): Promise<SourceUnderTest> {
  const clock = manualClock();
  const now = (): Date => clock.now();
  const source = new MemorySource({ workerId: WORKER_ID, leaseSeconds: LEASE_SECONDS, now });
  let n = 0;
  return {
    source,
    workerId: WORKER_ID,
    rival: source.asWorker(RIVAL_ID),
    rivalId: RIVAL_ID,
    leaseSeconds: LEASE_SECONDS,
    clock,
    createRecord: async ({ priority = 5, title } = {}) => {
      const id = `rec-${(n += 1)}`;
      const record = source.add(id, { priority, title: title ?? null });
      clock.tick(1000);
      return { id, sourceUrl: record.sourceUrl };
    },
    readRecord: async (id) => source.get(id),
    cancel: async (id) => {
      await source.cancel(id);
    },
    reclaimError: (worker) => new RegExp(`^lease expired \\(worker ${worker}\\)$`),
    cleanup: async () => undefined,
  };
}

cmsSourceContract('memory (test fake)', underTest);
cmsOperationsContract('memory (test fake)', underTest);
