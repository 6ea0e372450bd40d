import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FakeAppwrite } from '../fakes/appwrite-server.js';
import { addVideo, appwriteEnv, startFakeAppwrite, videoRow, waitFor } from '../helpers/appwrite-fixtures.js';
import { countingFfmpeg, ledgerCounts, recordScenario } from '../helpers/chaos.js';
import { startServer, type TestServer } from '../helpers/http-fixtures.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { spawnDaemon, type SpawnedDaemon } from '../helpers/spawn-daemon.js';
import { serveFile, startTestDaemon, TEST_API_KEY, type TestDaemon } from '../helpers/test-daemon.js';

const JOBS = 30;
const WORKERS = ['race-a', 'race-b', 'race-c'];
// PREVIEWS off: the claims are under test, and previews would double the cost of every job.
const FAST = {
  HLS_SEGMENT_SECONDS: '1',
  X264_PRESET: 'ultrafast',
  PREVIEWS: 'off',
  CONCURRENCY: '1',
  POLL_CRON: '* * * * * *',
  LOG_LEVEL: 'warn',
};

/** Each key encoded exactly once: one HLS ffmpeg run and one ledger attempt, completed. */
function assertOnce(keys: string[], encodes: Map<string, number>, ledgers: Array<Map<string, Record<string, number>>>): void {
  for (const key of keys) {
    assert.equal(encodes.get(key), 1, `${key}: ffmpeg HLS runs`);
    const rows = ledgers.map((l) => l.get(key) ?? {});
    const total = rows.reduce((n, r) => n + Object.values(r).reduce((a, b) => a + b, 0), 0);
    assert.equal(total, 1, `${key}: ledger attempts ${JSON.stringify(rows)}`);
    assert.equal(
      rows.reduce((n, r) => n + (r.completed ?? 0), 0),
      1,
      `${key}: completed`,
    );
  }
  assert.equal(
    [...encodes.values()].reduce((a, b) => a + b, 0),
    keys.length,
    'no encode of anything else',
  );
}

/**
 * A claim granted twice costs at most a duplicate encode: every key is published by exactly one
 * daemon (one ladder across all their storage directories) and completed once in the ledgers, whose
 * other attempts only ever stopped (released). Returns the number of duplicate encodes.
 */
function assertPublishedOnce(ids: string[], dirs: string[], encodes: Map<string, number>): number {
  const keys = ids.map((id) => `appwrite-${id}`);
  const ledgers = dirs.map((dir) => ledgerCounts(path.join(dir, 'state.db')));
  const published = dirs.flatMap((dir) => (existsSync(path.join(dir, 'hls')) ? readdirSync(path.join(dir, 'hls')) : []));
  assert.deepEqual(published.sort(), [...keys].sort(), 'one ladder per row, across every daemon');
  for (const key of keys) {
    const rows = ledgers.map((l) => l.get(key) ?? {});
    const sum = (status: string): number => rows.reduce((n, r) => n + (r[status] ?? 0), 0);
    assert.equal(sum('completed'), 1, `${key}: completed ${JSON.stringify(rows)}`);
    const others = rows.flatMap((r) => Object.keys(r)).filter((status) => status !== 'completed' && status !== 'released');
    assert.deepEqual(others, [], `${key}: a loser only stops`);
    assert.ok((encodes.get(key) ?? 0) >= 1, `${key}: encoded`);
  }
  return [...encodes.values()].reduce((a, b) => a + b, 0) - keys.length;
}

