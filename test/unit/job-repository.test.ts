import { publishResultFor } from '../helpers/publish-result.js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isAppError } from '../../src/errors.js';
import type { Failure } from '../../src/domain/record.js';
import type { PublishResult } from '../../src/domain/rendition.js';
import { isValidRecordId } from '../../src/domain/record.js';
import { MIGRATIONS, openDatabase, type Database } from '../../src/store/database.js';
import { JobRepository, POLL_STATEMENTS, type JobRow } from '../../src/store/job-repository.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LEASE = 300;
const tmp = mkdtempSync(path.join(tmpdir(), 'vc-jobs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

let clock = Date.parse('2024-05-01T12:00:00.000Z');
const now = (): Date => new Date(clock);
const tick = (ms = 1000): void => {
  clock += ms;
};

let db: Database;
let repo: JobRepository;
let fileCounter = 0;

beforeEach(() => {
  clock = Date.parse('2024-05-01T12:00:00.000Z');
  db = openDatabase(path.join(tmp, `jobs-${(fileCounter += 1)}.db`));
  repo = new JobRepository({ db, now });
});

const add = (priority = 5, title: string | null = null): JobRow => {
  const job = repo.create({ sourceUrl: 'https://example.test/v.mp4', priority, title });
  tick();
  return job;
};
const claim = (job: JobRow, worker = 'w1'): JobRow | null => repo.claim(job.id, worker, job, LEASE);
const failure = (fields: Partial<Failure> = {}): Failure => ({
  status: 'pending',
  error: 'boom',
  errorCode: 'source_network_error',
  retryCount: 1,
  retryErrors: ['boom'],
  lastRetryAt: now().toISOString(),
  nextAttemptAt: new Date(clock + 3600_000).toISOString(),
  ...fields,
});
const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (isAppError(err)) return err.code;
    throw err;
  }
  return 'no error';
};

describe('openDatabase', () => {
  it('applies migrations once and is idempotent when opened again', () => {
    const file = path.join(tmp, 'twice.db');
    const first = openDatabase(file);
    new JobRepository({ db: first, now }).create({ sourceUrl: 'https://a.test/x', priority: 5, title: null });
    first.close();
    const second = openDatabase(file);
    assert.equal(second.pragma('user_version', { simple: true }), MIGRATIONS.length);
    assert.equal(second.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(second.pragma('foreign_keys', { simple: true }), 1);
    assert.equal((second.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n, 1);
    second.close();
  });

  it('reads one page per poll: the page walks jobs_poll_idx, the count reads an index and no row', () => {
    const file = path.join(tmp, `plan-${++fileCounter}.db`);
    const planDb = openDatabase(file);
    const jobs = new JobRepository({ db: planDb, now });
    planDb.transaction(() => {
      for (let i = 0; i < 500; i += 1) jobs.create({ sourceUrl: `https://a.test/${i}`, priority: 1 + (i % 5), title: null });
    })();
    planDb.pragma('optimize');
    const plan = (sql: string): string[] =>
      (
        planDb.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ now: now().toISOString(), stale: now().toISOString(), limit: 10 }) as Array<{
          detail: string;
        }>
      ).map((r) => r.detail);
    const page = plan(POLL_STATEMENTS.listDue);
    assert.equal(page.filter((d) => d.startsWith('SEARCH jobs USING INDEX jobs_poll_idx')).length, 2, page.join('\n'));
    assert.ok(!page.some((d) => /^SCAN jobs/.test(d)), page.join('\n'));
    const count = plan(POLL_STATEMENTS.countDue).filter((d) => d.includes('jobs'));
    assert.equal(count.length, 2);
    assert.ok(
      count.every((d) => d.startsWith('SEARCH jobs USING COVERING INDEX jobs_due_idx')),
      count.join('\n'),
    );
    assert.equal(jobs.listDue({ limit: 10, leaseSeconds: LEASE }).total, 500);
    planDb.close();
  });

  it('refuses statuses and priorities outside the schema', () => {
    const insert = (status: string, priority: number) => () =>
      db
        .prepare(`INSERT INTO jobs (id, source_url, status, priority, created_at, updated_at) VALUES (?, 'u', ?, ?, 'x', 'x')`)
        .run(`j${status}${priority}`, status, priority);
    assert.throws(insert('weird', 5), /CHECK/);
    assert.throws(insert('pending', 11), /CHECK/);
    assert.throws(insert('pending', 0), /CHECK/);
  });
});

