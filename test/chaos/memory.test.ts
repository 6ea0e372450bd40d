import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { recordScenario } from '../helpers/chaos.js';
import { startServer, type TestServer } from '../helpers/http-fixtures.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { deployedApp, spawnDaemon, vmRssKb, type SpawnedDaemon } from '../helpers/spawn-daemon.js';
import { serveFile, TEST_API_KEY } from '../helpers/test-daemon.js';

// 200 jobs (~4 min on 2 cores: each runs a download child, three ffprobes and FFmpeg); CHAOS_MEMORY_JOBS overrides.
const JOBS = Number(process.env.CHAOS_MEMORY_JOBS ?? 200);
const WARMUP = 20;
const MAX_GROWTH = 0.1;
// One reading is a moment; the median of a few, once the queue has drained, is the level.
const SAMPLES = 5;
const SAMPLE_GAP_MS = 200;

async function medianRssKb(pid: number): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < SAMPLES; i += 1) {
    if (i > 0) await delay(SAMPLE_GAP_MS);
    readings.push(await vmRssKb(pid));
  }
  return readings.sort((a, b) => a - b)[Math.floor(SAMPLES / 2)] ?? NaN;
}

// Generous: ~260 s on a quiet 2-core machine.
describe('chaos: memory over many jobs', { timeout: 600_000 }, () => {
  let files: TestServer;
  let vc: SpawnedDaemon;
  const started = Date.now();
  let result = { completed: 0, warm: 0, end: 0 };

  before(async () => {
    files = await startServer(serveFile(await makeClip({ width: 160, height: 120, seconds: 1 })));
    // The compiled build with PM2's flags, as in production: tsx's loader thread and transpiling
    // would add memory the deployed daemon does not have. PREVIEWS=off: the previews are FFmpeg
    // children (memory outside the daemon) and would double the time of every job.
    const app = await deployedApp();
    const env = { ...app.env, CONCURRENCY: '2', X264_PRESET: 'ultrafast', HLS_SEGMENT_SECONDS: '1', PREVIEWS: 'off', LOG_LEVEL: 'warn' };
    vc = await spawnDaemon(env, { compiled: true, nodeArgs: app.node_args });
    await vc.waitHealthy();
  });
  after(async () => {
    vc?.kill();
    await files?.close();
    const growth = result.warm ? ((result.end - result.warm) / result.warm) * 100 : NaN;
    const notes = `RSS (median of ${SAMPLES}) ${Math.round(result.warm / 1024)} MB after ${WARMUP} → ${Math.round(result.end / 1024)} MB after ${JOBS} (${growth.toFixed(1)} %); dist build, PM2 node_args`;
    recordScenario({
      scenario: '6 memory',
      tried: JOBS,
      survived: result.completed,
      lost: JOBS - result.completed,
      notes,
      seconds: (Date.now() - started) / 1000,
    });
  });

  const api = async (method: string, route: string, body?: unknown): Promise<any> =>
    (
      await fetch(vc.baseUrl + route, {
        method,
        headers: { 'X-API-Key': TEST_API_KEY, 'Content-Type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      })
    ).json();
  const completed = async (): Promise<number> => (await api('GET', '/api/jobs?status=completed&limit=1')).total;

  /** Submits `count` jobs and waits until `target` are completed. */
  async function runUntil(count: number, from: number, target: number): Promise<void> {
    for (let i = from; i < from + count; i += 1) await api('POST', '/api/jobs', { source_url: files.url(`/m${i}.mp4`) });
    const deadline = Date.now() + 540_000;
    while ((await completed()) < target) {
      const failed = (await api('GET', '/api/jobs?status=failed&limit=5')).jobs;
      assert.equal(failed.length, 0, JSON.stringify(failed));
      assert.ok(Date.now() < deadline, 'jobs did not finish in time');
      await delay(200);
    }
  }

  it(`RSS after ${JOBS} jobs is within ${MAX_GROWTH * 100} % of RSS after the first ${WARMUP}`, async () => {
    const pid = vc.child.pid!;
    await runUntil(WARMUP, 0, WARMUP);
    result.warm = await medianRssKb(pid);
    await runUntil(JOBS - WARMUP, WARMUP, JOBS);
    result = { ...result, completed: await completed(), end: await medianRssKb(pid) };
    console.log(`  RSS ${result.warm} kB after ${WARMUP} jobs, ${result.end} kB after ${JOBS} (${Date.now() - started} ms)`);
    assert.ok(result.end <= result.warm * (1 + MAX_GROWTH), `RSS grew from ${result.warm} to ${result.end} kB`);
  });
});