describe('chaos: three daemons racing', { timeout: 900_000 }, () => {
  let files: TestServer;
  const started = Date.now();
  const rows: Record<string, { ok: number; lost: number }> = {};
  let appwriteNotes = 'not run';

  before(async () => {
    files = await startServer(serveFile(await makeClip({ width: 160, height: 120, seconds: 1 })));
  });
  after(async () => {
    await files?.close();
    const ok = Object.values(rows).reduce((n, r) => n + r.ok, 0);
    const lost = Object.values(rows).reduce((n, r) => n + r.lost, 0);
    recordScenario({
      scenario: '2 races (3 daemons)',
      tried: 2 * JOBS,
      survived: ok,
      lost,
      notes: `${JOBS} jobs on one embedded store (3 processes) + ${JOBS} rows on one Appwrite table as 1.9.0 (${appwriteNotes})`,
      seconds: (Date.now() - started) / 1000,
    });
  });

  it(`three processes sharing one embedded store encode each of ${JOBS} jobs exactly once`, async () => {
    const storage = await mkdtemp(path.join(tmpdir(), 'vc-chaos-race-'));
    const ffmpeg = countingFfmpeg(storage);
    const daemons: SpawnedDaemon[] = [];
    try {
      for (const id of WORKERS)
        daemons.push(
          await spawnDaemon({
            ...FAST,
            STORAGE_DIR: storage,
            LOG_DIR: path.join(storage, `logs-${id}`),
            WORKER_ID: id,
            FFMPEG_PATH: ffmpeg.path,
          }),
        );
      await Promise.all(daemons.map((d) => d.waitHealthy()));
      const ids: string[] = [];
      for (let i = 0; i < JOBS; i += 1) {
        const d = daemons[i % daemons.length]!;
        const res = await fetch(`${d.baseUrl}/api/jobs`, {
          method: 'POST',
          headers: { 'X-API-Key': TEST_API_KEY, 'Content-Type': 'application/json' },
          body: JSON.stringify({ source_url: files.url(`/r${i}.mp4`) }),
        });
        ids.push(((await res.json()) as { id: string }).id);
      }
      const list = async (): Promise<any[]> =>
        ((await (await fetch(`${daemons[0]!.baseUrl}/api/jobs?limit=100`, { headers: { 'X-API-Key': TEST_API_KEY } })).json()) as any).jobs;
      await waitFor('every job to finish', async () => (await list()).every((j) => j.status === 'completed' || j.status === 'failed'), {
        timeoutMs: 400_000,
        everyMs: 250,
      });
      const jobs = await list();
      rows.local = { ok: jobs.filter((j) => j.status === 'completed').length, lost: jobs.filter((j) => j.status !== 'completed').length };
      assert.equal(rows.local.ok, JOBS, JSON.stringify(jobs.filter((j) => j.status !== 'completed')));
      const workers = new Set(jobs.map((j) => j.claimed_by));
      assertOnce(
        ids.map((id) => `local-${id}`),
        ffmpeg.encodesPerKey(),
        [ledgerCounts(path.join(storage, 'state.db'))],
      );
      assert.equal((await readdir(path.join(storage, 'hls'))).length, JOBS);
      console.log(`  claimed by ${[...workers].join(', ')}`);
    } finally {
      for (const d of daemons) d.kill();
      await Promise.all(daemons.map((d) => d.exited));
    }
  });

  it(`three daemons on an Appwrite 1.9.0 table (claims not locked) publish and write back each of ${JOBS} rows once`, async (t) => {
    // node-appwrite prints the server's warnings as `Warning: …`; node-cron's own (missed ticks on a busy machine) are not ours.
    const consoleWarn = t.mock.method(console, 'warn', () => undefined);
    const fake: FakeAppwrite = await startFakeAppwrite();
    // As Appwrite up to 1.9.0: a claim is checked against a cached copy of the row, so two can both win.
    fake.version = '1.9.0';
    fake.cachedClaims = true;
    const scratch = await mkdtemp(path.join(tmpdir(), 'vc-chaos-race-aw-'));
    const ffmpeg = countingFfmpeg(scratch);
    const daemons: TestDaemon[] = [];
    try {
      const ids = [...Array(JOBS).keys()].map((i) => `w${String(i).padStart(2, '0')}`);
      for (const id of ids) addVideo(fake, id, { source_url: files.url(`/${id}.mp4`) });
      daemons.push(
        ...(await Promise.all(
          WORKERS.map((id) => startTestDaemon(appwriteEnv(fake, { ...FAST, WORKER_ID: id, FFMPEG_PATH: ffmpeg.path }))),
        )),
      );
      await waitFor('every row to be completed', () => ids.every((id) => ['completed', 'failed'].includes(videoRow(fake, id).status)), {
        timeoutMs: 400_000,
        everyMs: 200,
      });
      const ok = ids.filter((id) => videoRow(fake, id).status === 'completed').length;
      rows.appwrite = { ok, lost: JOBS - ok };
      assert.equal(ok, JOBS);
      const health = (await (await fetch(`${daemons[0]!.baseUrl}/health`)).json()) as { sources: Array<{ warnings: string[] }> };
      assert.match(health.sources[0]?.warnings[0] ?? '', /Appwrite 1\.9\.0 checks X-Appwrite-Timestamp without a row lock/);
      const dirs = daemons.map((d) => d.storageDir);
      const urls = daemons.map((d) => `http://localhost:${d.daemon.port}/`);
      for (const d of daemons.splice(0)) await d.close();
      for (const id of ids) {
        const winner = dirs.findIndex((dir) => existsSync(path.join(dir, 'hls', `appwrite-${id}`)));
        assert.ok(String(videoRow(fake, id).hls_url).startsWith(urls[winner]!), `${id}: the publishing daemon's URLs were written back`);
      }
      const printed = consoleWarn.mock.calls.filter((c) => String(c.arguments[0]).startsWith('Warning: '));
      assert.deepEqual(printed, [], "the server's X-Appwrite-Warning went to the log, not the console");
      const grants = fake.cachedUpdates.grants.filter((g) => g.data.step === 'claimed').length;
      const extra = assertPublishedOnce(ids, dirs, ffmpeg.encodesPerKey());
      for (const id of ids) assert.equal(fake.writesTo(id, { status: 'completed' }), 1, `${id}: written back once`);
      appwriteNotes = `claims granted twice ${grants}, duplicate encodes ${extra}, publishes ${JOBS}, write-backs ${JOBS}`;
      console.log(`  Appwrite as 1.9.0: ${appwriteNotes}`);
    } finally {
      for (const d of daemons) await d.close();
      await fake.stop();
    }
  });
});
