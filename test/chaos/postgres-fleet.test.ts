import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, describe, it, type TestContext } from 'node:test';
import pg from 'pg';
import { waitFor } from '../helpers/appwrite-fixtures.js';
import { countingFfmpeg, recordScenario } from '../helpers/chaos.js';
import { startServer, type TestServer } from '../helpers/http-fixtures.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { createSchema } from '../helpers/postgres.js';
import { spawnDaemon, type SpawnedDaemon } from '../helpers/spawn-daemon.js';
import { serveFile, TEST_API_KEY } from '../helpers/test-daemon.js';

const JOBS_PER_DAEMON = 30;
const run = promisify(execFile);
// Previews off: the claims are under test. POLL_CRON stays spawnDaemon's yearly one: only the
// submission's own daemon and PostgreSQL's notifications (and each daemon draining after a job) wake a poll.
const FAST = { HLS_SEGMENT_SECONDS: '1', X264_PRESET: 'ultrafast', PREVIEWS: 'off', CONCURRENCY: '1', LOG_LEVEL: 'warn' };

async function submit(d: SpawnedDaemon, sourceUrl: string): Promise<string> {
  const res = await fetch(`${d.baseUrl}/api/jobs`, {
    method: 'POST',
    headers: { 'X-API-Key': TEST_API_KEY, 'Content-Type': 'application/json' },
    body: JSON.stringify({ source_url: sourceUrl }),
  });
  assert.equal(res.status, 202, await res.clone().text());
  return ((await res.json()) as { id: string }).id;
}

