import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort, TEST_API_KEY } from './test-daemon.js';

const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
/** The compiled build (`npm run build`), as PM2 runs it. */
export const DIST_CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
// Resolved here: the daemon runs in its own storage directory, where `--import tsx` would not resolve.
const TSX = import.meta.resolve('tsx');

export interface SpawnedDaemon {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  readonly storageDir: string;
  /** The last 4 KB of stdout and stderr, for failure messages. */
  output(): string;
  /** Resolves with the exit code (null when killed) and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until /health answers; fails early if the process exits. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** SIGKILL if still running (for `finally`). */
  kill(): void;
}

/** A process's resident set (VmRSS) in kB, from /proc; NaN when /proc has no such figure. */
export async function vmRssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

/** ecosystem.config.js's app: the Node flags and environment PM2 gives the daemon in production. */
export interface DeployedApp {
  readonly node_args: string[];
  readonly env: Record<string, string>;
}

/** Reads ecosystem.config.js's first app, so tests and the bench run the daemon as PM2 does. */
export async function deployedApp(): Promise<DeployedApp> {
  const { apps } = (await import(new URL('../../ecosystem.config.js', import.meta.url).href)) as { apps: Array<Partial<DeployedApp>> };
  const app = apps[0];
  if (!app || !Array.isArray(app.node_args)) throw new Error('ecosystem.config.js must declare node_args as an array');
  return { node_args: app.node_args, env: app.env ?? {} };
}

export interface SpawnOptions {
  /** Run the compiled build (dist/cli.js, which must exist) instead of the TypeScript sources through tsx. */
  readonly compiled?: boolean;
  /** Node.js flags before the script, e.g. ecosystem.config.js's `node_args` (what PM2 runs in production). */
  readonly nodeArgs?: readonly string[];
}

/**
 * The real `video-compressor start` process with its own storage directory, on a free loopback port,
 * from the TypeScript sources (or the build). `env` adds to (and overrides) a test-friendly environment.
 */
export async function spawnDaemon(env: Record<string, string> = {}, options: SpawnOptions = {}): Promise<SpawnedDaemon> {
  const storageDir = await mkdtemp(path.join(tmpdir(), 'vc-process-'));
  const port = await freePort();
  const args = options.compiled ? [DIST_CLI, 'start'] : ['--import', TSX, CLI, 'start'];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], {
    cwd: storageDir,
    env: {
      ...process.env,
      API_KEY: TEST_API_KEY,
      PORT: String(port),
      STORAGE_DIR: storageDir,
      LOG_DIR: path.join(storageDir, 'logs'),
      LOG_PRETTY: 'false',
      ALLOW_PRIVATE_SOURCE_URLS: 'true',
      // Woken by submissions and webhooks; the cron never fires during a test.
      POLL_CRON: '0 0 1 1 *',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer): void => void (output = (output + d.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    child,
    baseUrl,
    storageDir,
    output: () => output,
    exited,
    // A cold start transpiles every source file through tsx: allow for a slow, busy machine.
    waitHealthy: async (timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the daemon exited early: ${output}`);
        if (
          await fetch(`${baseUrl}/health`).then(
            (r) => r.ok,
            () => false,
          )
        )
          return;
        await delay(100);
      }
      throw new Error(`the daemon did not come up within ${timeoutMs} ms: ${output}`);
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
