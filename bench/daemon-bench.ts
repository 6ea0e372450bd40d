/**
 * Daemon overhead (submit → completed through the embedded source vs a bare transcode of the same
 * file) and API latency under a 200 req/s load while a transcode runs.
 */
import { createServer, Agent, request, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { loadConfig } from '../src/config/config.js';
import { silentLogger } from '../src/logging/logger.js';
import { createFfmpegRunner } from '../src/media/ffmpeg-runner.js';
import { transcodeLadder } from '../src/media/transcode.js';
import { serveFile, startTestDaemon, TEST_API_KEY, type TestDaemon } from '../test/helpers/test-daemon.js';
import { benchDir, type BenchSource } from './sources.js';
import { alternate, fmt, median, percentile, QUICK } from './measure.js';

const RATE = 200;
const LOAD_SECONDS = QUICK ? 3 : 20;
/** Open-loop generator, bounded: past this many requests in flight, a tick is counted as dropped. */
const MAX_IN_FLIGHT = 64;

export interface DaemonFigures {
  readonly daemonMs: number;
  readonly bareMs: number;
  readonly latency: Record<'/health' | '/api/jobs', { p50: number; p99: number; n: number; errors: number }>;
  readonly dropped: number;
}

function serve(file: string): Promise<{ server: Server; url: string }> {
  const server = createServer(serveFile(file));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/source.mp4` });
  }));
}

async function submitAndWait(vc: TestDaemon, url: string, onProcessing?: () => Promise<void>): Promise<void> {
  const { body } = await vc.api('POST', '/api/jobs', { source_url: url, title: 'bench' });
  const id = String((body as { id: string }).id);
  if (onProcessing) {
    await vc.waitForJob(id, (j: { status: string; step?: string }) => j.status !== 'pending' && j.step === 'transcoding', 600_000);
    await onProcessing();
  }
  const job = await vc.waitForJob(id, (j: { status: string }) => j.status === 'completed' || j.status === 'failed', 3_600_000);
  if ((job as { status: string }).status !== 'completed') throw new Error(`bench job failed: ${JSON.stringify(job)}`);
}

export async function benchDaemon(source: BenchSource, env: Record<string, string>): Promise<DaemonFigures> {
  const { server, url } = await serve(source.file);
  const vc = await startTestDaemon({ X264_PRESET: 'fast', HLS_SEGMENT_SECONDS: '10', ...env });
  const config = loadConfig({ envFile: false, env: { API_KEY: TEST_API_KEY, HLS_SEGMENT_SECONDS: '10', X264_PRESET: 'fast', ...env } });
  const runner = createFfmpegRunner({ ffmpegPath: config.media.ffmpegPath, log: silentLogger() });
  try {
    const runs = await alternate(
      () => submitAndWait(vc, url),
      async () => {
        const out = await mkdtemp(path.join(benchDir(), 'bare-'));
        await transcodeLadder({ input: source.file, outDir: out, media: config.media, runner, log: silentLogger() });
        await rm(out, { recursive: true, force: true });
      },
    );
    let load: Awaited<ReturnType<typeof loadApi>> | null = null;
    await submitAndWait(vc, url, async () => {
      load = await loadApi(vc.baseUrl);
    });
    if (load === null) throw new Error('no load figures');
    return { daemonMs: median(runs.a), bareMs: median(runs.b), ...(load as Awaited<ReturnType<typeof loadApi>>) };
  } finally {
    await vc.close();
    server.close();
  }
}

/** One GET over a keep-alive agent; resolves with its latency in ms, or null on error/non-2xx. */
function get(agent: Agent, base: URL, route: string): Promise<number | null> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request({ agent, host: base.hostname, port: base.port, path: route, headers: { 'X-API-Key': TEST_API_KEY } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode !== undefined && res.statusCode < 300 ? performance.now() - started : null));
    });
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** RATE requests/s for LOAD_SECONDS, alternating /health and /api/jobs, open loop. */
async function loadApi(baseUrl: string): Promise<Pick<DaemonFigures, 'latency' | 'dropped'>> {
  const agent = new Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  const base = new URL(baseUrl);
  const routes = ['/health', '/api/jobs'] as const;
  const samples: Record<(typeof routes)[number], number[]> = { '/health': [], '/api/jobs': [] };
  const errors = { '/health': 0, '/api/jobs': 0 };
  const pending: Array<Promise<void>> = [];
  let inFlight = 0;
  let dropped = 0;
  const started = performance.now();
  for (let i = 0; i < RATE * LOAD_SECONDS; i += 1) {
    // Ticks are scheduled against the start time, so a slow response does not lower the rate.
    const wait = started + (i * 1000) / RATE - performance.now();
    if (wait > 0) await delay(wait);
    if (inFlight >= MAX_IN_FLIGHT) {
      dropped += 1;
      continue;
    }
    const route = routes[i % 2] ?? '/health';
    inFlight += 1;
    pending.push(get(agent, base, route).then((ms) => {
      inFlight -= 1;
      if (ms === null) errors[route] += 1;
      else samples[route].push(ms);
    }));
  }
  await Promise.all(pending);
  agent.destroy();
  const stats = (r: (typeof routes)[number]) => ({ p50: percentile(samples[r], 50), p99: percentile(samples[r], 99), n: samples[r].length, errors: errors[r] });
  return { latency: { '/health': stats('/health'), '/api/jobs': stats('/api/jobs') }, dropped };
}

export function daemonTable(f: DaemonFigures, sourceName: string): string[] {
  return [
    `Source: ${sourceName}.`,
    '',
    '| submit → completed (daemon) | bare transcode | daemon / bare |',
    '|---|---|---|',
    `| ${fmt(f.daemonMs / 1000, 1)} s | ${fmt(f.bareMs / 1000, 1)} s | ${fmt(f.daemonMs / f.bareMs)} |`,
    '',
    `API at ${RATE} req/s for ${LOAD_SECONDS} s during a transcode (keep-alive, open loop, ≤ ${MAX_IN_FLIGHT} in flight; ${f.dropped} ticks dropped):`,
    '',
    '| route | p50 | p99 | ok | errors |',
    '|---|---|---|---|---|',
    ...(['/health', '/api/jobs'] as const).map((r) => `| ${r} | ${fmt(f.latency[r].p50, 1)} ms | ${fmt(f.latency[r].p99, 1)} ms | ${f.latency[r].n} | ${f.latency[r].errors} |`),
  ];
}
