/**
 * Daemon overhead (submit → completed through the embedded source vs a bare `video-compressor
 * transcode` of the same file, both the compiled build in their own processes) and API latency
 * under load (autocannon, its own processes) while the daemon transcodes, at two FFMPEG_NICE levels.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { DIST_CLI } from '../test/helpers/spawn-daemon.js';
import { serveFile, TEST_API_KEY } from '../test/helpers/test-daemon.js';
import { startBenchDaemon, type BenchDaemon } from './daemon-process.js';
import { benchDir, type BenchSource } from './sources.js';
import { alternate, fmt, median, QUICK, sh } from './measure.js';

/** Requests per second in all, split evenly over the two routes. */
const RATE = 200;
const LOAD_SECONDS = QUICK ? 3 : 20;
const ROUTES = ['/health', '/api/jobs'] as const;
type Route = (typeof ROUTES)[number];

export interface LatencyFigures {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly requests: number;
  readonly errors: number;
}

export interface LoadFigures {
  readonly nice: number;
  readonly latency: Record<Route, LatencyFigures>;
  /** Submit → completed of the job transcoding under that load: what the lower priority costs it. */
  readonly jobMs: number;
}

/** FFMPEG_NICE levels compared: unchanged, the default, the lowest priority. */
const NICE_LEVELS = [0, 10, 19] as const;

export interface DaemonFigures {
  readonly daemonMs: number;
  readonly bareMs: number;
  readonly load: readonly LoadFigures[];
}

function serve(file: string): Promise<{ server: Server; url: string }> {
  const server = createServer(serveFile(file));
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/source.mp4` });
    }),
  );
}

async function completed(vc: BenchDaemon, url: string, onStep?: Parameters<BenchDaemon['run']>[1]): Promise<void> {
  const job = await vc.run(url, onStep);
  if (job.status !== 'completed') throw new Error(`bench job failed: ${JSON.stringify(job)}`);
}

export async function benchDaemon(source: BenchSource, env: Record<string, string>): Promise<DaemonFigures> {
  const { server, url } = await serve(source.file);
  try {
    const vc = await startBenchDaemon({ ...env, FFMPEG_NICE: '0' });
    let runs: Awaited<ReturnType<typeof alternate<void, void>>>;
    try {
      runs = await alternate(
        () => completed(vc, url),
        () => bareTranscode(source.file, env),
      );
    } finally {
      await vc.close();
    }
    const load: LoadFigures[] = [];
    for (const nice of NICE_LEVELS) load.push(await loadDuringTranscode(url, env, nice));
    return { daemonMs: median(runs.a), bareMs: median(runs.b), load };
  } finally {
    server.close();
  }
}

/**
 * `node dist/cli.js transcode <file> <out>`: the same pipeline without the daemon around it, in a
 * scratch directory (no .env there) with the daemon's settings.
 */
async function bareTranscode(file: string, env: Record<string, string>): Promise<void> {
  const dir = await mkdtemp(path.join(benchDir(), 'bare-'));
  try {
    await sh(process.execPath, [DIST_CLI, 'transcode', file, path.join(dir, 'out')], {
      cwd: dir,
      env: { ...process.env, API_KEY: TEST_API_KEY, ...env },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A fresh daemon at this nice level; the load starts once its job reaches the transcoding step. */
async function loadDuringTranscode(url: string, env: Record<string, string>, nice: number): Promise<LoadFigures> {
  const vc = await startBenchDaemon({ ...env, FFMPEG_NICE: String(nice) });
  try {
    let latency: Record<Route, LatencyFigures> | null = null;
    const started = performance.now();
    await completed(vc, url, {
      step: 'transcoding',
      then: async () => {
        const results = await Promise.all(ROUTES.map((route) => autocannon(vc.baseUrl + route, RATE / ROUTES.length)));
        latency = { '/health': results[0] as LatencyFigures, '/api/jobs': results[1] as LatencyFigures };
      },
    });
    const jobMs = performance.now() - started;
    if (latency === null) throw new Error('the job finished before it was seen transcoding');
    return { nice, latency, jobMs };
  } finally {
    await vc.close();
  }
}

/** autocannon at a fixed rate in its own process; its JSON report's latency percentiles. */
async function autocannon(url: string, rate: number): Promise<LatencyFigures> {
  const bin = new URL('../node_modules/.bin/autocannon', import.meta.url).pathname;
  const args = ['-j', '-n', '-c', '10', '-R', String(rate), '-d', String(LOAD_SECONDS), '-H', `X-API-Key=${TEST_API_KEY}`, url];
  const out = await sh(bin, args);
  const report = JSON.parse(out.slice(out.indexOf('{'))) as {
    latency: { p50: number; p99: number; max: number };
    requests: { total: number };
    errors: number;
    timeouts: number;
    non2xx: number;
  };
  return {
    p50: report.latency.p50,
    p99: report.latency.p99,
    max: report.latency.max,
    requests: report.requests.total,
    errors: report.errors + report.timeouts + report.non2xx,
  };
}

export function daemonTable(f: DaemonFigures, sourceName: string): string[] {
  return [
    `Source: ${sourceName}. Both sides are the compiled build in their own process.`,
    '',
    '| submit → completed (daemon) | bare `transcode` | daemon / bare |',
    '|---|---|---|',
    `| ${fmt(f.daemonMs / 1000, 1)} s | ${fmt(f.bareMs / 1000, 1)} s | ${fmt(f.daemonMs / f.bareMs)} |`,
    '',
    `API at ${RATE} req/s in all (${RATE / ROUTES.length} per route, autocannon, 10 connections each) for ${LOAD_SECONDS} s while the daemon transcodes:`,
    '',
    '| FFMPEG_NICE | route | p50 | p99 | max | requests | errors | job submit → completed |',
    '|---|---|---|---|---|---|---|---|',
    ...f.load.flatMap((l) =>
      ROUTES.map((r) => {
        const x = l.latency[r];
        return `| ${l.nice} | ${r} | ${fmt(x.p50, 1)} ms | ${fmt(x.p99, 1)} ms | ${fmt(x.max, 1)} ms | ${x.requests} | ${x.errors} | ${fmt(l.jobMs / 1000, 1)} s |`;
      }),
    ),
  ];
}
