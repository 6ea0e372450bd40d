import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { thumbnailFile, type PreviewPlan } from './plan.js';
import { runFfmpegStep, type StepRunOptions } from './run-step.js';
import { spanInput, spanOf, spanTrim, type TimedSegment } from './segments.js';

/** JPEG quality of stills (mjpeg -q:v, 2 best … 31). */
export const JPEG_QUALITY = 3;

/**
 * One FFmpeg for every thumbnail: input i is the segment of the rung holding t_i, decoded from its
 * key frame and trimmed at t_i (see segments.ts), feeding output i one frame, scaled to the planned
 * size with square pixels. Pure; paths absolute.
 */
export function thumbnailArgs(outDir: string, plan: PreviewPlan['thumbnails'], segments: readonly TimedSegment[]): string[] {
  const rungDir = path.join(outDir, path.dirname(plan.from.playlistPath));
  const { width, height } = plan.size;
  const spans = plan.times.map((t) => spanOf(segments, t));
  const inputs = spans.flatMap((span) => ['-i', spanInput(rungDir, span)]);
  const outputs = spans.flatMap((span, i) => [
    '-map',
    `${i}:v:0`,
    '-an',
    '-sn',
    '-vf',
    `${spanTrim(span)},scale=${width}:${height}:flags=lanczos,setsar=1`,
    '-frames:v',
    '1',
    '-c:v',
    'mjpeg',
    '-q:v',
    String(JPEG_QUALITY),
    '-f',
    'image2',
    '-update',
    '1',
    path.join(outDir, thumbnailFile(i)),
  ]);
  return ['-loglevel', 'error', ...inputs, ...outputs];
}

/** Writes thumbnails/thumb-01.jpg … and returns their paths relative to `outDir`. */
export async function makeThumbnails(
  outDir: string,
  plan: PreviewPlan['thumbnails'],
  segments: readonly TimedSegment[],
  options: StepRunOptions,
): Promise<string[]> {
  await mkdir(path.join(outDir, path.dirname(thumbnailFile(0))), { recursive: true });
  await runFfmpegStep('thumbnails', thumbnailArgs(outDir, plan, segments), options);
  return plan.times.map((_, i) => thumbnailFile(i));
}
