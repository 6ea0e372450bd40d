import path from 'node:path';
import { BT709_OUTPUT_OPTIONS } from '../colour.js';
import { PREVIEW_FILES, type PreviewPlan } from './plan.js';
import type { PassBranch } from './pass-branch.js';

/** Capped CRF: small for typical content (well under 1 MB for 5 s at 480 px), never a burst. */
export const PREVIEW_ENCODING = { crf: 28, maxrateKbps: 1200 } as const;

/** Encoder knobs the preview shares with the ladder. */
export interface PreviewEncoderOptions {
  /** x264 preset. */
  readonly preset: string;
  /** 0 = automatic. */
  readonly threads: number;
}

/**
 * The preview's branch: moment k is trimmed from its copy of the decode and restarted at 0, the
 * moments are concatenated, scaled, and encoded as a silent H.264 MP4 with its index first
 * (+faststart). Moments never overlap, so concat never waits on a later one. Pure; paths absolute.
 */
export function previewBranch(outDir: string, plan: PreviewPlan['preview'], encoder: PreviewEncoderOptions): PassBranch {
  const n = plan.moments.length;
  const trims = plan.moments.map(
    (m, k) => `[p${k}]trim=start=${m.startSeconds.toFixed(3)}:duration=${m.seconds.toFixed(3)},setpts=PTS-STARTPTS[m${k}]`,
  );
  const pads = plan.moments.map((_, k) => `[m${k}]`).join('');
  const { width, height } = plan.size;
  const concat = `concat=n=${n}:v=1:a=0,scale=${width}:${height}:flags=bicubic,setsar=1,format=yuv420p`;
  const { crf, maxrateKbps } = PREVIEW_ENCODING;
  const threads = encoder.threads > 0 ? ['-threads', String(encoder.threads)] : [];
  return {
    graph: (input, output) =>
      [`${input}split=${n}${plan.moments.map((_, k) => `[p${k}]`).join('')}`, ...trims, `${pads}${concat}${output}`].join(';'),
    output: [
      ['-c:v', 'libx264', '-preset', encoder.preset, '-profile:v', 'high', '-crf', String(crf)],
      ['-maxrate', `${maxrateKbps}k`, '-bufsize', `${2 * maxrateKbps}k`, '-pix_fmt', 'yuv420p', ...BT709_OUTPUT_OPTIONS, ...threads],
      ['-map_metadata', '-1', '-movflags', '+faststart', '-f', 'mp4', path.join(outDir, PREVIEW_FILES.preview)],
    ].flat(),
  };
}
