import { publishResultFor } from '../helpers/publish-result.js';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { missingLadderIds, parseRequeueArgs } from '../../src/commands/requeue-command.js';
import { LocalSource } from '../../src/sources/local-source.js';
import { LocalLadderTarget } from '../../src/publish/ladder-target.js';
import type { PublishResult } from '../../src/domain/rendition.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { JobRepository, type JobRow } from '../../src/store/job-repository.js';
import { promised } from '../../src/store/store.js';

const exec = promisify(execFile);
const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
const TSX = import.meta.resolve('tsx');
const LEASE = 300;

let clock = Date.parse('2026-03-01T10:00:00.000Z');
const now = (): Date => new Date(clock);

const RESULT: PublishResult = publishResultFor('local-x', { base: 'https://cdn.test' });

/** A store with jobs in every state: 3 completed, 2 failed, 1 processing, 1 cancelled, 1 pending. */
function seed(repo: JobRepository): Record<string, JobRow[]> {
  const add = (): JobRow => {
    clock += 1000;
    return repo.create({ sourceUrl: 'https://videos.test/a.mp4', priority: 5, title: null });
  };
  const claimed = (): JobRow => {
    const job = add();
    return repo.claim(job.id, 'w:1', job, LEASE)!;
  };
  const completed = [claimed(), claimed(), claimed()];
  for (const job of completed) repo.complete(job.id, 'w:1', RESULT);
  const failed = [claimed(), claimed()];
  for (const job of failed) {
    repo.fail(job.id, 'w:1', {
      status: 'failed',
      error: 'The source server answered 404',
      errorCode: 'source_not_found',
      retryCount: 3,
      retryErrors: ['a', 'b', 'c'],
      lastRetryAt: now().toISOString(),
      nextAttemptAt: null,
    });
  }
  const processing = [claimed()];
  const cancelled = [add()];
  repo.cancel(cancelled[0]!.id);
  const pending = [add()];
  return { completed, failed, processing, cancelled, pending };
}

async function cli(dir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', TSX, CLI, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, STORAGE_DIR: path.join(dir, 'storage') },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('video-compressor requeue (local source)', () => {
  let dir: string;
  let db: Database;
  let repo: JobRepository;
  let jobs: Record<string, JobRow[]>;
  const statusOf = (job: JobRow) => repo.get(job.id)!;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'vc-requeue-'));
    await mkdir(path.join(dir, 'storage'));
    db = openDatabase(path.join(dir, 'storage', 'state.db'));
    repo = new JobRepository({ db, now });
    jobs = seed(repo);
  });

  after(async () => {
    db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('--dry-run counts what would be requeued and changes nothing', async () => {
    const before = db.prepare('SELECT * FROM jobs ORDER BY id').all();
    const { code, stdout } = await cli(dir, ['requeue', '--status', 'all', '--dry-run']);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /local: 5 record\(s\) match \(2 failed, 3 completed\)/);
    assert.match(stdout, /local: 1 record\(s\) in processing left alone/);
    assert.match(stdout, /dry run, nothing changed/);
    assert.deepEqual(db.prepare('SELECT * FROM jobs ORDER BY id').all(), before);
  });

  it('refuses bad arguments and sources that are not enabled', async () => {
    const noStatus = await cli(dir, ['requeue']);
    assert.equal(noStatus.code, 2);
    assert.match(noStatus.stderr, /--status must be one of failed, completed, all/);
    const disabled = await cli(dir, ['requeue', '--status', 'failed', '--source', 'appwrite']);
    assert.equal(disabled.code, 2);
    assert.match(disabled.stderr, /Source "appwrite" is not enabled \(SOURCES=local\)/);
    assert.match(problemOf(parseRequeueArgs(['--status', 'all', '--priority', '11'])), /--priority/);
    assert.match(problemOf(parseRequeueArgs(['--status', 'all', '--batch', '0'])), /--batch/);
    assert.match(problemOf(parseRequeueArgs(['--status', 'all', '--wat'])), /Unknown option/);
  });

  it('--status all sends failed and completed records back to pending in batches, cleared, at low priority', async () => {
    const { code, stdout } = await cli(dir, ['requeue', '--status', 'all', '--batch', '2']);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /local: 5 record\(s\) pending again at priority 10, in 3 batch\(es\)/);
    assert.match(stdout, /next poll/);

    for (const job of [...jobs.completed!, ...jobs.failed!]) {
      const row = statusOf(job);
      assert.equal(row.status, 'pending');
      assert.equal(row.priority, 10);
      assert.equal(row.retryCount, 0);
      assert.equal(row.nextAttemptAt, null, 'due at once');
      assert.equal(row.claimedBy, null);
      for (const field of ['hlsUrl', 'posterUrl', 'renditions', 'completedAt', 'outputBytes', 'error', 'errorCode'] as const) {
        assert.equal(row[field], null, field);
      }
    }
    assert.deepEqual(statusOf(jobs.failed![0]!).retryErrors, ['a', 'b', 'c'], 'earlier errors stay as history');
    assert.equal(statusOf(jobs.processing![0]!).status, 'processing');
    assert.equal(statusOf(jobs.processing![0]!).claimedBy, 'w:1');
    assert.equal(statusOf(jobs.cancelled![0]!).status, 'cancelled');
    assert.equal(statusOf(jobs.pending![0]!).priority, 5);
  });

  it('requeued records wait behind new uploads at the normal priority, then go oldest first', async () => {
    const source = new LocalSource({ jobs: promised(repo), workerId: 'w:2', leaseSeconds: LEASE });
    clock += 1000;
    const fresh = repo.create({ sourceUrl: 'https://videos.test/new.mp4', priority: 5, title: 'new upload' });
    const { records } = await source.listPending(10);
    const order = records.map((r) => r.id);
    assert.deepEqual(order.slice(0, 2), [jobs.pending![0]!.id, fresh.id]);
    assert.deepEqual(
      order.slice(2),
      [...jobs.completed!, ...jobs.failed!].map((j) => j.id),
    );
  });

  it('--status failed touches only failed records, through the source contract', async () => {
    const store = openDatabase(path.join(dir, 'other.db'));
    try {
      const other = new JobRepository({ db: store, now });
      const seeded = seed(other);
      const source = new LocalSource({ jobs: promised(other), workerId: 'w:2', leaseSeconds: LEASE });
      const batches: number[] = [];
      const result = await source.requeue({ scope: 'failed', priority: 7, batchSize: 1, dryRun: false, onBatch: (n) => batches.push(n) });
      assert.deepEqual(result, { matched: { failed: 2, completed: 0 }, processing: 1, requeued: 2, batches: 2 });
      assert.deepEqual(batches, [1, 2]);
      for (const job of seeded.failed!) assert.equal(other.get(job.id)!.priority, 7);
      for (const job of seeded.completed!) assert.equal(other.get(job.id)!.status, 'completed');
      assert.equal(other.get(seeded.completed![0]!.id)!.hlsUrl, RESULT.hlsUrl);
    } finally {
      store.close();
    }
  });
});

