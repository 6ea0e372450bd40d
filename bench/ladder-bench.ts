/**
 * Ladder: our one-process `transcode` vs the naive recipe (three sequential FFmpeg
 * processes, one per rung, libx264 -preset fast, CRF 23/28/32, AAC, -hls_time 10), per source.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { AppConfig } from '../src/config/config.js';
import { silentLogger } from '../src/logging/logger.js';
import { createFfmpegRunner } from '../src/media/ffmpeg-runner.js';
import { transcodeLadder } from '../src/media/transcode.js';
import type { TranscodeOutput } from '../src/media/types.js';
import type { BenchSource } from './sources.js';
import { benchDir } from './sources.js';
import { alternate, fmt, mbps, median, renditionFigures, seconds, segmentsAligned, sh, type RenditionFigures } from './measure.js';

const NAIVE_RUNGS = [
  { height: 1080, crf: 23 },
  { height: 720, crf: 28 },
  { height: 480, crf: 32 },
] as const;

interface RungResult extends RenditionFigures {
  readonly height: number;
  readonly ssim: number;
}

/** The naive recipe (one FFmpeg run per rung, as first specified): rungs above the source are skipped (it never upscaled either). */
async function naiveLadder(source: BenchSource, sourceHeight: number, out: string): Promise<string[]> {
  const playlists: string[] = [];
  for (const rung of NAIVE_RUNGS.filter((r) => r.height <= sourceHeight)) {
    const dir = path.join(out, String(rung.height));
    await mkdir(dir, { recursive: true });
    const playlist = path.join(dir, 'index.m3u8');
    await sh('ffmpeg', [
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-i',
      source.file,
      '-vf',
      `scale=-2:${rung.height}`,
      '-c:v',
      'libx264',
      '-preset',
      'fast',
      '-crf',
      String(rung.crf),
      '-c:a',
      'aac',
      '-f',
      'hls',
      '-hls_time',
      '10',
      '-hls_playlist_type',
      'vod',
      playlist,
    ]);
    playlists.push(playlist);
  }
  return playlists;
}

/** SSIM (All) of a rendition against the source scaled to the rendition's size (bicubic). */
export async function ssimOf(rendition: string, source: string): Promise<number> {
  const size =
    (await sh('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', rendition]))
      .trim()
      .split('\n')[0] ?? '';
  const [w, h] = size.split(',');
  const log = await sh('ffmpeg', [
    '-hide_banner',
    '-nostdin',
    '-i',
    rendition,
    '-i',
    source,
    '-lavfi',
    `[1:v]scale=${w}:${h}:flags=bicubic,setsar=1[ref];[0:v]setsar=1[dist];[dist][ref]ssim`,
    '-f',
    'null',
    '-',
  ]);
  return Number(/SSIM .*All:([\d.]+)/.exec(log)?.[1] ?? Number.NaN);
}

async function measure(playlists: ReadonlyArray<{ height: number; playlist: string }>, source: BenchSource): Promise<RungResult[]> {
  const results: RungResult[] = [];
  for (const { height, playlist } of playlists)
    results.push({ height, ...(await renditionFigures(playlist)), ssim: await ssimOf(playlist, source.file) });
  return results;
}

export interface LadderRow {
  readonly source: string;
  readonly oursMs: number;
  readonly naiveMs: number;
  readonly passthrough: string;
  readonly ours: RungResult[];
  readonly naive: RungResult[];
  /** A master playlist listing every rung (EXT-X-STREAM-INF with BANDWIDTH and RESOLUTION) exists. */
  readonly oursMaster: boolean;
  readonly naiveMaster: boolean;
}

/** Whether any playlist under `dir` is a master listing `rungs` variants with BANDWIDTH and RESOLUTION. */
async function hasMaster(dir: string, rungs: number): Promise<boolean> {
  for (const entry of await readdir(dir, { recursive: true })) {
    if (!entry.endsWith('.m3u8')) continue;
    const variants = (await readFile(path.join(dir, entry), 'utf8')).split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF:'));
    if (variants.length === rungs && variants.every((l) => /BANDWIDTH=\d+/.test(l) && /RESOLUTION=\d+x\d+/.test(l))) return true;
  }
  return false;
}

/** One source, A (ours) and B (naive) alternated; figures of the last run of each. */
export async function benchLadder(source: BenchSource, config: AppConfig): Promise<LadderRow> {
  const runner = createFfmpegRunner({ ffmpegPath: config.media.ffmpegPath, watchdog: config.media.watchdog, log: silentLogger() });
  const log = silentLogger();
  const oursDir = path.join(benchDir(), 'ours');
  const naiveDir = path.join(benchDir(), 'naive');
  let sourceHeight = 0;
  const runs = await alternate<TranscodeOutput, string[]>(
    async () => {
      await rm(oursDir, { recursive: true, force: true });
      const out = await transcodeLadder({ input: source.file, outDir: oursDir, media: config.media, runner, log });
      sourceHeight = out.info.video.height;
      return out;
    },
    async () => {
      await rm(naiveDir, { recursive: true, force: true });
      return naiveLadder(source, sourceHeight, await mkdtemp(`${naiveDir}-`));
    },
  );
  const ours = await measure(
    runs.lastA.renditions.map((r) => ({ height: r.height, playlist: path.join(oursDir, r.playlistPath) })),
    source,
  );
  const naive = await measure(
    runs.lastB.map((p) => ({ height: Number(path.basename(path.dirname(p))), playlist: p })),
    source,
  );
  const { topRung } = runs.lastA;
  const naiveRoot = path.dirname(path.dirname(runs.lastB[0] ?? naiveDir));
  return {
    source: source.name,
    oursMs: median(runs.a),
    naiveMs: median(runs.b),
    passthrough: topRung.copied ? 'copied' : `encoded (${topRung.reason})`,
    ours,
    naive,
    oursMaster: await hasMaster(oursDir, ours.length),
    naiveMaster: await hasMaster(naiveRoot, naive.length),
  };
}

/** Markdown lines for the ladder section. */
export function ladderTable(rows: readonly LadderRow[]): string[] {
  const yes = (ok: boolean): string => (ok ? 'yes' : 'no');
  const lines = [
    '| source | ours | naive | ours / naive | top rung (ours) | segments aligned: ours / naive | master playlist: ours / naive |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const aligned = `${yes(segmentsAligned(r.ours))} / ${yes(segmentsAligned(r.naive))}`;
    const master = `${yes(r.oursMaster)} / ${yes(r.naiveMaster)}`;
    lines.push(
      `| ${r.source} | ${seconds(r.oursMs)} | ${seconds(r.naiveMs)} | ${fmt(r.oursMs / r.naiveMs)} | ${r.passthrough} | ${aligned} | ${master} |`,
    );
  }
  lines.push('', '| source | rung | recipe | bytes | avg Mb/s | peak Mb/s | SSIM |', '|---|---|---|---|---|---|---|');
  for (const r of rows) {
    for (const [recipe, rungs] of [
      ['ours', r.ours],
      ['naive', r.naive],
    ] as const) {
      for (const g of rungs)
        lines.push(
          `| ${r.source} | ${g.height}p | ${recipe} | ${g.bytes} | ${mbps(g.averageBps)} | ${mbps(g.peakBps)} | ${fmt(g.ssim, 4)} |`,
        );
    }
  }
  return lines;
}