describe('JobRepository', () => {
  it('creates pending jobs with valid record ids and defaults', () => {
    const job = add(3, 'hello');
    assert.match(job.id, /^j[0-9a-f]{20}$/);
    assert.ok(isValidRecordId(job.id));
    assert.equal(job.status, 'pending');
    assert.equal(job.priority, 3);
    assert.equal(job.title, 'hello');
    assert.deepEqual(job.retryErrors, []);
    assert.equal(job.createdAt, '2024-05-01T12:00:00.000Z');
    assert.deepEqual(repo.get(job.id), job);
    assert.equal(repo.get('missing'), null);
  });

  it('excludes pending jobs whose next attempt is in the future until it is due', () => {
    const job = add();
    const claimed = claim(job);
    assert.ok(claimed);
    repo.fail(job.id, 'w1', failure({ nextAttemptAt: new Date(clock + 3600_000).toISOString() }));
    const other = add();
    assert.deepEqual(
      repo.listDue({ limit: 10, leaseSeconds: LEASE }).rows.map((r) => r.id),
      [other.id],
    );
    assert.equal(repo.listDue({ limit: 10, leaseSeconds: LEASE }).total, 1);
    const waiting = repo.get(job.id);
    assert.ok(waiting);
    assert.equal(claim(waiting), null, 'a job not yet due cannot be claimed');
    tick(3600_000);
    assert.deepEqual(
      repo
        .listDue({ limit: 10, leaseSeconds: LEASE })
        .rows.map((r) => r.id)
        .sort(),
      [job.id, other.id].sort(),
    );
  });

  it('refuses a claim when the row changed since it was listed', () => {
    const job = add();
    tick();
    repo.cancel(job.id);
    repo.retry(job.id);
    assert.equal(claim(job), null);
  });

  it('expires at once the leases of workers known to be gone, and only theirs', () => {
    const dead = claim(add(), 'host-a:111');
    const alive = claim(add(), 'host-a:222');
    assert.ok(dead && alive);
    assert.equal(repo.listDue({ limit: 10, leaseSeconds: LEASE }).total, 0);
    assert.equal(
      repo.expireLeasesOf((worker) => worker === 'host-a:111'),
      1,
    );
    const due = repo.listDue({ limit: 10, leaseSeconds: LEASE });
    assert.deepEqual(
      due.rows.map((r) => r.id),
      [dead.id],
    );
    assert.equal(repo.claim(dead.id, 'host-a:333', due.rows[0]!, LEASE)?.retryCount, 1);
  });

  it('cancels a running job keeping its owner, so the API can tell a running job (to abort) from a queued one', () => {
    const job = add();
    assert.ok(claim(job));
    const cancelled = repo.cancel(job.id);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.claimedBy, 'w1');
    assert.equal(cancelled.nextAttemptAt, null);
  });

  it('stores the completion time as toISOString(), whatever ISO form it is given', () => {
    const job = add();
    assert.ok(claim(job));
    repo.complete(job.id, 'w1', { ...result(), completedAt: '2024-05-01T12:00:05Z' });
    assert.equal(repo.get(job.id)?.completedAt, '2024-05-01T12:00:05.000Z');
  });

  it('cancels only pending or processing jobs', () => {
    const job = add();
    assert.equal(repo.cancel(job.id).status, 'cancelled');
    assert.equal(
      code(() => repo.cancel(job.id)),
      'conflict',
    );
    assert.equal(
      code(() => repo.cancel('nope')),
      'not_found',
    );
  });

  it('retries only failed or cancelled jobs, at priority 1 with a fresh budget', () => {
    const job = add(7);
    assert.equal(
      code(() => repo.retry(job.id)),
      'conflict',
    );
    assert.ok(claim(job));
    repo.fail(job.id, 'w1', failure({ status: 'failed', retryCount: 3, retryErrors: ['a', 'b', 'c'], nextAttemptAt: null }));
    const retried = repo.retry(job.id);
    assert.equal(retried.status, 'pending');
    assert.equal(retried.priority, 1);
    assert.equal(retried.retryCount, 0);
    assert.equal(retried.error, null);
    assert.equal(retried.errorCode, null);
    assert.deepEqual(retried.retryErrors, ['a', 'b', 'c']);
    assert.equal(repo.listDue({ limit: 10, leaseSeconds: LEASE }).rows[0]?.id, job.id);
    assert.equal(
      code(() => repo.retry('nope')),
      'not_found',
    );
  });

  it('lists newest first with a status filter, and counts by status', () => {
    const a = add();
    const b = add();
    const c = add();
    repo.cancel(b.id);
    const all = repo.list({ limit: 2, offset: 0 });
    assert.equal(all.total, 3);
    assert.deepEqual(
      all.jobs.map((j) => j.id),
      [c.id, b.id],
    );
    assert.deepEqual(
      repo.list({ limit: 2, offset: 2 }).jobs.map((j) => j.id),
      [a.id],
    );
    const pending = repo.list({ status: 'pending', limit: 10, offset: 0 });
    assert.equal(pending.total, 2);
    assert.deepEqual(
      pending.jobs.map((j) => j.id),
      [c.id, a.id],
    );
    assert.deepEqual(repo.countByStatus(), { pending: 2, processing: 0, completed: 0, failed: 0, cancelled: 1 });
  });
});

