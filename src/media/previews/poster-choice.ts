/**
 * The poster, chosen well: the ladder's own poster is the frame at min(10 %, 5 s), which is black
 * when a video fades in or opens on a title card. Once the thumbnails exist, the best of them
 * (not black, not blown out, the most contrast) gives the moment, and the poster is cut again at
 * the top rung's size: the key frame that starts the group of pictures holding that moment (the
 * encoder's sharpest frame, and only key frames are decoded to reach it), or, when that key frame
 * is itself black (a fade-in just before the moment), the exact frame, decoded from the segment start.
 */
import path from 'node:path';
import type { MeasuredRendition } from '../types.js';
import { THUMBNAIL_PATTERN } from './plan.js';
import { runFfmpegStep, type StepRunOptions } from './run-step.js';
import { spanInput, spanOf, spanTrim, type SegmentSpan, type TimedSegment } from './segments.js';

/** Of one still (a full-range JPEG, 0–255): mean luma and the spread between its 10th and 90th percentiles. */
export interface StillStats {
  readonly meanLuma: number;
  readonly spread: number;
  /** The frame's time as `metadata=print` reports it. */
  readonly seconds: number;
}

/** Mean luma a poster must have: darker is a black (fade, title) frame, brighter a white flash. */
const MIN_LUMA = 24;
const MAX_LUMA = 235;

/** Reads signalstats' YAVG, YLOW and YHIGH per frame from `metadata=print` lines, in frame order. Pure. */
export function parseStillStats(lines: readonly string[]): StillStats[] {
  const frames: Array<{ yavg?: number; ylow?: number; yhigh?: number; seconds?: number }> = [];
  for (const line of lines) {
    const frame = /\bframe:\d+.*\bpts_time:(-?[\d.]+)/.exec(line);
    if (frame) frames.push({ seconds: Number(frame[1]) });
    const m = /lavfi\.signalstats\.(YAVG|YLOW|YHIGH)=([\d.]+)/.exec(line);
    const current = frames.at(-1);
    if (!m || !current) continue;
    const value = Number(m[2]);
    if (m[1] === 'YAVG') current.yavg = value;
    else if (m[1] === 'YLOW') current.ylow = value;
    else current.yhigh = value;
  }
  return frames.map((f) => ({ meanLuma: f.yavg ?? 0, spread: (f.yhigh ?? 0) - (f.ylow ?? 0), seconds: f.seconds ?? 0 }));
}

function qualifies(s: StillStats): boolean {
  return s.meanLuma >= MIN_LUMA && s.meanLuma <= MAX_LUMA;
}

/** Index of the still a poster should be: not black or blown out, then the most contrast; null when none qualifies. Pure. */
export function bestStill(stats: readonly StillStats[]): number | null {
  let best: number | null = null;
  stats.forEach((s, i) => {
    if (!qualifies(s)) return;
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
 * Measures the thumbnails and, when one qualifies, replaces the poster with the top rung's frame
 * near its moment; returns the poster's moment, or null (the ladder's poster stays) when every
 * thumbnail is black.
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
  const atKey = await cutAtKeyFrame(input, span, run);
  // The segment starts offsetSeconds before the moment.
  if (atKey !== null) return Math.round((at - span.offsetSeconds + atKey) * 1000) / 1000;
  await cutExactly(input, span, run);
  return at;
}

function rungDir(input: PosterChoiceInput): string {
  return path.join(input.outDir, path.dirname(input.top.playlistPath));
}

function jpegOutput(input: PosterChoiceInput): string[] {
  return ['-c:v', 'mjpeg', '-q:v', '2', '-f', 'image2', '-update', '1', path.join(input.outDir, input.posterPath)];
}

/**
 * Writes every key frame of the segment up to the moment (each over the last: the file ends as the
 * last of them) and returns its time in the segment, or null when that frame does not qualify.
 */
async function cutAtKeyFrame(input: PosterChoiceInput, span: SegmentSpan, run: StepRunOptions): Promise<number | null> {
  const lines: string[] = [];
  const keys = ['-loglevel', 'info', '-nostats', '-skip_frame', 'nokey', '-i', spanInput(rungDir(input), span), '-map', '0:v:0'];
  // Full range before the measure: the thresholds are those of the JPEG thumbnails.
  const vf = `setpts=PTS-STARTPTS,select='lte(t,${span.offsetSeconds.toFixed(3)})',scale=out_range=full,setsar=1,signalstats,metadata=mode=print`;
  const args = [...keys, '-an', '-sn', '-vf', vf, '-fps_mode', 'passthrough', ...jpegOutput(input)];
  await runFfmpegStep('poster', args, { ...run, onStderrLine: (line) => lines.push(line) });
  const last = parseStillStats(lines).at(-1);
  return last !== undefined && qualifies(last) ? last.seconds : null;
}

async function cutExactly(input: PosterChoiceInput, span: SegmentSpan, run: StepRunOptions): Promise<void> {
  const cut = [
    '-loglevel',
    'error',
    '-i',
    spanInput(rungDir(input), span),
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-vf',
    `${spanTrim(span)},setsar=1`,
  ];
  await runFfmpegStep('poster', [...cut, '-frames:v', '1', ...jpegOutput(input)], run);
}
