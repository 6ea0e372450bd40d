import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { recordScenario } from '../helpers/chaos.js';
import { startServer, type TestServer } from '../helpers/http-fixtures.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { spawnDaemon, type SpawnedDaemon } from '../helpers/spawn-daemon.js';
import { serveFile, TEST_API_KEY } from '../helpers/test-daemon.js';

// The 200 jobs (~2 min here: one tiny job takes ~0.6 s on 2 cores); CHAOS_MEMORY_JOBS overrides.
const JOBS = Number(process.env.CHAOS_MEMORY_JOBS ?? 200);
const WARMUP = 20;
const MAX_GROWTH = 0.1;

async function vmRssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

describe('chaos: memory over many jobs', { timeout: 240_000 }, () => {
  let files: TestServer;
  let vc: SpawnedDaemon;
  const started = Date.now();
  let result = { completed: 0, warm: 0, end: 0 };

  before(async () => {
    files = await startServer(serveFile(await makeClip({ width: 160, height: 120, seconds: 1 })));
    vc = await spawnDaemon({ CONCURRENCY: '2', X264_PRESET: 'ultrafast', HLS_SEGMENT_SECONDS: '1', LOG_LEVEL: 'warn' });
    await vc.waitHealthy();
  });
  after(async () => {
    vc?.kill();
    await files?.close();
    const growth = result.warm ? ((result.end - result.warm) / result.warm) * 100 : NaN;
    const notes = `RSS ${Math.round(result.warm / 1024)} MB after ${WARMUP} → ${Math.round(result.end / 1024)} MB after ${JOBS} (${growth.toFixed(1)} %)`;
    recordScenario({ scenario: '6 memory', tried: JOBS, survived: result.completed, lost: JOBS - result.completed, notes, seconds: (Date.now() - started) / 1000 });
  });

  const api = async (method: string, route: string, body?: unknown): Promise<any> =>
    (await fetch(vc.baseUrl + route, { method, headers: { 'X-API-Key': TEST_API_KEY, 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined })).json();
  const completed = async (): Promise<number> => (await api('GET', '/api/jobs?status=completed&limit=1')).total;

  /** Submits `count` jobs and waits until `target` are completed. */
  async function runUntil(count: number, from: number, target: number): Promise<void> {
    for (let i = from; i < from + count; i += 1) await api('POST', '/api/jobs', { source_url: files.url(`/m${i}.mp4`) });
    const deadline = Date.now() + 200_000;
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
    result.warm = await vmRssKb(pid);
    await runUntil(JOBS - WARMUP, WARMUP, JOBS);
    result = { ...result, completed: await completed(), end: await vmRssKb(pid) };
    console.log(`  RSS ${result.warm} kB after ${WARMUP} jobs, ${result.end} kB after ${JOBS} (${Date.now() - started} ms)`);
    assert.ok(result.end <= result.warm * (1 + MAX_GROWTH), `RSS grew from ${result.warm} to ${result.end} kB`);
  });
});
