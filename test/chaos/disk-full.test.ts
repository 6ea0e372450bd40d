import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { recordScenario } from '../helpers/chaos.js';
import { routes, sendBody, startServer, videoBytes, type TestServer } from '../helpers/http-fixtures.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { serveFile, startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

const TMPFS_MB = 24;

describe('chaos: storage on a full disk', { timeout: 120_000 }, () => {
  let mountDir: string;
  let mounted = false;
  let files: TestServer;
  let vc: TestDaemon | null = null;
  const started = Date.now();
  let survived = 0;

  before(async () => {
    mountDir = await mkdtemp(path.join(tmpdir(), 'vc-chaos-tmpfs-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_MB}m`, 'tmpfs', mountDir], { stdio: 'pipe' });
      mounted = true;
    } catch (err) {
      throw new Error(`the disk-full scenario needs to mount a ${TMPFS_MB} MB tmpfs (run as root, as CI does): ${(err as Error).message}`);
    }
    files = await startServer(
      routes({
        // 4 MB: fits, but processing it needs about twice that again, which is not there.
        '/big.mp4': sendBody(videoBytes(4 * 1024 * 1024)),
        '/ok.mp4': serveFile(await makeClip({ width: 320, height: 240, seconds: 2 })),
      }),
    );
  });
  after(async () => {
    await vc?.close();
    await files?.close();
    if (mounted) execFileSync('umount', [mountDir]);
    await rm(mountDir, { recursive: true, force: true });
    await rm(`${mountDir}-logs`, { recursive: true, force: true });
    recordScenario({
      scenario: '4 disk full (tmpfs)',
      tried: 2,
      survived,
      lost: 0,
      notes: `${TMPFS_MB} MB tmpfs: insufficient_disk + critical alert, then success once freed`,
      seconds: (Date.now() - started) / 1000,
    });
  });

  it('fails the job for good with insufficient_disk and a critical alert, publishes nothing, then recovers once space is freed', async () => {
    vc = await startTestDaemon({ STORAGE_DIR: mountDir, LOG_DIR: `${mountDir}-logs`, HLS_SEGMENT_SECONDS: '1' });
    // Leave about 6 MB free: the 4 MB source downloads, the ~8 MB of ladder and staging it needs do not fit.
    const ballast = path.join(mountDir, 'ballast');
    await writeFile(ballast, Buffer.alloc((TMPFS_MB - 6) * 1024 * 1024));

    const big = await vc.api('POST', '/api/jobs', { source_url: files.url('/big.mp4') });
    const failed = await vc.waitForJob(big.body.id, (j) => j.status === 'failed' || j.status === 'completed', 30_000);
    assert.deepEqual([failed.status, failed.error_code, failed.retry_count], ['failed', 'insufficient_disk', 0], failed.error);
    assert.deepEqual(await readdir(path.join(mountDir, 'hls')), [], 'nothing published');
    assert.deepEqual(await readdir(path.join(mountDir, 'temp')), [], 'nothing left in temp');
    const alert = alertOf(mountDir, 'disk_full');
    assert.equal(alert?.level, 'critical', JSON.stringify(alert));
    survived += 1;

    await rm(ballast);
    const ok = await vc.api('POST', '/api/jobs', { source_url: files.url('/ok.mp4') });
    const done = await vc.waitForJob(ok.body.id, (j) => j.status === 'completed' || j.status === 'failed', 60_000);
    assert.equal(done.status, 'completed', done.error);
    assert.deepEqual(await readdir(path.join(mountDir, 'hls')), [`local-${ok.body.id}`]);
    assert.equal(alertOf(mountDir, 'disk_full')?.status, 'resolved', 'a completed job clears the incident');
    survived += 1;
  });
});

function alertOf(storageDir: string, rule: string): { level: string; status: string } | undefined {
  const db = new Database(path.join(storageDir, 'state.db'), { readonly: true });
  try {
    return db.prepare('SELECT level, status FROM alerts WHERE rule = ? ORDER BY id DESC LIMIT 1').get(rule) as
      { level: string; status: string } | undefined;
  } finally {
    db.close();
  }
}
