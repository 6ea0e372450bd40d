import path from 'node:path';
import type { PassBranch } from './pass-branch.js';
import { thumbnailFile, type PreviewPlan } from './plan.js';

/** JPEG quality of stills (mjpeg -q:v, 2 best … 31). */
export const JPEG_QUALITY = 3;

/** A moment no later than this before the rung's end, so that a frame is always there to take. */
const END_MARGIN_SECONDS = 0.1;

/**
 * One branch per thumbnail: the first frame at or after t_i, scaled to the planned size with square
 * pixels, one JPEG. `rungSeconds` (the rung's playlist duration) bounds t_i. Pure; paths absolute.
 */
export function thumbnailBranches(outDir: string, plan: PreviewPlan['thumbnails'], rungSeconds: number): PassBranch[] {
  const { width, height } = plan.size;
  return plan.times.map((t, i) => {
    const at = Math.max(0, Math.min(t, rungSeconds - END_MARGIN_SECONDS)).toFixed(3);
    return {
      graph: (input, output) => `${input}trim=start=${at},trim=end_frame=1,scale=${width}:${height}:flags=lanczos,setsar=1${output}`,
      output: [
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
      ],
    };
  });
}
