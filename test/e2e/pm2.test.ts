import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { envSchema } from '../../src/config/schema.js';
import { processAlive } from '../../src/pipeline/worker-liveness.js';
import { waitFor } from '../helpers/appwrite-fixtures.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { routes, startServer, type TestServer } from '../helpers/http-fixtures.js';
import { freePort, serveFile, TEST_API_KEY } from '../helpers/test-daemon.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PM2 = path.join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

interface Pm2Process {
  pid: number;
  name: string;
  pm2_env: { status: string; restart_time: number; exec_mode: string; pm_out_log_path: string; pm_cwd: string; node_args: string[] };
}

/**
 * The shipped ecosystem.config.js under the PM2 dev dependency, laid out as an install
 * (/var/www/video-compressor): package.json, the compiled dist/, node_modules, .env, and PM2's
 * home in a temp directory.
 */
describe('PM2 (ecosystem.config.js)', () => {
  let app: string;
  let port: number;
  let files: TestServer;
  let env: NodeJS.ProcessEnv;
  const base = (): string => `http://127.0.0.1:${port}`;
  const pm2 = (...args: string[]) => run(process.execPath, [PM2, ...args], { cwd: app, env, timeout: 60_000 });
  const list = async (): Promise<Pm2Process[]> => JSON.parse((await pm2('jlist')).stdout) as Pm2Process[];
  const daemon = async (): Promise<Pm2Process> => {
    const found = (await list()).find((p) => p.name === 'video-compressor');
    assert.ok(found, 'video-compressor is in pm2 jlist');
    return found;
  };
  const health = () =>
    fetch(`${base()}/health`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status,
      () => 0,
    );
  const killPm2 = (): void => {
    try {
      execFileSync(process.execPath, [PM2, 'kill'], { cwd: app, env, stdio: 'ignore', timeout: 30_000 });
    } catch {
      // already gone
    }
  };

  before(async () => {
    app = await mkdtemp(path.join(tmpdir(), 'vc-pm2-'));
    port = await freePort();
    // The daemon must see only its .env, as under a real install: PM2 hands its own environment on.
    env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !(name in envSchema.shape) && !name.startsWith('NODE_')));
    env.PM2_HOME = path.join(app, '.pm2');
    process.once('exit', killPm2);
    // Long enough that the encode is still running when PM2 stops the daemon, whatever the machine.
    const clip = makeClip({ width: 1280, height: 720, seconds: 40, maxrateKbps: 3000 });
    await run(process.execPath, [TSC, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(app, 'dist')], { cwd: ROOT });
    await copyFile(path.join(ROOT, 'package.json'), path.join(app, 'package.json'));
    await copyFile(path.join(ROOT, 'ecosystem.config.js'), path.join(app, 'ecosystem.config.js'));
    await symlink(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'));
    files = await startServer(routes({ '/long.mp4': serveFile(await clip) }));
    const dotenv = {
      API_KEY: TEST_API_KEY,
      PORT: String(port),
      ALLOW_PRIVATE_SOURCE_URLS: 'true',
      // Slow enough to still be encoding when PM2 stops the daemon.
      X264_PRESET: 'medium',
      HLS_SEGMENT_SECONDS: '2',
      HEARTBEAT_SECONDS: '1',
      POLL_CRON: '0 0 1 1 *',
    };
    await writeFile(
      path.join(app, '.env'),
      Object.entries(dotenv)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
    );
  });

  after(async () => {
    const pids = await list().then(
      (procs) => procs.map((p) => p.pid),
      () => [] as number[],
    );
    killPm2();
    process.removeListener('exit', killPm2);
    for (const pid of pids.filter((p) => p > 0 && processAlive(p))) process.kill(pid, 'SIGKILL');
    await files?.close();
    await rm(app, { recursive: true, force: true });
  });

  it('pm2 start ecosystem.config.js returns once the daemon is ready, in fork mode, logging to logs/', async () => {
    await pm2('start', 'ecosystem.config.js');
    // wait_ready: PM2 returned after process.send('ready'), so the daemon answers at once.
    assert.equal(await health(), 200);
    const proc = await daemon();
    assert.equal(proc.pm2_env.status, 'online');
    assert.equal(proc.pm2_env.exec_mode, 'fork_mode');
    assert.equal(proc.pm2_env.pm_cwd, app);
    assert.equal(proc.pm2_env.pm_out_log_path, path.join(app, 'logs', 'pm2-out.log'));
    assert.equal((await list()).length, 1, 'instances: 1');
    // PM2 (fork mode) puts node_args before its container script; the process title hides them from ps.
    assert.deepEqual(proc.pm2_env.node_args, ['--optimize-for-size']);
    assert.deepEqual((await readdir(path.join(app, 'storage'))).sort(), ['hls', 'state.db', 'state.db-shm', 'state.db-wal', 'temp']);
  });

  it('restarts the daemon after SIGKILL', async () => {
    const first = await daemon();
    process.kill(first.pid, 'SIGKILL');
    const now = await waitFor(
      'PM2 to restart the daemon',
      async () => {
        const proc = await daemon();
        return proc.pid !== first.pid && proc.pid !== 0 && proc.pm2_env.status === 'online' ? proc : null;
      },
      { timeoutMs: 60_000, everyMs: 200 },
    );
    assert.notEqual(now.pid, first.pid, 'a new process');
    assert.equal(now.pm2_env.status, 'online');
    assert.equal(now.pm2_env.restart_time, first.pm2_env.restart_time + 1);
    const status = await waitFor('/health to answer 200', async () => ((await health()) === 200 ? 200 : null), {
      timeoutMs: 60_000,
      everyMs: 100,
    });
    assert.equal(status, 200, '/health answers again');
  });

  it('pm2 stop during an encode releases the job (no job left processing, no temp files, no ffmpeg)', async () => {
    const headers = { 'X-API-Key': TEST_API_KEY, 'Content-Type': 'application/json' };
    const submitted = await fetch(`${base()}/api/jobs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ source_url: files.url('/long.mp4') }),
    });
    const { id } = (await submitted.json()) as { id: string };
    const { pid } = await daemon();
    // Wait for the events themselves, not for a time: the job's step turns `transcoding`, then the
    // daemon starts FFmpeg's HLS encode. The deadlines only turn a job that never gets there into a failure.
    const jobStep = async (): Promise<string> =>
      ((await (await fetch(`${base()}/api/jobs/${id}`, { headers })).json()) as { step: string }).step;
    const step = await waitFor('the job to reach the encode', async () => ((await jobStep()) === 'transcoding' ? 'transcoding' : null), {
      timeoutMs: 120_000,
      everyMs: 100,
    });
    assert.equal(step, 'transcoding', 'the job reached the encode');
    const encodes = await waitFor('FFmpeg encoding HLS as a child of the daemon', async () => (await hlsEncodesOf(pid, app)) || null, {
      timeoutMs: 60_000,
      everyMs: 50,
    });
    assert.ok(encodes >= 1, 'ffmpeg is running');
    assert.ok((await ffmpegsUsing(app)) >= 1, 'ffmpeg is running');

    await pm2('stop', 'video-compressor');
    assert.equal((await daemon()).pm2_env.status, 'stopped');
    assert.equal(processAlive(pid), false, 'the daemon exited');

    const db = new Database(path.join(app, 'storage', 'state.db'), { readonly: true });
    const processing = db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE status = 'processing'").get() as { n: number };
    const row = db.prepare('SELECT status, retry_count, claimed_by FROM jobs WHERE id = ?').get(id);
    const attempt = db.prepare('SELECT status FROM ledger WHERE record_id = ? ORDER BY id DESC').get(id);
    db.close();
    assert.equal(processing.n, 0);
    assert.deepEqual(row, { status: 'pending', retry_count: 0, claimed_by: null }, 'released without counting an attempt');
    assert.deepEqual(attempt, { status: 'released' });
    assert.deepEqual(await readdir(path.join(app, 'storage', 'temp')), []);
    assert.equal(await ffmpegsUsing(app), 0, 'no ffmpeg left behind');
    const out = await readFile(path.join(app, 'logs', 'pm2-out.log'), 'utf8');
    assert.match(out, /"signal":"SIGINT".*"msg":"shutting down"/, 'stopped by PM2’s signal, gracefully');
  });
});

/** FFmpeg processes started by `pid` that write an HLS ladder into `dir` (the encode itself, not a probe or a poster). */
async function hlsEncodesOf(pid: number, dir: string): Promise<number> {
  const { stdout } = await run('ps', ['-eo', 'ppid=,args=']);
  return stdout
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
    .filter((m) => m !== null && Number(m[1]) === pid && m[2]!.startsWith('ffmpeg') && m[2]!.includes(' -f hls ') && m[2]!.includes(dir))
    .length;
}

async function ffmpegsUsing(dir: string): Promise<number> {
  const { stdout } = await run('ps', ['-eo', 'args']);
  return stdout.split('\n').filter((line) => line.startsWith('ffmpeg') && line.includes(dir)).length;
}
