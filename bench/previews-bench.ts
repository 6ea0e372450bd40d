/**
 * What the previews cost: the same source through transcodeLadder with PREVIEWS=on and off,
 * alternated, median per side; and the bytes they add per minute of video.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { AppConfig } from '../src/config/config.js';
import { silentLogger } from '../src/logging/logger.js';
import { createFfmpegRunner } from '../src/media/ffmpeg-runner.js';
import { transcodeLadder } from '../src/media/transcode.js';
import type { TranscodeOutput } from '../src/media/types.js';
import { alternate, fmt, median, sh } from './measure.js';
import { benchDir, type BenchSource } from './sources.js';

export interface PreviewsFigures {
  readonly source: string;
  readonly durationSeconds: number;
  readonly onMs: number;
  readonly offMs: number;
  readonly addedBytes: number;
}

/** The first `seconds` of a bench source, stream-copied (its key frames are 2 s apart). */
async function firstSeconds(source: BenchSource, seconds: number): Promise<BenchSource> {
  if (source.durationSeconds <= seconds) return source;
  const file = path.join(benchDir(), `first-${seconds}s.mp4`);
  await sh('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-y', '-i', source.file, '-t', String(seconds), '-c', 'copy', file]);
  return { name: source.name, file, durationSeconds: seconds };
}

/** On the first 30 s of `full`: previews are a cost per video, so a short source shows them at their heaviest. */
export async function benchPreviews(full: BenchSource, config: AppConfig): Promise<PreviewsFigures> {
  const source = await firstSeconds(full, 30);
  const runner = createFfmpegRunner({ ffmpegPath: config.media.ffmpegPath, watchdog: config.media.watchdog, log: silentLogger() });
  const ladder = async (enabled: boolean): Promise<TranscodeOutput> => {
    const outDir = path.join(benchDir(), `previews-${enabled ? 'on' : 'off'}`);
    await rm(outDir, { recursive: true, force: true });
    const media = { ...config.media, previews: { ...config.media.previews, enabled } };
    return transcodeLadder({ input: source.file, outDir, media, runner, log: silentLogger() });
  };
  const runs = await alternate(
    () => ladder(true),
    () => ladder(false),
  );
  return {
    source: source.name,
    durationSeconds: source.durationSeconds,
    onMs: median(runs.a),
    offMs: median(runs.b),
    addedBytes: runs.lastA.outputBytes - runs.lastB.outputBytes,
  };
}

export function previewsTable(f: PreviewsFigures): string[] {
  const perMinute = f.addedBytes / (f.durationSeconds / 60);
  return [
    '| source | PREVIEWS=on | PREVIEWS=off | on / off | bytes added | per minute of this source |',
    '|---|---|---|---|---|---|',
    `| ${f.source} (${f.durationSeconds} s) | ${fmt(f.onMs / 1000, 1)} s | ${fmt(f.offMs / 1000, 1)} s | ${fmt(f.onMs / f.offMs)} | ${fmt(f.addedBytes / 1024, 0)} KiB | ${fmt(perMinute / 1024, 0)} KiB |`,
  ];
}
