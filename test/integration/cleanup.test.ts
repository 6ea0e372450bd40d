import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { silentLogger } from '../../src/logging/logger.js';
import { DailyCleanup, TEMP_MAX_AGE_MS, type DailyCleanupOptions } from '../../src/pipeline/daily-cleanup.js';
import type { GcReport } from '../../src/pipeline/ladder-gc.js';
import type { ScheduledTask } from '../../src/domain/schedule.js';
import { createWorkspace } from '../../src/pipeline/workspace.js';
import { openDatabase } from '../../src/store/database.js';
import { JobRepository } from '../../src/store/job-repository.js';
import { Ledger } from '../../src/store/ledger.js';
import { promised } from '../../src/store/store.js';
import { waitFor } from '../helpers/appwrite-fixtures.js';
import { startTestDaemon } from '../helpers/test-daemon.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const log = silentLogger();
const dirs: string[] = [];

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

async function age(dir: string, ms: number): Promise<void> {
  const when = new Date(Date.now() - ms);
  await utimes(dir, when, when);
}

/** A scheduler that records what was scheduled and fires it on demand. */
function manualScheduler() {
  const tasks: { cron: string; fn: () => void; stopped: boolean }[] = [];
  const schedule = (cron: string, fn: () => void): ScheduledTask => {
    const task = { cron, fn, stopped: false };
    tasks.push(task);
    return { stop: () => void (task.stopped = true) };
  };
  return { tasks, schedule };
}

after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const NO_LADDERS: GcReport = { scanned: 0, orphans: 0, removed: [], kept: [], skippedSources: [] };

/** A cleanup whose steps do nothing unless given. */
function cleanupWith(options: Pick<DailyCleanupOptions, 'tempDir'> & Partial<DailyCleanupOptions>): DailyCleanup {
  return new DailyCleanup({
    ledger: { prune: async () => 0 },
    ledgerRetentionDays: 90,
    jobs: { trimEnded: async () => 0 },
    jobRetentionDays: 90,
    ladderGc: { run: async () => NO_LADDERS },
    cron: '30 3 * * *',
    schedule: manualScheduler().schedule,
    log,
    now: () => new Date(),
    ...options,
  });
}