describe('video-compressor requeue --missing-ladder (local source)', () => {
  let dir: string;
  let hlsDir: string;
  let db: Database;
  let repo: JobRepository;
  let jobs: Record<string, JobRow[]>;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'vc-requeue-ladder-'));
    hlsDir = path.join(dir, 'storage', 'hls');
    await mkdir(hlsDir, { recursive: true });
    db = openDatabase(path.join(dir, 'storage', 'state.db'));
    repo = new JobRepository({ db, now });
    jobs = seed(repo);
    clock += 1000;
    const more = [repo.create({ sourceUrl: 'https://videos.test/c.mp4', priority: 5, title: null })];
    for (const job of more) {
      repo.claim(job.id, 'w:1', job, LEASE);
      repo.complete(job.id, 'w:1', RESULT);
    }
    jobs.completed!.push(...more);
    // Every finished record had its ladder; then the storage lost all but one of them, and a
    // second one lost its master playlist (a half-restored copy).
    for (const job of [...jobs.completed!, ...jobs.failed!]) {
      await mkdir(path.join(hlsDir, `local-${job.id}`, 'low'), { recursive: true });
      await writeFile(path.join(hlsDir, `local-${job.id}`, 'master.m3u8'), '#EXTM3U\n');
    }
    const [survivor, halfRestored, ...gone] = jobs.completed!;
    await rm(path.join(hlsDir, `local-${halfRestored!.id}`, 'master.m3u8'));
    for (const job of gone) await rm(path.join(hlsDir, `local-${job.id}`), { recursive: true });
    jobs.survivor = [survivor!];
    jobs.lost = [halfRestored!, ...gone];
  });

  after(async () => {
    db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('implies --status completed, and keeps --status required without it', () => {
    const parsed = parseRequeueArgs(['--missing-ladder']);
    assert.equal(typeof parsed === 'object' && parsed.scope, 'completed');
    assert.equal(typeof parsed === 'object' && parsed.missingLadder, true);
    const all = parseRequeueArgs(['--missing-ladder', '--status', 'all']);
    assert.equal(typeof all === 'object' && all.scope, 'all');
    assert.match(problemOf(parseRequeueArgs(['--dry-run'])), /--status must be one of/);
  });

  it('--dry-run counts the completed records whose ladder is gone and changes nothing', async () => {
    const before = db.prepare('SELECT * FROM jobs ORDER BY id').all();
    const { code, stdout } = await cli(dir, ['requeue', '--missing-ladder', '--dry-run']);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /local: 3 completed record\(s\) without .*master\.m3u8/);
    assert.match(stdout, /local: 3 record\(s\) match \(0 failed, 3 completed\)/);
    assert.deepEqual(db.prepare('SELECT * FROM jobs ORDER BY id').all(), before);
  });

  it('requeues exactly the completed records whose ladder is gone', async () => {
    const { code, stdout } = await cli(dir, ['requeue', '--missing-ladder']);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /local: 3 record\(s\) pending again at priority 10/);
    for (const job of jobs.lost!) assert.equal(repo.get(job.id)!.status, 'pending', job.id);
    assert.equal(repo.get(jobs.survivor![0]!.id)!.status, 'completed', 'its ladder is intact');
    assert.equal(repo.get(jobs.survivor![0]!.id)!.hlsUrl, RESULT.hlsUrl);
    for (const job of jobs.failed!) assert.equal(repo.get(job.id)!.status, 'failed', 'not in the implied scope');
    assert.equal(repo.get(jobs.processing![0]!.id)!.status, 'processing');
  });

  it('counts every record in scope as missing when storage/hls itself is gone', async () => {
    const source = new LocalSource({ jobs: promised(repo), workerId: 'w:2', leaseSeconds: LEASE });
    const ids = await missingLadderIds(source, 'all', new LocalLadderTarget(path.join(dir, 'no-such-volume', 'hls')));
    assert.deepEqual([...ids].sort(), [jobs.survivor![0]!.id, ...jobs.failed!.map((j) => j.id)].sort());
  });
});

/** parseRequeueArgs answers a problem as a string; anything else fails the assertion that follows. */
function problemOf(parsed: ReturnType<typeof parseRequeueArgs>): string {
  return typeof parsed === 'string' ? parsed : JSON.stringify(parsed);
}
