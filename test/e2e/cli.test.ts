import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { makeClip } from '../helpers/media-fixtures.js';
import { routes, startServer } from '../helpers/http-fixtures.js';
import { serveFile } from '../helpers/test-daemon.js';

const exec = promisify(execFile);
const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
const TSX = import.meta.resolve('tsx');

/** Runs `video-compressor …` in its own directory (no .env), returning the exit code and output. */
async function cli(
  args: string[],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = cwd ?? (await mkdtemp(path.join(tmpdir(), 'vc-cli-')));
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', TSX, CLI, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, STORAGE_DIR: path.join(dir, 'storage'), ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('command line', () => {
  let clip: string;
  before(async () => {
    clip = await makeClip({ width: 640, height: 360, seconds: 3 });
  });

  it('transcode <file> <out-dir> writes a verified ladder and prints a JSON summary', async () => {
    const out = path.join(await mkdtemp(path.join(tmpdir(), 'vc-cli-out-')), 'ladder');
    const { code, stdout, stderr } = await cli(['transcode', clip, out], { X264_PRESET: 'ultrafast', HLS_SEGMENT_SECONDS: '2' });
    assert.equal(code, 0, stderr);
    const summary = JSON.parse(stdout) as {
      renditions: Array<{ name: string; height: number; playlistPath: string }>;
      masterPath: string;
      outputBytes: number;
      info: { durationSeconds: number };
    };
    assert.deepEqual(
      summary.renditions.map((r) => `${r.name}:${r.height}`),
      ['low:360'],
      'a 360p source gets one rung at its own size',
    );
    assert.ok(Math.abs(summary.info.durationSeconds - 3) < 0.2);
    assert.match(await readFile(path.join(out, 'master.m3u8'), 'utf8'), /#EXT-X-STREAM-INF:BANDWIDTH=\d+.*\nlow\/playlist\.m3u8/);
    assert.ok((await readdir(path.join(out, 'low'))).some((f) => f.endsWith('.ts')));
    assert.ok(summary.outputBytes > 0);
  });

  it('transcode downloads a URL with the daemon policy, and refuses a non-empty out dir', async () => {
    const files = await startServer(routes({ '/clip.mp4': serveFile(clip) }));
    try {
      const out = await mkdtemp(path.join(tmpdir(), 'vc-cli-out-'));
      const env = { X264_PRESET: 'ultrafast', HLS_SEGMENT_SECONDS: '2' };
      const refused = await cli(['transcode', files.url('/clip.mp4'), out], env);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /source_url_forbidden/, 'loopback refused by default');
      const ok = await cli(['transcode', files.url('/clip.mp4'), out], { ...env, ALLOW_PRIVATE_SOURCE_URLS: 'true' });
      assert.equal(ok.code, 0, ok.stderr);
      const again = await cli(['transcode', clip, out], env);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /not empty.*--force/);
    } finally {
      await files.close();
    }
  });

  it('transcode reports a bad source with its error code and exit 1', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'vc-cli-'));
    const text = path.join(dir, 'notes.mp4');
    await writeFile(text, 'just text, no video');
    const { code, stderr } = await cli(['transcode', text, path.join(dir, 'out')]);
    assert.equal(code, 1);
    assert.match(stderr, /transcode failed \[invalid_format\]/);
  });

  it('doctor passes on a ready machine and lists each check', async () => {
    const { code, stdout } = await cli(['doctor'], { API_KEY: 'k'.repeat(32) });
    assert.equal(code, 0, stdout);
    for (const check of [
      'ffmpeg',
      'ffprobe',
      'encoder libx264',
      'encoder aac',
      'storage',
      'free space',
      'atomic publish',
      'source local',
      'API_KEY',
    ]) {
      assert.match(stdout, new RegExp(`✔ ${check}`), check);
    }
  });

  it('doctor fails with a clear line when ffmpeg is missing or the key is unset', async () => {
    const { code, stdout } = await cli(['doctor'], { FFMPEG_PATH: '/nonexistent/ffmpeg' });
    assert.equal(code, 1);
    assert.match(stdout, /✘ ffmpeg\s+\/nonexistent\/ffmpeg not found/);
    assert.match(stdout, /✘ API_KEY\s+missing/);
  });

  it('gc --dry-run reports what it would keep or remove and changes nothing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'vc-cli-'));
    const hls = path.join(dir, 'storage', 'hls');
    await mkdir(path.join(hls, 'local-jgone'), { recursive: true });
    await writeFile(path.join(hls, 'local-jgone', 'master.m3u8'), '#EXTM3U\n');
    await mkdir(path.join(hls, 'appwrite-1'));
    const { code, stdout, stderr } = await cli(['gc', '--dry-run'], {}, dir);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^kept local-jgone: local record missing/m);
    assert.match(stdout, /^kept appwrite-1: not a key of a configured source$/m);
    assert.match(stdout, /^2 ladders scanned, 0 orphans, 0 would be removed \(0 B\), 2 kept$/m);
    assert.match(stdout, /^dry run, nothing changed$/m);
    assert.deepEqual((await readdir(hls)).sort(), ['appwrite-1', 'local-jgone']);
    const wrong = await cli(['gc', '--force'], {}, dir);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /Unknown option '--force'/);
  });

  it('gc exits 1 and touches nothing of a source whose records cannot be listed', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'vc-cli-'));
    const hls = path.join(dir, 'storage', 'hls');
    await mkdir(path.join(hls, 'appwrite-a1'), { recursive: true });
    const env = {
      SOURCES: 'local,appwrite',
      // Nothing listens on the discard port: the CMS is down.
      APPWRITE_ENDPOINT: 'http://127.0.0.1:9/v1',
      APPWRITE_PROJECT_ID: 'p',
      APPWRITE_API_KEY: 'k',
      APPWRITE_DATABASE_ID: 'media',
      ORPHAN_GRACE_DAYS: '0',
    };
    const { code, stdout, stderr } = await cli(['gc'], env, dir);
    assert.equal(code, 1, stdout);
    assert.match(stderr, /^appwrite: records could not be listed, nothing touched: \[\w+\]/m);
    assert.match(stdout, /^1 ladder scanned, 0 orphans, 0 removed \(0 B\), 0 kept$/m);
    assert.deepEqual(await readdir(hls), ['appwrite-a1']);
  });

  it('start refuses an invalid configuration, naming every variable', async () => {
    const { code, stderr } = await cli(['start'], { API_KEY: 'short', PORT: 'x', LADDER: 'bad' });
    assert.equal(code, 2);
    for (const name of ['API_KEY', 'PORT', 'LADDER']) assert.match(stderr, new RegExp(`${name}:`));
  });

  it('start refuses to run without an API key', async () => {
    const { code, stderr } = await cli(['start']);
    assert.equal(code, 2);
    assert.match(stderr, /API_KEY: is required/);
  });
});
