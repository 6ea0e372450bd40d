import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { makeClip } from '../helpers/media-fixtures.js';
import { routes, startServer, type TestServer } from '../helpers/http-fixtures.js';
import { spawnDaemon } from '../helpers/spawn-daemon.js';
import { serveFile, TEST_API_KEY } from '../helpers/test-daemon.js';

const run = promisify(execFile);

async function ffmpegsUsing(dir: string): Promise<number> {
  const { stdout } = await run('ps', ['-eo', 'args']);
  return stdout.split('\n').filter((line) => line.includes('ffmpeg') && line.includes(dir)).length;
}

/** SIGTERM during an encode, on the real daemon process (`video-compressor start`). */
describe('graceful shutdown', () => {
  let files: TestServer;

  before(async () => {
    // Long and slow enough to still be encoding when the signal arrives.
    const clip = await makeClip({ width: 1920, height: 1080, seconds: 20 });
    files = await startServer(routes({ '/long.mp4': serveFile(clip) }));
  });

  after(async () => {
    await files?.close();
  });

  it('returns the running job to pending without counting an attempt, kills ffmpeg, cleans temp, exits 0 within 10 s', async () => {
    const vc = await spawnDaemon({ X264_PRESET: 'medium', HEARTBEAT_SECONDS: '1' });
    const storage = vc.storageDir;
    try {
      await vc.waitHealthy();
      const headers = { 'X-API-Key': TEST_API_KEY, 'Content-Type': 'application/json' };
      const { id } = (await (
        await fetch(`${vc.baseUrl}/api/jobs`, { method: 'POST', headers, body: JSON.stringify({ source_url: files.url('/long.mp4') }) })
      ).json()) as { id: string };
      let step = '';
      for (let i = 0; i < 300 && step !== 'transcoding'; i += 1) {
        await delay(100);
        step = ((await (await fetch(`${vc.baseUrl}/api/jobs/${id}`, { headers })).json()) as { step: string }).step;
      }
      assert.equal(step, 'transcoding', 'the job reached the encode');
      await delay(1500);
      assert.ok((await ffmpegsUsing(storage)) >= 1, 'ffmpeg is running');

      const signalledAt = Date.now();
      vc.child.kill('SIGTERM');
      const { code } = await vc.exited;
      const elapsed = Date.now() - signalledAt;
      assert.equal(code, 0, vc.output());
      assert.ok(elapsed < 10_000, `exited after ${elapsed} ms`);

      const db = new Database(path.join(storage, 'state.db'), { readonly: true });
      const row = db.prepare('SELECT status, retry_count, claimed_by FROM jobs WHERE id = ?').get(id) as Record<string, unknown>;
      db.close();
      assert.deepEqual(row, { status: 'pending', retry_count: 0, claimed_by: null });
      assert.deepEqual(await readdir(path.join(storage, 'temp')), []);
      assert.equal(await ffmpegsUsing(storage), 0, 'no ffmpeg left behind');
    } finally {
      vc.kill();
    }
  });
});
