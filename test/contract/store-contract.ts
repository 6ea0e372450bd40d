import { afterEach, beforeEach, describe } from 'node:test';
import type { Store } from '../../src/store/store.js';
import { jobEditsContract } from './store-contract-job-edits.js';
import { jobsContract } from './store-contract-jobs.js';
import { ledgerContract } from './store-contract-ledger.js';
import { alertsContract, callbacksContract, orphansContract } from './store-contract-misc.js';
import type { StoreHarness } from './store-contract-support.js';
import { workersContract } from './store-contract-workers.js';

const START = Date.parse('2024-05-01T12:00:00.000Z');

/**
 * The store's behaviour, through its async interface only, for every backend: `open` gives a
 * fresh, empty, migrated store reading the given clock; each test gets its own and closes it.
 */
export function storeContract(name: string, open: (now: () => Date) => Promise<Store>): void {
  describe(`store contract: ${name}`, () => {
    let clock = START;
    let current: Store | undefined;
    const now = (): Date => new Date(clock);
    const harness: StoreHarness = {
      get store(): Store {
        if (!current) throw new Error('no store open');
        return current;
      },
      now,
      tick: (ms = 1000) => {
        clock += ms;
      },
      at: (iso) => {
        clock = Date.parse(iso);
      },
    };
    beforeEach(async () => {
      clock = START;
      current = await open(now);
    });
    afterEach(async () => {
      await current?.close();
      current = undefined;
    });
    jobsContract(harness);
    jobEditsContract(harness);
    ledgerContract(harness);
    alertsContract(harness);
    orphansContract(harness);
    callbacksContract(harness);
    workersContract(harness);
  });
}
