/**
 * `npm run bench`: times the ladder on generated sources and writes bench/results/latest.md.
 * Timings live here, not in the tests: the machines are shared and noisy, so each case runs
 * several times and the median is reported with the encode speed relative to real time.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { silentLogger } from '../src/logging/logger.js';
import { createPipelineTools } from '../src/pipeline/pipeline-tools.js';
import { makeClip } from '../test/helpers/media-fixtures.js';

interface Case {
  readonly name: string;
  readonly clip: Parameters<typeof makeClip>[0];
}

const CASES: readonly Case[] = [
  { name: '1080p30 H.264, 20 s', clip: { width: 1920, height: 1080, fps: 30, seconds: 20 } },
  { name: '720p30 H.264, 20 s', clip: { width: 1280, height: 720, fps: 30, seconds: 20 } },
  { name: '1080p30 HEVC, 20 s', clip: { width: 1920, height: 1080, fps: 30, seconds: 20, codec: 'hevc' } },
];
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

async function main(): Promise<void> {
  const config = loadConfig({ envFile: false });
  const tools = createPipelineTools({ config, log: silentLogger() });
  const signal = new AbortController().signal;
  const rows: string[] = [];
  for (const c of CASES) {
    const input = await makeClip(c.clip);
    const info = await tools.probe(input, signal);
    const times: number[] = [];
    let summary = '';
    for (let i = 0; i < RUNS; i += 1) {
      const out = await mkdtemp(path.join(tmpdir(), 'vc-bench-'));
      const started = performance.now();
      const result = await tools.transcode({ input, outDir: out, info, signal, log: silentLogger(), onProgress: () => undefined });
      times.push(performance.now() - started);
      summary = result.renditions.map((r) => `${r.name} ${r.width}x${r.height} peak ${(r.bandwidth / 1e6).toFixed(2)} Mb/s avg ${(r.averageBandwidth / 1e6).toFixed(2)} Mb/s`).join('; ');
      await rm(out, { recursive: true, force: true });
    }
    const wall = median(times) / 1000;
    rows.push(`| ${c.name} | ${wall.toFixed(1)} s | ${(info.durationSeconds / wall).toFixed(2)}× | ${summary} |`);
    console.log(rows.at(-1));
  }
  const report = [
    `# Benchmark (${new Date().toISOString().slice(0, 10)})`,
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; preset ${config.media.x264Preset}; segment ${config.media.segmentSeconds} s; median of ${RUNS} runs.`,
    '',
    '| source | ladder wall time | speed (× real time) | rungs |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  const dir = new URL('./results/', import.meta.url).pathname;
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'latest.md'), report);
  console.log(`\nwritten to ${path.join(dir, 'latest.md')}`);
}

await main();
