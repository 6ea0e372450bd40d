import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../errors.js';
import { PREVIEW_FILES, spriteName, type PreviewPlan } from './plan.js';
import { runFfmpegStep, type StepRunOptions } from './run-step.js';
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
 * `select` keeps the first frame of each interval window (comparing window numbers, so rounding
 * never drifts), `showinfo` reports each kept frame's time on stderr, `tile` packs them into
 * sheets. Pure; paths absolute.
 */
export function storyboardArgs(outDir: string, plan: PreviewPlan['storyboard']): string[] {
  const i = String(plan.intervalSeconds);
  const window = (t: string): string => `floor(max(${t},0)/${i})`;
  const select = `select='isnan(prev_selected_t)+gte(${window('t')}-${window('prev_selected_t')},1)'`;
  const { width, height } = plan.tile;
  const filters = [select, 'showinfo', `scale=${width}:${height}:flags=bicubic,setsar=1`, `tile=${plan.columns}x${plan.rows}`];
  return [
    // info: showinfo reports at that level; -nostats keeps progress lines out of stderr.
    ['-loglevel', 'info', '-nostats', '-i', path.join(outDir, plan.from.playlistPath)],
    ['-map', '0:v:0', '-an', '-sn', '-vf', filters.join(','), '-fps_mode', 'passthrough'],
    ['-c:v', 'mjpeg', '-q:v', String(SPRITE_QUALITY), '-f', 'image2', '-start_number', '1'],
    [path.join(outDir, PREVIEW_FILES.storyboardDir, 'sprite-%d.jpg')],
  ].flat();
}

const SHOWINFO = /Parsed_showinfo.*\bn:\s*\d+\s+pts:\s*-?\d+\s+pts_time:(-?[\d.]+(?:e[-+]?\d+)?)/;

/** The time of a frame showinfo reports, or null for its other lines. Pure. */
export function showinfoTime(line: string): number | null {
  const m = SHOWINFO.exec(line);
  return m?.[1] === undefined ? null : Number(m[1]);
}

/** Writes storyboard/sprite-N.jpg and storyboard/storyboard.vtt (cues from the tiles actually written). */
export async function makeStoryboard(
  outDir: string,
  plan: PreviewPlan['storyboard'],
  durationSeconds: number,
  options: StepRunOptions,
): Promise<StoryboardResult> {
  await mkdir(path.join(outDir, PREVIEW_FILES.storyboardDir), { recursive: true });
  const times: number[] = [];
  const onStderrLine = (line: string): void => {
    const t = showinfoTime(line);
    if (t !== null) times.push(t);
  };
  await runFfmpegStep('storyboard', storyboardArgs(outDir, plan), { ...options, onStderrLine });
  if (times.length === 0) {
    throw new AppError('ffmpeg_failed', 'Making the storyboard failed: FFmpeg selected no frame.', {
      context: { step: 'storyboard', rung: plan.from.name },
    });
  }
  const cues = storyboardCues(times, plan.intervalSeconds, durationSeconds, plan);
  await writeFile(path.join(outDir, PREVIEW_FILES.storyboardVtt), renderVtt(cues));
  const sheets = Math.ceil(times.length / (plan.columns * plan.rows));
  const sprites = Array.from({ length: sheets }, (_, n) => `${PREVIEW_FILES.storyboardDir}/${spriteName(n + 1)}`);
  return { vtt: PREVIEW_FILES.storyboardVtt, sprites, tiles: times.length };
}