/** The rows the fleet shares, read straight from PostgreSQL. */
async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Submits until the daemon acknowledges (202), keeping each refusal's status. */
async function submitUntilAccepted(d: SpawnedDaemon, sourceUrl: string, refusals: number[]): Promise<string> {
  for (;;) {
    const res = await fetch(`${d.baseUrl}/api/jobs`, {
      method: 'POST',
      headers: { 'X-API-Key': TEST_API_KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({ source_url: sourceUrl }),
    });
    if (res.status === 202) return ((await res.json()) as { id: string }).id;
    refusals.push(res.status);
    await delay(200);
  }
}

async function count(url: string, where: string): Promise<number> {
  return Number((await query<{ n: string }>(url, `SELECT COUNT(*) AS n FROM jobs WHERE ${where}`))[0]?.n);
}

async function ledgerOf(url: string): Promise<{ job_key: string; status: string; n: string }[]> {
  return query(url, 'SELECT job_key, status, COUNT(*) AS n FROM ledger GROUP BY job_key, status');
}

/**
 * Restarts the PostgreSQL cluster scripts/postgres-tests.sh manages (TEST_POSTGRES_CLUSTER, as
 * root); resolves with how long it took, or null (and a diagnostic) when no cluster is ours to restart.
 */
async function restartPostgres(t: TestContext): Promise<number | null> {
  const cluster = process.env.TEST_POSTGRES_CLUSTER?.split(' ');
  if (!cluster || cluster.length !== 2) {
    t.diagnostic('TEST_POSTGRES_CLUSTER is not set: PostgreSQL was not restarted');
    return null;
  }
  const started = Date.now();
  await run('pg_ctlcluster', [cluster[0]!, cluster[1]!, 'restart']);
  return Date.now() - started;
}

/** Every acknowledged job completed; each key encoded once, completed once in the ledger, published once across the fleet. */
function assertExactlyOnce(
  ids: string[],
  jobs: { id: string; status: string }[],
  attempts: { job_key: string; status: string; n: string }[],
  encodes: Map<string, number>,
  daemons: SpawnedDaemon[],
): void {
  const status = new Map(jobs.map((j) => [j.id, j.status]));
  assert.deepEqual(
    ids.filter((id) => status.get(id) !== 'completed'),
    [],
    'every acknowledged job completed',
  );
  const ladders = daemons.flatMap((d) => (existsSync(path.join(d.storageDir, 'hls')) ? readdirSync(path.join(d.storageDir, 'hls')) : []));
  for (const id of ids) {
    const key = `local-${id}`;
    assert.equal(encodes.get(key), 1, `${key}: HLS encodes`);
    const mine = attempts.filter((a) => a.job_key === key);
    assert.equal(Number(mine.find((a) => a.status === 'completed')?.n ?? 0), 1, `${key}: completed attempts ${JSON.stringify(mine)}`);
    assert.deepEqual(
      mine.filter((a) => a.status !== 'completed' && a.status !== 'released'),
      [],
      `${key}: no failed attempt`,
    );
    assert.equal(ladders.filter((name) => name === key).length, 1, `${key}: ladders across the fleet`);
  }
}

describe('chaos: three daemons sharing one PostgreSQL store', { timeout: 900_000 }, () => {
  let files: TestServer;
  const closers: (() => Promise<unknown>)[] = [];
  const started = Date.now();
  const figures = { tried: 0, survived: 0, lost: 0, notes: [] as string[] };
  before(async () => {
    const clip = await makeClip({ width: 160, height: 120, seconds: 1 });
    const serve = serveFile(clip);
    // /stall answers headers and then nothing: the daemon that takes it stays busy until it is killed.
    files = await startServer((req: IncomingMessage, res: ServerResponse) => {
      if (req.url?.startsWith('/stall')) return void res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': 10_000_000 });
      serve(req, res);
    });
  });
  after(async () => {
    for (const close of closers.reverse()) await close();
    await files?.close();
    recordScenario({
      scenario: '9 PostgreSQL fleet (3 daemons)',
      tried: figures.tried,
      survived: figures.survived,
      lost: figures.lost,
      notes: figures.notes.join('; ') || 'not run',
      seconds: (Date.now() - started) / 1000,
    });
  });

  async function fleet(
    url: string,
    scratch: string,
    ffmpegPath: string,
    ids: string[],
    env: Record<string, string> = {},
  ): Promise<SpawnedDaemon[]> {
    const daemons = await Promise.all(
      ids.map((id) =>
        spawnDaemon({
          ...FAST,
          STORE_URL: url,
          WORKER_ID: id,
          FFMPEG_PATH: ffmpegPath,
          DOWNLOAD_IDLE_TIMEOUT: '600',
          LOG_DIR: path.join(scratch, id),
          ...env,
        }),
      ),
    );
    closers.push(async () => {
      for (const d of daemons) d.kill();
      await Promise.all(daemons.map((d) => d.exited));
    });
    await Promise.all(daemons.map((d) => d.waitHealthy()));
    return daemons;
  }

  it(`process ${JOBS_PER_DAEMON} jobs submitted to each exactly once, PostgreSQL restarted mid-run: one HLS encode, one completed attempt, one ladder`, async (t) => {
    const { url, drop } = await createSchema();
    closers.push(drop);
    const scratch = await mkdtemp(path.join(tmpdir(), 'vc-pg-fleet-'));
    const ffmpeg = countingFfmpeg(scratch);
    // A short lease and a poll every 5 s: a claim whose answer the restart cut off is taken again within the test.
    const daemons = await fleet(url, scratch, ffmpeg.path, ['pg-a', 'pg-b', 'pg-c'], { LEASE_SECONDS: '30', POLL_CRON: '*/5 * * * * *' });
    const runStarted = Date.now();
    const total = JOBS_PER_DAEMON * daemons.length;
    const ids: string[] = [];
    const refusals: number[] = [];
    const submitAll = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i += 1)
        ids.push(await submitUntilAccepted(daemons[i % daemons.length]!, files.url(`/f${i}.mp4`), refusals));
    };
    await submitAll(0, total / 2);
    await waitFor('a few jobs to complete', async () => Number(await count(url, "status = 'completed'")) >= 6, { timeoutMs: 300_000 });
    // Half the submissions arrive while PostgreSQL restarts: refused (503) while it is down, then accepted.
    const restarted = restartPostgres(t);
    await submitAll(total / 2, total);
    const restartMs = await restarted;
    await waitFor(
      'every job to end',
      async () => (await count(url, "status NOT IN ('completed', 'failed')")) === 0 && ids.length === total,
      {
        timeoutMs: 600_000,
        everyMs: 250,
      },
    );
    const seconds = (Date.now() - runStarted) / 1000;
    const completed = await count(url, "status = 'completed'");
    Object.assign(figures, {
      tried: figures.tried + total,
      survived: figures.survived + Math.min(completed, total),
      lost: figures.lost + Math.max(0, total - completed),
    });
    assertExactlyOnce(
      ids,
      await query(url, 'SELECT id, status, claimed_by FROM jobs'),
      await ledgerOf(url),
      ffmpeg.encodesPerKey(),
      daemons,
    );
    assert.ok(
      refusals.every((status) => status === 503),
      `refused with 503 only: ${refusals.join(', ')}`,
    );
    const jobs = await query<{ claimed_by: string }>(url, 'SELECT claimed_by FROM jobs');
    const byWorker: Record<string, number> = { 'pg-a': 0, 'pg-b': 0, 'pg-c': 0 };
    for (const job of jobs) byWorker[job.claimed_by] = (byWorker[job.claimed_by] ?? 0) + 1;
    assert.ok(
      Object.values(byWorker).every((n) => n > 0),
      `every daemon took jobs: ${JSON.stringify(byWorker)}`,
    );
    // Any daemon's API shows the whole fleet and every job.
    const api = async (route: string): Promise<any> =>
      (await fetch(`${daemons[2]!.baseUrl}${route}`, { headers: { 'X-API-Key': TEST_API_KEY } })).json();
    const fleetSeen = (await api('/api/workers')).workers as { worker_id: string; lost: boolean }[];
    assert.deepEqual(fleetSeen.map((w) => [w.worker_id, w.lost]).sort(), [
      ['pg-a', false],
      ['pg-b', false],
      ['pg-c', false],
    ]);
    assert.equal((await api('/api/jobs?source=local&status=completed&per_page=1')).total, completed, 'every job, whichever daemon ran it');
    const summary =
      `${total} jobs in ${seconds.toFixed(0)} s (${((total / seconds) * 60).toFixed(0)} jobs/min) by ${JSON.stringify(byWorker)}, each encoded once; ` +
      `PostgreSQL restarted mid-run (${restartMs === null ? 'not run: TEST_POSTGRES_CLUSTER unset' : `${restartMs} ms`}), ${refusals.length} submission(s) refused (503) meanwhile and sent again`;
    figures.notes.push(summary);
    console.log(`  ${summary}`);
  });

  it("a job submitted to a busy daemon is claimed by an idle one, woken by PostgreSQL's notification", async () => {
    const { url, drop } = await createSchema();
    closers.push(drop);
    const scratch = await mkdtemp(path.join(tmpdir(), 'vc-pg-wake-'));
    const daemons = await fleet(url, scratch, countingFfmpeg(scratch).path, ['wake-a', 'wake-b']);
    // One daemon takes the stalled download and stays busy (CONCURRENCY 1).
    const stalled = await submit(daemons[0]!, files.url('/stall.mp4'));
    const holder = await waitFor('the stalled job to be claimed', async () => {
      const [row] = await query<{ claimed_by: string | null }>(url, 'SELECT claimed_by FROM jobs WHERE id = $1', [stalled]);
      return row?.claimed_by ?? null;
    });
    const busy = daemons[holder === 'wake-a' ? 0 : 1]!;
    // Submitted to the busy daemon: the other one has no scheduled poll and ran no job, so only the notification can wake it.
    const submittedAt = Date.now();
    const id = await submit(busy, files.url('/w.mp4'));
    const claim = await waitFor('the second job to be claimed', async () => {
      const [row] = await query<{ claimed_by: string | null; claimed_at: Date | null }>(
        url,
        'SELECT claimed_by, claimed_at FROM jobs WHERE id = $1',
        [id],
      );
      return row?.claimed_by ? row : null;
    });
    assert.equal(claim.claimed_by, holder === 'wake-a' ? 'wake-b' : 'wake-a', 'claimed by the idle daemon');
    const wake = `submitted to a busy daemon, claimed by the idle one ${claim.claimed_at!.getTime() - submittedAt} ms later`;
    figures.notes.push(wake);
    console.log(`  ${wake}`);
  });
});
