import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../errors.js';
import { PREVIEW_FILES, spriteName, type PreviewPlan } from './plan.js';
import type { PassBranch } from './pass-branch.js';
import { renderVtt, storyboardCues } from './vtt.js';

/** Sprite sheets are many small tiles: a lower JPEG quality than the thumbnails is plenty. */
const SPRITE_QUALITY = 5;

/** What the storyboard step wrote, relative to the ladder directory. */
export interface StoryboardResult {
  readonly vtt: string;
  readonly sprites: readonly string[];
  readonly tiles: number;
}

/**
 * The storyboard's branch: `select` keeps the first frame of each interval window (comparing
 * window numbers, so rounding never drifts), `showinfo` reports each kept frame's time on stderr,
 * `tile` packs them into sheets. Pure; paths absolute.
 */
export function storyboardBranch(outDir: string, plan: PreviewPlan['storyboard']): PassBranch {
  const i = String(plan.intervalSeconds);
  const window = (t: string): string => `floor(max(${t},0)/${i})`;
  const select = `select='isnan(prev_selected_t)+gte(${window('t')}-${window('prev_selected_t')},1)'`;
  const { width, height } = plan.tile;
  const filters = [select, 'showinfo', `scale=${width}:${height}:flags=bicubic,setsar=1`, `tile=${plan.columns}x${plan.rows}`];
  return {
    graph: (input, output) => `${input}${filters.join(',')}${output}`,
    output: [
      ['-fps_mode', 'passthrough', '-c:v', 'mjpeg', '-q:v', String(SPRITE_QUALITY), '-f', 'image2', '-start_number', '1'],
      [path.join(outDir, PREVIEW_FILES.storyboardDir, 'sprite-%d.jpg')],
    ].flat(),
  };
}

const SHOWINFO = /Parsed_showinfo.*\bn:\s*\d+\s+pts:\s*-?\d+\s+pts_time:(-?[\d.]+(?:e[-+]?\d+)?)/;

/** The time of a frame showinfo reports, or null for its other lines. Pure. */
export function showinfoTime(line: string): number | null {
  const m = SHOWINFO.exec(line);
  return m?.[1] === undefined ? null : Number(m[1]);
}

/** Collects the times of the tiles from the pass's stderr lines. */
export function tileTimeCollector(): { readonly onStderrLine: (line: string) => void; readonly times: number[] } {
  const times: number[] = [];
  return {
    times,
    onStderrLine: (line) => {
      const t = showinfoTime(line);
      if (t !== null) times.push(t);
    },
  };
}

/** Writes storyboard/storyboard.vtt from the tiles the pass wrote (cues from the tiles actually written). */
export async function writeStoryboard(
  outDir: string,
  plan: PreviewPlan['storyboard'],
  tileTimes: readonly number[],
  durationSeconds: number,
  rung: string,
): Promise<StoryboardResult> {
  if (tileTimes.length === 0) {
    throw new AppError('ffmpeg_failed', 'Making the storyboard failed: FFmpeg selected no frame.', {
      context: { step: 'storyboard', rung },
    });
  }
  const cues = storyboardCues(tileTimes, plan.intervalSeconds, durationSeconds, plan);
  await writeFile(path.join(outDir, PREVIEW_FILES.storyboardVtt), renderVtt(cues));
  const sheets = Math.ceil(tileTimes.length / (plan.columns * plan.rows));
  const sprites = Array.from({ length: sheets }, (_, n) => `${PREVIEW_FILES.storyboardDir}/${spriteName(n + 1)}`);
  return { vtt: PREVIEW_FILES.storyboardVtt, sprites, tiles: tileTimes.length };
}
