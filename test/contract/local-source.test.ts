/** The local source (storage/state.db's `jobs` table) against the CmsSource contract. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { LocalSource } from '../../src/sources/local-source.js';
import { openDatabase } from '../../src/store/database.js';
import { JobRepository } from '../../src/store/job-repository.js';
import { promised } from '../../src/store/store.js';
import { cmsSourceContract, type SourceUnderTest } from './cms-source-contract.js';
import { cmsOperationsContract } from './operations-contract.js';
import { manualClock, RIVAL_ID, WORKER_ID } from './source-under-test.js';

const LEASE_SECONDS = 120;
const tmp = mkdtempSync(path.join(tmpdir(), 'vc-contract-local-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let files = 0;

async function underTest(): Promise<SourceUnderTest> {
  const clock = manualClock();
  const now = (): Date => clock.now();
  const file = path.join(tmp, `state-${(files += 1)}.db`);
  const db = openDatabase(file);
  // The other worker is another daemon: its own connection to the same file.
  const rivalDb = openDatabase(file);
  const jobs = new JobRepository({ db, now });
  const rivalJobs = new JobRepository({ db: rivalDb, now });
  return {
    source: new LocalSource({ jobs: promised(jobs), workerId: WORKER_ID, leaseSeconds: LEASE_SECONDS, now }),
    workerId: WORKER_ID,
    rival: new LocalSource({ jobs: promised(rivalJobs), workerId: RIVAL_ID, leaseSeconds: LEASE_SECONDS, now }),
    rivalId: RIVAL_ID,
    leaseSeconds: LEASE_SECONDS,
    clock,
    createRecord: async ({ priority = 5, title } = {}) => {
      const sourceUrl = `https://cdn.test/videos/${files}-${now().getTime()}.mp4`;
      const job = jobs.create({ sourceUrl, priority, title: title ?? null });
      // A second between records: created_at orders them.
      clock.tick(1000);
      return { id: job.id, sourceUrl };
    },
    readRecord: async (id) => {
      const row = jobs.get(id);
      if (!row) throw new Error(`no job ${id}`);
      return row;
    },
    cancel: async (id) => {
      jobs.cancel(id);
    },
    reclaimError: (worker) => new RegExp(`^lease expired \\(worker ${worker}\\)$`),
    cleanup: async () => {
      rivalDb.close();
      db.close();
    },
  };
}

cmsSourceContract('local (SQLite store)', underTest);
cmsOperationsContract('local (SQLite store)', underTest);