describe('daily cleanup: storage/temp', () => {
  it('removes leftovers older than 24 h and never a live worker’s directory, whatever its age', async () => {
    const storage = await tempDir('vc-cleanup-');
    const temp = path.join(storage, 'temp');
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.once('exit', resolve));
    try {
      const plant = async (name: string, owner: string | null, ageMs: number) => {
        if (owner === null) await mkdir(path.join(temp, name), { recursive: true });
        else await createWorkspace(temp, name, owner);
        await writeFile(path.join(temp, name, 'source'), 'x');
        await age(path.join(temp, name), ageMs);
      };
      await plant('dead-old', `${hostname()}:${dead.pid}`, 25 * HOUR);
      await plant('dead-recent', `${hostname()}:${dead.pid}`, 1 * HOUR);
      await plant('ownerless-old', null, 30 * HOUR);
      // A `transcode` run writes no owner file: only age tells.
      await plant('ownerless-recent', null, 2 * HOUR);
      await plant('live-old', `${hostname()}:${live.pid}`, 72 * HOUR);
      // This daemon's own running job (a long encode whose directory has not changed for a day).
      await plant('own-old', `${hostname()}:${process.pid}`, 48 * HOUR);
      await plant('foreign-old', 'other-host:42', 25 * HOUR);
      await plant('foreign-recent', 'other-host:43', 3 * HOUR);

      const db = openDatabase(path.join(storage, 'state.db'));
      const cleanup = cleanupWith({ tempDir: temp, ledger: promised(new Ledger({ db, now: () => new Date() })) });
      const report = await cleanup.run();
      db.close();

      assert.equal(report.tempRemoved, 3);
      assert.deepEqual((await readdir(temp)).sort(), ['dead-recent', 'foreign-recent', 'live-old', 'own-old', 'ownerless-recent']);
      assert.ok(existsSync(path.join(temp, 'live-old', 'source')), 'a live worker’s files are untouched');
    } finally {
      live.kill();
    }
  });

  it('is scheduled with CLEANUP_CRON, joins a run in progress, and stops', async () => {
    const storage = await tempDir('vc-cleanup-');
    const db = openDatabase(path.join(storage, 'state.db'));
    const { tasks, schedule } = manualScheduler();
    let prunes = 0;
    const ledger = {
      prune: async () => {
        prunes += 1;
        return 0;
      },
    };
    const cleanup = cleanupWith({ tempDir: path.join(storage, 'temp'), ledger, cron: '15 4 * * *', schedule });
    cleanup.start();
    cleanup.start();
    assert.equal(tasks.length, 1, 'one schedule');
    assert.equal(tasks[0]?.cron, '15 4 * * *');
    const [a, b] = [cleanup.run(), cleanup.run()];
    assert.equal(a, b, 'a second run while one is in progress joins it');
    await a;
    assert.equal(prunes, 1);
    tasks[0]?.fn();
    await cleanup.stop();
    assert.equal(prunes, 2, 'the scheduled callback runs the cleanup, and stop() waits for it');
    assert.equal(tasks[0]?.stopped, true);
    db.close();
  });

  it('survives failing steps and still runs the others', async () => {
    const storage = await tempDir('vc-cleanup-');
    const temp = path.join(storage, 'temp');
    await mkdir(path.join(temp, 'old'), { recursive: true });
    await age(path.join(temp, 'old'), 2 * DAY);
    const locked = async (): Promise<number> => {
      throw new Error('database is locked');
    };
    const cleanup = cleanupWith({
      tempDir: temp,
      ledger: { prune: locked },
      jobs: { trimEnded: locked },
      ladderGc: { run: () => Promise.reject(new Error('EACCES: storage/hls')) },
    });
    assert.deepEqual(await cleanup.run(), { tempRemoved: 1, ledgerRemoved: 0, jobsTrimmed: 0, ladders: null, localCopiesRemoved: 0 });

    const gcOnly = cleanupWith({ tempDir: temp, ledger: { prune: locked }, jobs: { trimEnded: async () => 3 } });
    assert.deepEqual(await gcOnly.run(), { tempRemoved: 0, ledgerRemoved: 0, jobsTrimmed: 3, ladders: NO_LADDERS, localCopiesRemoved: 0 });
  });
});

describe('daily cleanup: local jobs and ladders', () => {
  it('trims local jobs ended more than JOB_RETENTION_DAYS ago and collects orphan ladders, reporting both', async () => {
    const storage = await tempDir('vc-retention-');
    const db = openDatabase(path.join(storage, 'state.db'));
    let clock = Date.parse('2026-01-01T12:00:00Z');
    const now = (): Date => new Date(clock);
    const jobs = new JobRepository({ db, now });
    const ended = (): string => {
      const job = jobs.create({ sourceUrl: 'https://videos.test/a.mp4', priority: 5, title: null });
      return jobs.cancel(job.id).id;
    };
    const old = ended();
    clock += 20 * DAY;
    const recent = ended();
    const waiting = jobs.create({ sourceUrl: 'https://videos.test/b.mp4', priority: 5, title: null }).id;
    clock += 20 * DAY;
    let gcRuns = 0;
    const ladders: GcReport = { ...NO_LADDERS, scanned: 2, orphans: 1, removed: [{ key: 'appwrite-x', bytes: 42 }] };
    const cleanup = cleanupWith({
      tempDir: path.join(storage, 'temp'),
      jobs: promised(jobs),
      jobRetentionDays: 30,
      ledgerRetentionDays: 90,
      ladderGc: {
        run: async () => {
          gcRuns += 1;
          return ladders;
        },
      },
      now,
    });
    const report = await cleanup.run();
    assert.equal(report.jobsTrimmed, 1);
    assert.equal(report.ladders, ladders);
    assert.equal(gcRuns, 1);
    assert.equal(jobs.get(old), null, 'ended 40 days ago');
    assert.notEqual(jobs.get(recent), null, 'ended 20 days ago');
    assert.equal(jobs.get(waiting)?.status, 'pending', 'a job that has not ended stays, however old');
    db.close();
  });
});

