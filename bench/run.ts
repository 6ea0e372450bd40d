/**
 * `npm run bench`: ladder vs the naive recipe, the cost of the picture/sound steps, daemon overhead, API under load, download vs curl,
 * poll cost, publishing to S3 vs cp; writes bench/results/latest.md. BENCH_QUICK=1 proves it runs (tiny sources, one run
 * each, 200 MB download): its figures mean nothing. Run the real bench on a quiet machine: A and B
 * alternate, so slow drift hits both, but a busy neighbour still skews the wall times.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { TEST_API_KEY } from '../test/helpers/test-daemon.js';
import { benchDaemon, daemonTable } from './daemon-bench.js';
import { deployedApp } from '../test/helpers/spawn-daemon.js';
import { benchDownload, downloadTable } from './download-bench.js';
import { benchLadder, ladderTable, type LadderRow } from './ladder-bench.js';
import { benchPicture, pictureTable } from './picture-bench.js';
import { benchPoll, pollTable } from './poll-bench.js';
import { benchPostgres, postgresTable } from './postgres-bench.js';
import { benchS3, s3Table } from './s3-bench.js';
import { benchPreviews, previewsTable } from './previews-bench.js';
import { makeSources, type BenchSource } from './sources.js';
import { QUICK, RUNS, sh } from './measure.js';

/**
 * The default ladder derives a 6000 kb/s cap for 1080p30, under the 8 Mb/s bench source, which
 * would make it ineligible for passthrough; the issue's target treats it as eligible, so the
 * top rung's cap is raised to 8500 kb/s here (and said so in the report). BENCH_LADDER overrides.
 */
const LADDER = process.env.BENCH_LADDER ?? 'high:1080:23:8500,medium:720:28,low:480:32';
const MEDIA_ENV = { LADDER, HLS_SEGMENT_SECONDS: '10', X264_PRESET: 'fast' };

function section(title: string, lines: readonly string[]): string[] {
  console.log(`\n## ${title}\n${lines.join('\n')}`);
  return ['', `## ${title}`, '', ...lines];
}

/** BENCH_ONLY=previews,poll runs only those sections and writes bench/results/only-previews-poll.md. */
const SECTIONS = ['ladder', 'picture', 'previews', 'daemon', 'download', 'poll', 's3', 'postgres'] as const;
type Section = (typeof SECTIONS)[number];
const ONLY = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter((s): s is Section => (SECTIONS as readonly string[]).includes(s));

async function main(): Promise<void> {
  const config = loadConfig({ envFile: false, env: { API_KEY: TEST_API_KEY, ...MEDIA_ENV } });
  const ffmpegVersion = (await sh('ffmpeg', ['-version'])).split('\n')[0] ?? '';
  console.log(`bench: ${QUICK ? 'QUICK (proves it runs; figures are meaningless)' : 'full'}, ${RUNS} run(s) of each side`);
  const sources = await makeSources();
  const report: string[] = [
    `# Benchmark (${new Date().toISOString().slice(0, 10)})${QUICK ? ' — QUICK MODE, not figures' : ''}${ONLY.length > 0 ? ` — only ${ONLY.join(', ')}` : ''}`,
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ${ffmpegVersion}; Node ${process.version}.`,
    `Ours: LADDER=${LADDER}, X264_PRESET=fast, HLS_SEGMENT_SECONDS=10, VIDEO_ENCODER=${config.media.videoEncoder}, PASSTHROUGH=${config.media.passthrough}.`,
    `Daemon: dist/cli.js with ecosystem.config.js's Node flags (${(await deployedApp()).node_args.join(' ') || 'none'}) and environment.`,
    `Sources: ${sources.map((s) => `${s.name} (${s.durationSeconds} s)`).join(', ')}. Median of ${RUNS} alternated run(s) per side.`,
  ];
  const byName = (prefix: string): BenchSource | undefined => sources.find((s) => s.name.startsWith(prefix)) ?? sources[0];
  const sections: Record<Section, () => Promise<string[]>> = {
    ladder: async () => {
      const rows: LadderRow[] = [];
      for (const source of sources) {
        console.log(`ladder: ${source.name}…`);
        rows.push(await benchLadder(source, config));
      }
      return section('Ladder: ours vs naive (three sequential ffmpeg, -preset fast, CRF 23/28/32, -hls_time 10)', ladderTable(rows));
    },
    picture: async () =>
      section('Picture and sound steps: what each source shape costs over a plain one', pictureTable(await benchPicture(config))),
    previews: async () => {
      const source = byName('1080p30 H.264');
      console.log('previews on vs off…');
      return source
        ? section('Previews (thumbnails, storyboard, preview.mp4): on vs off', previewsTable(await benchPreviews(source, config)))
        : [];
    },
    daemon: async () => {
      const source = byName('720p');
      console.log('daemon overhead and API load…');
      return source ? section('Daemon overhead and API under load', daemonTable(await benchDaemon(source, MEDIA_ENV), source.name)) : [];
    },
    download: async () => section('Download vs curl', downloadTable(await benchDownload())),
    poll: async () => section('Poll cost (embedded store)', pollTable(await benchPoll())),
    s3: async () => section('Publishing to S3-compatible storage vs cp', s3Table(await benchS3())),
    postgres: async () => section('Job store: SQLite vs PostgreSQL', postgresTable(await benchPostgres())),
  };
  for (const name of SECTIONS) if (ONLY.length === 0 || ONLY.includes(name)) report.push(...(await sections[name]()));
  const file = path.join(new URL('./results/', import.meta.url).pathname, ONLY.length > 0 ? `only-${ONLY.join('-')}.md` : 'latest.md');
  await writeReport(file, report);
}

async function writeReport(file: string, report: readonly string[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${report.join('\n')}\n`);
  console.log(`\nwritten to ${file}`);
}

await main();
