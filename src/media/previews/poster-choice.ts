/**
 * The poster, chosen well: the ladder's own poster is the frame at min(10 %, 5 s), which is black
 * when a video fades in or opens on a title card. Once the thumbnails exist, the best of them
 * (not black, not blown out, the most contrast) gives the moment, and the poster is cut again at
 * the top rung's size from that moment of the top rung.
 */
import path from 'node:path';
import type { MeasuredRendition } from '../types.js';
import { THUMBNAIL_PATTERN } from './plan.js';
import { runFfmpegStep, type StepRunOptions } from './run-step.js';
import { spanInput, spanOf, spanTrim, type TimedSegment } from './segments.js';

/** Of one still (a full-range JPEG, 0–255): mean luma and the spread between its 10th and 90th percentiles. */
export interface StillStats {
  readonly meanLuma: number;
  readonly spread: number;
}

/** Mean luma a poster must have: darker is a black (fade, title) frame, brighter a white flash. */
const MIN_LUMA = 24;
const MAX_LUMA = 235;

/** Reads signalstats' YAVG, YLOW and YHIGH per frame from `metadata=print` lines, in frame order. Pure. */
export function parseStillStats(lines: readonly string[]): StillStats[] {
  const frames: Array<{ yavg?: number; ylow?: number; yhigh?: number }> = [];
  for (const line of lines) {
    if (/\bframe:\d+/.test(line)) frames.push({});
    const m = /lavfi\.signalstats\.(YAVG|YLOW|YHIGH)=([\d.]+)/.exec(line);
    const current = frames.at(-1);
    if (!m || !current) continue;
    const value = Number(m[2]);
    if (m[1] === 'YAVG') current.yavg = value;
    else if (m[1] === 'YLOW') current.ylow = value;
    else current.yhigh = value;
  }
  return frames.map((f) => ({ meanLuma: f.yavg ?? 0, spread: (f.yhigh ?? 0) - (f.ylow ?? 0) }));
}

/** Index of the still a poster should be: not black or blown out, then the most contrast; null when none qualifies. Pure. */
export function bestStill(stats: readonly StillStats[]): number | null {
  let best: number | null = null;
  stats.forEach((s, i) => {
    if (s.meanLuma < MIN_LUMA || s.meanLuma > MAX_LUMA) return;
    if (best === null || s.spread > (stats[best]?.spread ?? -1)) best = i;
  });
  return best;
}

/** What the choice needs: the thumbnails and their moments, the top rung and its segments. */
export interface PosterChoiceInput {
  readonly outDir: string;
  readonly posterPath: string;
  readonly thumbnails: readonly string[];
  readonly times: readonly number[];
  readonly top: MeasuredRendition;
  readonly segments: readonly TimedSegment[];
}

/**
 * Measures the thumbnails and, when one qualifies, replaces the poster with the top rung's frame at
 * its moment; returns that moment, or null (the ladder's poster stays) when every thumbnail is black.
 */
export async function choosePoster(input: PosterChoiceInput, run: StepRunOptions): Promise<number | null> {
  const lines: string[] = [];
  const stills = ['-loglevel', 'info', '-i', path.join(input.outDir, THUMBNAIL_PATTERN)];
  await runFfmpegStep('poster choice', [...stills, '-vf', 'signalstats,metadata=mode=print', '-f', 'null', '-'], {
    ...run,
    onStderrLine: (line) => lines.push(line),
  });
  const chosen = bestStill(parseStillStats(lines).slice(0, input.thumbnails.length));
  const at = chosen === null ? undefined : input.times[chosen];
  if (at === undefined) return null;
  const span = spanOf(input.segments, at);
  const rungDir = path.join(input.outDir, path.dirname(input.top.playlistPath));
  const cut = ['-loglevel', 'error', '-i', spanInput(rungDir, span), '-map', '0:v:0', '-an', '-sn', '-vf', `${spanTrim(span)},setsar=1`];
  const jpeg = ['-frames:v', '1', '-c:v', 'mjpeg', '-q:v', '2', '-f', 'image2', '-update', '1', path.join(input.outDir, input.posterPath)];
  await runFfmpegStep('poster', [...cut, ...jpeg], run);
  return at;
}
