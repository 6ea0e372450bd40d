/**
 * The daemon as the bench drives it: the compiled build with ecosystem.config.js's Node flags and
 * environment (as PM2 runs it) in its own process, so its event loop, memory and CPU are its own.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { deployedApp, spawnDaemon, vmRssKb, type SpawnedDaemon } from '../test/helpers/spawn-daemon.js';
import { TEST_API_KEY } from '../test/helpers/test-daemon.js';

export interface BenchDaemon extends SpawnedDaemon {
  api(method: string, route: string, body?: unknown): Promise<unknown>;
  /** Submits a job and resolves with its final record (completed or failed). */
  run(sourceUrl: string, onStep?: { step: string; then: () => Promise<void> }): Promise<{ status: string; error_code?: string | null }>;
  /** The daemon's structured log lines with this `msg`, oldest first. */
  logLines(msg: string): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

/** The compiled daemon with PM2's Node flags and environment, plus `env`. */
export async function startBenchDaemon(env: Record<string, string>): Promise<BenchDaemon> {
  const app = await deployedApp();
  const daemon = await spawnDaemon({ ...app.env, LOG_LEVEL: 'info', ...env }, { compiled: true, nodeArgs: app.node_args });
  await daemon.waitHealthy();
  const api = async (method: string, route: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(daemon.baseUrl + route, {
      method,
      headers: { 'X-API-Key': TEST_API_KEY, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const job = async (id: string): Promise<{ status: string; step?: string | null; error_code?: string | null }> =>
    (await api('GET', `/api/jobs/${id}`)) as { status: string; step?: string | null };
  return {
    ...daemon,
    api,
    async run(sourceUrl, onStep) {
      const { id } = (await api('POST', '/api/jobs', { source_url: sourceUrl, title: 'bench' })) as { id: string };
      let pending = onStep;
      for (;;) {
        const current = await job(id);
        if (current.status === 'completed' || current.status === 'failed') return current;
        if (pending && current.status === 'processing' && current.step === pending.step) {
          const { then } = pending;
          pending = undefined;
          await then();
          continue;
        }
        await delay(100);
      }
    },
    logLines: (msg) => readLogLines(path.join(daemon.storageDir, 'logs'), msg),
    async close() {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    },
  };
}

async function readLogLines(dir: string, msg: string): Promise<Array<Record<string, unknown>>> {
  const files = (await readdir(dir)).filter((f) => /^app\..*\.log$/.test(f)).sort();
  const lines: Array<Record<string, unknown>> = [];
  for (const file of files) {
    for (const line of (await readFile(path.join(dir, file), 'utf8')).split('\n')) {
      if (!line.includes(msg)) continue;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed.msg === msg) lines.push(parsed);
    }
  }
  return lines;
}

/** 0 once the process is gone. */
const rssKb = async (pid: number): Promise<number> => {
  const kb = await vmRssKb(pid).catch(() => 0);
  return Number.isFinite(kb) ? kb : 0;
};

/**
 * Waits until a freshly started process's RSS has settled: V8's memory reducer collects the
 * start-up garbage some 8 s after the allocations stop, so at least `minMs`, then five 1 s samples
 * within 2 MB (at most `maxMs`). Resolves with the settled RSS in MB.
 */
export async function settledRss(pid: number, minMs = 15_000, maxMs = 60_000): Promise<number> {
  const samples: number[] = [];
  const deadline = Date.now() + maxMs;
  await delay(minMs);
  for (;;) {
    samples.push(await rssKb(pid));
    const last = samples.slice(-5);
    if ((last.length === 5 && Math.max(...last) - Math.min(...last) < 2048) || Date.now() > deadline) return (last.at(-1) ?? 0) / 1024;
    await delay(1000);
  }
}

/** Samples a process's resident set from /proc every `everyMs` until stopped; reports the peak. */
export function sampleRss(pid: number, everyMs = 50): { stop(): Promise<{ peakMB: number }> } {
  let peak = 0;
  const read = async (): Promise<void> => {
    peak = Math.max(peak, await rssKb(pid));
  };
  const timer = setInterval(() => void read(), everyMs);
  void read();
  return {
    async stop() {
      clearInterval(timer);
      await read();
      return { peakMB: peak / 1024 };
    },
  };
}
