/** The in-memory source of the unit tests (test/fakes/memory-source.ts) against the CmsSource contract: the fake behaves as the real sources do. */
import { MemorySource } from '../fakes/memory-source.js';
import { cmsSourceContract } from './cms-source-contract.js';

const LEASE_SECONDS = 120;

cmsSourceContract('memory (test fake)', async () => {
  let clock = Date.parse('2024-05-01T12:00:00.000Z');
  const now = (): Date => new Date(clock);
  const source = new MemorySource({ workerId: 'host-a:1', leaseSeconds: LEASE_SECONDS, now });
  let n = 0;
  return {
    source,
    workerId: 'host-a:1',
    rival: source.asWorker('host-b:2'),
    rivalId: 'host-b:2',
    leaseSeconds: LEASE_SECONDS,
    clock: {
      now,
      advance: async (ms) => {
        clock += ms;
      },
    },
    createRecord: async ({ priority = 5, title } = {}) => {
      const id = `rec-${(n += 1)}`;
      const record = source.add(id, { priority, title: title ?? null });
      clock += 1000;
      return { id, sourceUrl: record.sourceUrl };
    },
    readRecord: async (id) => source.get(id),
    cancel: async (id) => source.cancel(id),
    reclaimError: (worker) => new RegExp(`^lease expired \\(worker ${worker}\\)$`),
    cleanup: async () => undefined,
  };
});
