import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { mkdtemp } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { makeClip } from '../helpers/media-fixtures.js';
import { routes, startServer, type TestServer } from '../helpers/http-fixtures.js';
import { freePort, serveFile, TEST_API_KEY } from '../helpers/test-daemon.js';

const run = promisify(execFile);
const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
// Resolved here: the daemon runs in its own storage directory, where `--import tsx` would not resolve.
const TSX = import.meta.resolve('tsx');

async function ffmpegsUsing(dir: string): Promise<number> {
  const { stdout } = await run('ps', ['-eo', 'args']);
  return stdout.split('\n').filter((line) => line.includes('ffmpeg') && line.includes(dir)).length;
}

/** SIGTERM during an encode, on the real daemon process (`video-compressor start`). */
describe('graceful shutdown', () => {
  let files: TestServer;
  let storage: string;

  before(async () => {
    // Long and slow enough to still be encoding when the signal arrives.
    const clip = await makeClip({ width: 1920, height: 1080, seconds: 20 });
    files = await startServer(routes({ '/long.mp4': serveFile(clip) }));
    storage = await mkdtemp(path.join(tmpdir(), 'vc-shutdown-'));
  });

  after(async () => {
    await files?.close();
  });

  it('returns the running job to pending without counting an attempt, kills ffmpeg, cleans temp, exits 0 within 10 s', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', TSX, CLI, 'start'], {
      cwd: storage,
      env: {
        ...process.env,
        API_KEY: TEST_API_KEY,
        PORT: String(port),
        STORAGE_DIR: storage,
        LOG_DIR: path.join(storage, 'logs'),
        LOG_PRETTY: 'false',
        ALLOW_PRIVATE_SOURCE_URLS: 'true',
        X264_PRESET: 'medium',
        HEARTBEAT_SECONDS: '1',
        POLL_CRON: '0 0 1 1 *',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const base = `http://127.0.0.1:${port}`;
      const headers = { 'X-API-Key': TEST_API_KEY, 'Content-Type': 'application/json' };
      // A cold start transpiles every source file through tsx: allow for a slow, busy machine.
      let up = false;
      for (let i = 0; i < 600 && !up && child.exitCode === null; i += 1) {
        up = await fetch(`${base}/health`).then((r) => r.ok, () => false);
        if (!up) await delay(100);
      }
      assert.ok(up, `daemon did not come up: ${stderr}`);
      const { id } = (await (await fetch(`${base}/api/jobs`, { method: 'POST', headers, body: JSON.stringify({ source_url: files.url('/long.mp4') }) })).json()) as { id: string };
      let step = '';
      for (let i = 0; i < 300 && step !== 'transcoding'; i += 1) {
        await delay(100);
        step = ((await (await fetch(`${base}/api/jobs/${id}`, { headers })).json()) as { step: string }).step;
      }
      assert.equal(step, 'transcoding', 'the job reached the encode');
      await delay(1500);
      assert.ok((await ffmpegsUsing(storage)) >= 1, 'ffmpeg is running');

      const signalledAt = Date.now();
      child.kill('SIGTERM');
      const code = await exited;
      const elapsed = Date.now() - signalledAt;
      assert.equal(code, 0, stderr);
      assert.ok(elapsed < 10_000, `exited after ${elapsed} ms`);

      const db = new Database(path.join(storage, 'state.db'), { readonly: true });
      const row = db.prepare('SELECT status, retry_count, claimed_by FROM jobs WHERE id = ?').get(id) as Record<string, unknown>;
      db.close();
      assert.deepEqual(row, { status: 'pending', retry_count: 0, claimed_by: null });
      assert.deepEqual(await readdir(path.join(storage, 'temp')), []);
      assert.equal(await ffmpegsUsing(storage), 0, 'no ffmpeg left behind');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
