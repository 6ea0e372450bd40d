import assert from 'node:assert/strict';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { daemonApi as api, ledgerCounts, recordScenario, seededRandom, untilDrained } from '../helpers/chaos.js';
import { startServer, type TestServer } from '../helpers/http-fixtures.js';
import { ladderReader } from '../helpers/ladder-reader.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { spawnDaemon, type SpawnedDaemon } from '../helpers/spawn-daemon.js';
import { chunkedFile } from '../helpers/hostile-media.js';

const JOBS = 20;
const KILLS = 10;
const SEED = Number(process.env.CHAOS_SEED ?? 8);
const STEPS = ['downloading', 'transcoding', 'publishing', 'updating'] as const;

/** Waits until a job of this daemon is in `step` (live, from the API), or `maxMs`; returns the step seen. */
async function waitForStep(d: SpawnedDaemon, step: string, maxMs: number): Promise<string> {
  const deadline = Date.now() + maxMs;
  let seen = 'none';
  while (Date.now() < deadline) {
    const { jobs } = await api(d, 'GET', '/api/jobs?status=processing&limit=50').catch(() => ({ jobs: [] }));
    const steps: string[] = (jobs ?? []).map((j: any) => j.step);
    if (steps.includes(step)) return step;
    seen = steps[0] ?? seen;
    await delay(10);
  }
  return seen;
}

describe('chaos: SIGKILL at random moments', { timeout: 900_000 }, () => {
  let files: TestServer;
  let storage: string;
  let env: Record<string, string>;
  const killedAt: string[] = [];
  const started = Date.now();
  let result = { completed: 0, lost: JOBS };

  before(async () => {
    files = await startServer(
      chunkedFile(await makeClip({ width: 320, height: 240, seconds: 2 }), { chunkBytes: 16 * 1024, intervalMs: 25 }),
    );
    storage = await mkdtemp(path.join(tmpdir(), 'vc-chaos-crash-'));
    env = {
      STORAGE_DIR: storage,
      LOG_DIR: path.join(storage, 'logs'),
      LOG_LEVEL: 'warn',
      WORKER_ID: 'chaos-crash',
      CONCURRENCY: '1',
      HEARTBEAT_SECONDS: '1',
      HLS_SEGMENT_SECONDS: '1',
      X264_PRESET: 'ultrafast',
      // Every kill counts as an attempt: leave room for all of them before worker_lost.
      RETRY_DELAYS: '0,0,0,0,0,0,0,0,0,0',
    };
  });
  after(async () => {
    await files?.close();
    // "a→b": aimed at step a, which no job reached within 4 s; killed during b instead.
    const notes = `seed ${SEED}; killed during ${killedAt.join(', ')}`;
    recordScenario({
      scenario: '1 crashes (SIGKILL)',
      tried: KILLS,
      survived: result.completed === JOBS ? KILLS : 0,
      lost: result.lost,
      notes: `${JOBS} jobs; ${notes}`,
      seconds: (Date.now() - started) / 1000,
    });
  });

  it(`${JOBS} jobs survive ${KILLS} SIGKILLs: each completed exactly once, no partial ladder ever visible, no temp left`, async () => {
    const random = seededRandom(SEED);
    const reader = ladderReader(path.join(storage, 'hls'));
    try {
      let daemon = await spawnDaemon(env);
      await daemon.waitHealthy();
      const ids: string[] = [];
      for (let i = 0; i < JOBS; i += 1)
        ids.push((await api(daemon, 'POST', '/api/jobs', { source_url: files.url(`/v${i}.mp4`), title: `crash ${i}` })).id);
      for (let k = 0; k < KILLS; k += 1) {
        const step = STEPS[Math.floor(random() * STEPS.length)]!;
        const seen = await waitForStep(daemon, step, 4000);
        await delay(Math.floor(random() * 40));
        daemon.kill();
        await daemon.exited;
        killedAt.push(seen === step ? step : `${step}→${seen}`);
        daemon = await spawnDaemon(env);
        await daemon.waitHealthy();
      }
      try {
        const jobs = await untilDrained(async () => (await api(daemon, 'GET', '/api/jobs?limit=100')).jobs);
        result = {
          completed: jobs.filter((j: any) => j.status === 'completed').length,
          lost: jobs.filter((j: any) => j.status !== 'completed').length,
        };
        assert.equal(
          result.completed,
          JOBS,
          `not completed: ${JSON.stringify(jobs.filter((j: any) => j.status !== 'completed').map((j: any) => [j.id, j.status, j.error_code, j.error]))}`,
        );
      } finally {
        daemon.kill();
        await daemon.exited;
      }
      const counts = ledgerCounts(path.join(storage, 'state.db'));
      for (const id of ids)
        assert.equal(counts.get(`local-${id}`)?.completed, 1, `local-${id}: ${JSON.stringify(counts.get(`local-${id}`))}`);
      await reader.stop();
      assert.deepEqual(reader.violations, [], 'a reader saw a partial ladder');
      assert.ok(reader.checks > 0, 'the reader looked');
      const published = await readdir(path.join(storage, 'hls'));
      assert.deepEqual(published.sort(), ids.map((id) => `local-${id}`).sort(), 'storage/hls holds exactly the 20 ladders');
      // The last restart's sweep removed the killed workers' directories; the last daemon left none.
      assert.deepEqual(await readdir(path.join(storage, 'temp')), [], 'temp leftovers');
      console.log(`  killed during: ${killedAt.join(', ')}; reader checked ${reader.checks} masters`);
    } finally {
      await reader.stop();
    }
  });
});
