import path from 'node:path';
import { BT709_OUTPUT_OPTIONS } from '../colour.js';
import { PREVIEW_FILES, type PreviewPlan } from './plan.js';
import { runFfmpegStep, type StepRunOptions } from './run-step.js';
import { spanInput, spanOf, spanTrim, type TimedSegment } from './segments.js';

/** Capped CRF: small for typical content (well under 1 MB for 5 s at 480 px), never a burst. */
export const PREVIEW_ENCODING = { crf: 28, maxrateKbps: 1200 } as const;

/** Encoder knobs the preview shares with the ladder. */
export interface PreviewEncoderOptions {
  /** x264 preset. */
  readonly preset: string;
  /** 0 = automatic. */
  readonly threads: number;
}

/** Reading stops this long after a moment's end (the input's clock may start a few ms before its video). */
const READ_MARGIN_SECONDS = 0.5;

/**
 * One FFmpeg: input k is moment k of the rung (the segments holding it, decoded from the first
 * one's key frame and trimmed; see segments.ts), the moments are concatenated, scaled, and encoded
 * as a silent H.264 MP4 with its index first (+faststart). Pure; paths absolute.
 */
export function previewArgs(
  outDir: string,
  plan: PreviewPlan['preview'],
  segments: readonly TimedSegment[],
  encoder: PreviewEncoderOptions,
): string[] {
  const rungDir = path.join(outDir, path.dirname(plan.from.playlistPath));
  const spans = plan.moments.map((m) => ({ span: spanOf(segments, m.startSeconds, m.seconds), seconds: m.seconds }));
  const inputs = spans.flatMap(({ span, seconds }) => {
    const readSeconds = (span.offsetSeconds + seconds + READ_MARGIN_SECONDS).toFixed(3);
    return ['-t', readSeconds, '-i', spanInput(rungDir, span)];
  });
  const trims = spans.map(({ span, seconds }, k) => `[${k}:v:0]${spanTrim(span, seconds)}[m${k}];`).join('');
  const pads = spans.map((_, k) => `[m${k}]`).join('');
  const { width, height } = plan.size;
  const concat = `concat=n=${spans.length}:v=1:a=0,scale=${width}:${height}:flags=bicubic,setsar=1,format=yuv420p[v]`;
  const graph = `${trims}${pads}${concat}`;
  const { crf, maxrateKbps } = PREVIEW_ENCODING;
  const threads = encoder.threads > 0 ? ['-threads', String(encoder.threads)] : [];
  return [
    ['-loglevel', 'error', ...inputs, '-filter_complex', graph, '-map', '[v]', '-an', '-sn', '-dn'],
    ['-c:v', 'libx264', '-preset', encoder.preset, '-profile:v', 'high', '-crf', String(crf)],
    ['-maxrate', `${maxrateKbps}k`, '-bufsize', `${2 * maxrateKbps}k`, '-pix_fmt', 'yuv420p', ...BT709_OUTPUT_OPTIONS, ...threads],
    ['-map_metadata', '-1', '-movflags', '+faststart', '-f', 'mp4', path.join(outDir, PREVIEW_FILES.preview)],
  ].flat();
}

/** Writes preview.mp4 and returns its path relative to `outDir`. */
export async function makePreviewClip(
  outDir: string,
  plan: PreviewPlan['preview'],
  segments: readonly TimedSegment[],
  encoder: PreviewEncoderOptions,
  options: StepRunOptions,
): Promise<string> {
  await runFfmpegStep('preview', previewArgs(outDir, plan, segments, encoder), options);
  return PREVIEW_FILES.preview;
}