describe('claims across processes', () => {
  it('4 processes racing over 20 jobs claim each exactly once', async () => {
    const file = path.join(tmp, 'race.db');
    const setup = openDatabase(file);
    const jobs = new JobRepository({ db: setup, now: () => new Date() });
    const ids = Array.from({ length: 20 }, () => jobs.create({ sourceUrl: 'https://a.test/v.mp4', priority: 5, title: null }).id);
    setup.close();

    const children = Array.from({ length: 4 }, (_, i) => startClaimer(file, `racer-${i}`));
    await Promise.all(children.map((c) => c.ready));
    for (const child of children) child.go();
    const results = await Promise.all(children.map((c) => c.done));

    const claimed = results.flatMap((r) => r.won);
    assert.equal(claimed.length, 20, `claims: ${JSON.stringify(results)}`);
    assert.deepEqual([...claimed].sort(), [...ids].sort());
    const check = openDatabase(file);
    const owners = new Map(
      (check.prepare('SELECT id, claimed_by FROM jobs').all() as { id: string; claimed_by: string }[]).map((r) => [r.id, r.claimed_by]),
    );
    check.close();
    results.forEach((r, i) => {
      for (const id of r.won) assert.equal(owners.get(id), `racer-${i}`);
    });
  });
});

// Plain ESM run with tsx's loader: it imports the real repository from the working tree.
const CLAIMER = `
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
const [file, workerId, root] = process.argv.slice(1);
const { openDatabase } = await import(pathToFileURL(root + '/src/store/database.ts').href);
const { JobRepository } = await import(pathToFileURL(root + '/src/store/job-repository.ts').href);
const db = openDatabase(file);
const jobs = new JobRepository({ db, now: () => new Date() });
const rows = jobs.listDue({ limit: 100, leaseSeconds: 300 }).rows;
process.stdout.write('ready\\n');
await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
const won = [];
let lost = 0;
for (const row of rows) {
  if (jobs.claim(row.id, workerId, row, 300)) won.push(row.id); else lost += 1;
}
db.close();
process.stdout.write(JSON.stringify({ won, lost }) + '\\n');
process.exit(0);
`;

interface Claimer {
  ready: Promise<void>;
  go: () => void;
  done: Promise<{ won: string[]; lost: number }>;
}

function startClaimer(file: string, workerId: string): Claimer {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CLAIMER, file, workerId, ROOT], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const done = new Promise<{ won: string[]; lost: number }>((resolve, reject) => {
    child.on('exit', (status) => {
      if (status !== 0) return reject(new Error(`claimer ${workerId} exited ${status}: ${err}`));
      resolve(JSON.parse(out.slice('ready\n'.length)) as { won: string[]; lost: number });
    });
  });
  done.catch(() => markReady());
  return { ready, go: () => child.stdin.write('go\n'), done };
}

function result(): PublishResult {
  return publishResultFor('local-x', { base: 'http://cdn.test' });
}
