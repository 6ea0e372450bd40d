import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { daemonApi as api, ledgerCounts, recordScenario, seededRandom, untilDrained } from '../helpers/chaos.js';
import { startServer, type TestServer } from '../helpers/http-fixtures.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { s3DaemonEnv, startS3, type TestS3 } from '../helpers/s3-server.js';
import { spawnDaemon, type SpawnedDaemon } from '../helpers/spawn-daemon.js';
import { serveFile } from '../helpers/test-daemon.js';

const JOBS = 4;
const KILLS = 3;
const SEED = Number(process.env.CHAOS_SEED ?? 8);

/** Until the daemon's job is uploading its ladder (step publishing), or `maxMs`. */
async function untilPublishing(d: SpawnedDaemon, maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const { jobs } = await api(d, 'GET', '/api/jobs?status=processing&limit=50').catch(() => ({ jobs: [] }));
    if ((jobs ?? []).some((j: any) => j.step === 'publishing')) return true;
    await delay(5);
  }
  return false;
}

/**
 * Reads every master in the bucket, over and over, as players would: each variant playlist and
 * each segment it names must answer. Any miss is a violation: a master pointing at missing objects.
 */
function bucketReader(s3: TestS3): { stop: () => Promise<void>; violations: string[]; checks: () => number } {
  const violations: string[] = [];
  let checks = 0;
  let running = true;
  const readOnce = async (): Promise<void> => {
    for (const key of (await s3.keys('storage/hls/')).filter((k) => k.endsWith('/master.m3u8'))) {
      const master = await fetch(s3.url(key));
      if (master.status === 404) continue; // removed since the listing
      const base = s3.url(key);
      for (const variant of (await master.text()).split('\n').filter((l) => l && !l.startsWith('#'))) {
        const url = new URL(variant, base).href;
        const playlist = await fetch(url);
        if (playlist.status !== 200) violations.push(`${key} → ${variant}: ${playlist.status}`);
        else {
          for (const segment of (await playlist.text()).split('\n').filter((l) => l && !l.startsWith('#'))) {
            const head = await fetch(new URL(segment, url), { method: 'HEAD' });
            if (head.status !== 200) violations.push(`${key} → ${variant} → ${segment}: ${head.status}`);
          }
        }
      }
      checks += 1;
    }
  };
  const loop = (async () => {
    while (running) await readOnce().catch((err: unknown) => violations.push(`reader: ${String(err)}`));
  })();
  return {
    violations,
    checks: () => checks,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

describe('chaos: SIGKILL while publishing to an S3 bucket', { timeout: 900_000 }, () => {
  let s3: TestS3;
  let files: TestServer;
  let env: Record<string, string>;
  let storage: string;
  const started = Date.now();
  let result = { completed: 0, lost: JOBS, killed: 0, checks: 0 };

  before(async () => {
    s3 = await startS3();
    files = await startServer(serveFile(await makeClip({ width: 320, height: 240, seconds: 4 })));
    storage = await mkdtemp(path.join(tmpdir(), 'vc-chaos-s3-'));
    env = {
      STORAGE_DIR: storage,
      LOG_DIR: path.join(storage, 'logs'),
      WORKER_ID: 'chaos-s3',
      CONCURRENCY: '1',
      HEARTBEAT_SECONDS: '1',
      HLS_SEGMENT_SECONDS: '1',
      X264_PRESET: 'ultrafast',
      RETRY_DELAYS: '0,0,0,0,0,0,0,0,0,0',
      ...s3DaemonEnv(s3),
    };
  });
  after(async () => {
    await files?.close();
    await s3?.close();
    recordScenario({
      scenario: '8 S3 publish (SIGKILL)',
      tried: KILLS,
      survived: result.completed === JOBS ? result.killed : 0,
      lost: result.lost,
      notes: `${JOBS} jobs, ${result.killed} kills while uploading; reader checked ${result.checks} masters in the bucket`,
      seconds: (Date.now() - started) / 1000,
    });
  });

  it(`${JOBS} jobs survive ${KILLS} SIGKILLs during their upload: no master ever points at a missing object, one version left per ladder`, async () => {
    const random = seededRandom(SEED);
    const reader = bucketReader(s3);
    let daemon = await spawnDaemon(env);
    try {
      await daemon.waitHealthy();
      for (let i = 0; i < JOBS; i += 1) await api(daemon, 'POST', '/api/jobs', { source_url: files.url(`/s${i}.mp4`) });
      for (let k = 0; k < KILLS; k += 1) {
        if (!(await untilPublishing(daemon, 60_000))) break;
        await delay(Math.floor(random() * 60));
        daemon.kill();
        await daemon.exited;
        result.killed += 1;
        daemon = await spawnDaemon(env);
        await daemon.waitHealthy();
      }
      const jobs = await untilDrained(async () => (await api(daemon, 'GET', '/api/jobs?limit=100')).jobs);
      result = {
        ...result,
        completed: jobs.filter((j: any) => j.status === 'completed').length,
        lost: jobs.filter((j: any) => j.status !== 'completed').length,
      };
      assert.equal(
        result.completed,
        JOBS,
        JSON.stringify(jobs.filter((j: any) => j.status !== 'completed').map((j: any) => [j.id, j.status, j.error])),
      );
    } finally {
      daemon.kill();
      await daemon.exited;
      await reader.stop();
    }
    result.checks = reader.checks();
    assert.deepEqual(reader.violations, [], 'a master pointed at a missing object');
    assert.ok(reader.checks() > 0, 'the reader looked');
    assert.ok(result.killed >= 2, `${result.killed} kills landed while uploading`);
    const counts = ledgerCounts(path.join(storage, 'state.db'));
    const keys = await s3.keys('storage/hls/');
    for (const [key, statuses] of counts) {
      assert.equal(statuses.completed, 1, `${key}: completed once`);
      const versions = new Set(keys.filter((k) => k.startsWith(`storage/hls/${key}/v`)).map((k) => k.split('/')[3]));
      assert.equal(versions.size, 1, `${key}: one version left in the bucket (${[...versions].join(', ')})`);
    }
    console.log(`  ${result.killed} kills while uploading; reader checked ${reader.checks()} masters`);
  });
});