describe('daily cleanup: the ledger', () => {
  it('deletes attempts older than LEDGER_RETENTION_DAYS, in batches, and keeps attempts still in processing', async () => {
    const storage = await tempDir('vc-ledger-');
    const db = openDatabase(path.join(storage, 'state.db'));
    let clock = new Date('2026-01-01T12:00:00Z');
    const ledger = new Ledger({ db, now: () => clock });
    const attempt = (daysAgo: number, finish: boolean) => {
      const at = new Date(Date.parse('2026-06-01T12:00:00Z') - daysAgo * DAY);
      clock = at;
      const id = ledger.start({ key: `local-d${daysAgo}`, source: 'local', recordId: `d${daysAgo}`, title: null, workerId: 'w:1' });
      if (finish) ledger.finish(id, { status: 'completed', outputBytes: 1 });
    };
    for (let i = 0; i < 7; i += 1) attempt(91 + i, true);
    attempt(200, false);
    attempt(89, true);
    attempt(1, true);
    clock = new Date('2026-06-01T12:00:00Z');

    const removed = ledger.prune(new Date(clock.getTime() - 90 * DAY), 3);
    assert.equal(removed, 7);
    const left = db.prepare('SELECT record_id, status FROM ledger ORDER BY record_id').all();
    assert.deepEqual(left, [
      { record_id: 'd1', status: 'completed' },
      { record_id: 'd200', status: 'processing' },
      { record_id: 'd89', status: 'completed' },
    ]);
    db.close();
  });
});

describe('daily cleanup in the daemon', () => {
  it('runs on CLEANUP_CRON while the daemon runs and stops with it', async () => {
    // Every second (node-cron's six-field form), so the test sees a run.
    const daemon = await startTestDaemon({ CLEANUP_CRON: '* * * * * *', LEDGER_RETENTION_DAYS: '30' });
    try {
      const temp = path.join(daemon.storageDir, 'temp');
      await mkdir(path.join(temp, 'crashed-long-ago'), { recursive: true });
      await age(path.join(temp, 'crashed-long-ago'), TEMP_MAX_AGE_MS + HOUR);
      const db = new Database(path.join(daemon.storageDir, 'state.db'));
      const insert = db.prepare(
        "INSERT INTO ledger (job_key, source, record_id, worker_id, status, started_at, finished_at) VALUES (?, 'local', ?, 'w:1', 'completed', ?, ?)",
      );
      const old = new Date(Date.now() - 31 * DAY).toISOString();
      const recent = new Date(Date.now() - 29 * DAY).toISOString();
      insert.run('local-old', 'old', old, old);
      insert.run('local-recent', 'recent', recent, recent);
      // The cron fires on its own: wait for its effect (bounded only so that a cron that never runs fails).
      const rows = (): number => (db.prepare('SELECT COUNT(*) AS n FROM ledger').get() as { n: number }).n;
      await waitFor('the scheduled cleanup', () => rows() === 1 && !existsSync(path.join(temp, 'crashed-long-ago')), {
        timeoutMs: 60_000,
        everyMs: 100,
      });
      assert.deepEqual(db.prepare('SELECT record_id FROM ledger').all(), [{ record_id: 'recent' }]);
      assert.equal(existsSync(path.join(temp, 'crashed-long-ago')), false);
      db.close();
    } finally {
      await daemon.close();
      await rm(daemon.storageDir, { recursive: true, force: true });
    }
  });
});
