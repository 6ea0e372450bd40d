/**
 * The storyboard's WebVTT (the thumbnail-track format Video.js, Plyr, JW Player and Vidstack read):
 * cues built from the tiles FFmpeg actually wrote, rendered, parsed back and checked for coverage.
 * Times are whole milliseconds so that consecutive cues meet exactly. Pure.
 */
import { spriteName, type Size } from './plan.js';

export interface StoryboardCue {
  readonly startMs: number;
  readonly endMs: number;
  /** Relative to the VTT, e.g. `sprite-1.jpg`. */
  readonly sprite: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface SheetGeometry {
  readonly tile: Size;
  readonly columns: number;
  readonly rows: number;
}

/** Where tile `k` (0-based, in write order) sits: its sheet and its top-left corner. */
export function tilePlace(k: number, geometry: SheetGeometry): { sprite: string; x: number; y: number } {
  const perSheet = geometry.columns * geometry.rows;
  const pos = k % perSheet;
  return {
    sprite: spriteName(Math.floor(k / perSheet) + 1),
    x: (pos % geometry.columns) * geometry.tile.width,
    y: Math.floor(pos / geometry.columns) * geometry.tile.height,
  };
}

/**
 * One cue per tile: tile k (taken at `tileTimes[k]` s, the first frame of its interval window)
 * covers from the start of its window to the start of the next tile's window; the first starts at
 * 0 and the last ends at the duration. A tile whose window repeats or starts past the end gets no cue.
 */
export function storyboardCues(
  tileTimes: readonly number[],
  intervalSeconds: number,
  durationSeconds: number,
  geometry: SheetGeometry,
): StoryboardCue[] {
  const durationMs = Math.round(durationSeconds * 1000);
  const starts: Array<{ k: number; startMs: number }> = [];
  tileTimes.forEach((t, k) => {
    const startMs = k === 0 ? 0 : Math.round(Math.floor(Math.max(0, t) / intervalSeconds) * intervalSeconds * 1000);
    const previous = starts[starts.length - 1];
    if (startMs < durationMs && (previous === undefined || startMs > previous.startMs)) starts.push({ k, startMs });
  });
  return starts.map(({ k, startMs }, i) => ({
    startMs,
    endMs: starts[i + 1]?.startMs ?? durationMs,
    ...tilePlace(k, geometry),
    width: geometry.tile.width,
    height: geometry.tile.height,
  }));
}

/** 3723004 → `01:02:03.004`. */
export function vttTimestamp(totalMs: number): string {
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  const hours = Math.floor(totalMs / 3_600_000);
  const minutes = Math.floor(totalMs / 60_000) % 60;
  const seconds = Math.floor(totalMs / 1000) % 60;
  return `${pad(hours)}:${pad(minutes)}:${pad(seconds)}.${pad(totalMs % 1000, 3)}`;
}

export function renderVtt(cues: readonly StoryboardCue[]): string {
  const blocks = cues.map(
    (c) => `${vttTimestamp(c.startMs)} --> ${vttTimestamp(c.endMs)}\n${c.sprite}#xywh=${c.x},${c.y},${c.width},${c.height}`,
  );
  return `WEBVTT\n\n${blocks.join('\n\n')}\n`;
}

const TIMING = /^(\d{2,}:)?(\d{2}):(\d{2})\.(\d{3})\s+-->\s+(\d{2,}:)?(\d{2}):(\d{2})\.(\d{3})(\s.*)?$/;
const PAYLOAD = /^([^#\s]+)#xywh=(\d+),(\d+),(\d+),(\d+)$/;

function toMs(hours: string | undefined, minutes: string, seconds: string, millis: string): number {
  return ((Number(hours?.slice(0, -1) ?? 0) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000 + Number(millis);
}

/** Reads a storyboard VTT back: its cues, and what in it is not a thumbnail cue. */
export function parseStoryboardVtt(text: string): { cues: StoryboardCue[]; problems: string[] } {
  const blocks = text
    .replace(/\r\n?/g, '\n')
    .trim()
    .split(/\n{2,}/);
  const problems: string[] = [];
  if (!/^WEBVTT(\s|$)/.test(blocks[0] ?? '')) problems.push('does not start with WEBVTT');
  const cues: StoryboardCue[] = [];
  for (const block of blocks.slice(1)) {
    const lines = block.split('\n');
    const at = lines.findIndex((l) => l.includes('-->'));
    const timing = TIMING.exec(lines[at] ?? '');
    const payload = PAYLOAD.exec(lines[at + 1] ?? '');
    if (!timing || !payload) {
      problems.push(`not a thumbnail cue: ${JSON.stringify(block.slice(0, 80))}`);
      continue;
    }
    const [, h1, m1 = '', s1 = '', f1 = '', h2, m2 = '', s2 = '', f2 = ''] = timing;
    const [, sprite = '', x, y, w, h] = payload;
    cues.push({
      startMs: toMs(h1, m1, s1, f1),
      endMs: toMs(h2, m2, s2, f2),
      sprite,
      x: Number(x),
      y: Number(y),
      width: Number(w),
      height: Number(h),
    });
  }
  return { cues, problems };
}

/** Gaps, overlaps, empty cues and a wrong start or end, against [0, duration] (±`toleranceMs` at the end). */
export function coverageProblems(cues: readonly StoryboardCue[], durationMs: number, toleranceMs = 1): string[] {
  const first = cues[0];
  const last = cues[cues.length - 1];
  if (first === undefined || last === undefined) return ['has no cues'];
  const problems: string[] = [];
  if (first.startMs !== 0) problems.push(`the first cue starts at ${vttTimestamp(first.startMs)}, not 0`);
  cues.forEach((cue, i) => {
    if (cue.endMs <= cue.startMs) problems.push(`cue ${i + 1} (${vttTimestamp(cue.startMs)}) is empty or reversed`);
    const next = cues[i + 1];
    if (next !== undefined && next.startMs !== cue.endMs) {
      const what = next.startMs > cue.endMs ? 'gap' : 'overlap';
      problems.push(`${what} between ${vttTimestamp(cue.endMs)} and ${vttTimestamp(next.startMs)}`);
    }
  });
  if (Math.abs(last.endMs - durationMs) > toleranceMs) {
    problems.push(`the last cue ends at ${vttTimestamp(last.endMs)}, the video at ${vttTimestamp(durationMs)}`);
  }
  return problems;
}
