/** The local source (storage/state.db's `jobs` table) against the CmsSource contract. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { LocalSource } from '../../src/sources/local-source.js';
import { openDatabase } from '../../src/store/database.js';
import { JobRepository } from '../../src/store/job-repository.js';
import { cmsSourceContract } from './cms-source-contract.js';

const LEASE_SECONDS = 120;
const tmp = mkdtempSync(path.join(tmpdir(), 'vc-contract-local-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let files = 0;

cmsSourceContract('local (SQLite store)', async () => {
  let clock = Date.parse('2024-05-01T12:00:00.000Z');
  const now = (): Date => new Date(clock);
  const file = path.join(tmp, `state-${(files += 1)}.db`);
  const db = openDatabase(file);
  // The other worker is another daemon: its own connection to the same file.
  const rivalDb = openDatabase(file);
  const jobs = new JobRepository({ db, now });
  const rivalJobs = new JobRepository({ db: rivalDb, now });
  return {
    source: new LocalSource({ jobs, workerId: 'host-a:1', leaseSeconds: LEASE_SECONDS, now }),
    workerId: 'host-a:1',
    rival: new LocalSource({ jobs: rivalJobs, workerId: 'host-b:2', leaseSeconds: LEASE_SECONDS, now }),
    rivalId: 'host-b:2',
    leaseSeconds: LEASE_SECONDS,
    clock: {
      now,
      advance: async (ms) => {
        clock += ms;
      },
    },
    createRecord: async ({ priority = 5, title } = {}) => {
      const sourceUrl = `https://cdn.test/videos/${files}-${clock}.mp4`;
      const job = jobs.create({ sourceUrl, priority, title: title ?? null });
      // A second between records: created_at orders them.
      clock += 1000;
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
});
