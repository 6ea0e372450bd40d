/**
 * The pure part of the previews step: file names (the storage layout of docs/media.md), when the thumbnails and the preview's
 * moments are taken, which rung each output is made from and at what size, the storyboard's
 * interval and sheet grid. No I/O.
 */
import type { PreviewConfig } from '../../config/config.js';
import type { MeasuredRendition } from '../types.js';

/** Names inside a ladder directory, the storage layout of docs/media.md. */
export const PREVIEW_FILES = {
  thumbnailsDir: 'thumbnails',
  storyboardDir: 'storyboard',
  storyboardVtt: 'storyboard/storyboard.vtt',
  preview: 'preview.mp4',
  metadata: 'metadata.json',
} as const;

/** The thumbnails as an FFmpeg image sequence (what thumbnailFile names, from 01). */
export const THUMBNAIL_PATTERN = `${PREVIEW_FILES.thumbnailsDir}/thumb-%02d.jpg`;

/** `thumbnails/thumb-01.jpg` for i = 0 (two digits at least). */
export function thumbnailFile(i: number): string {
  return `${PREVIEW_FILES.thumbnailsDir}/thumb-${String(i + 1).padStart(2, '0')}.jpg`;
}

/** `sprite-1.jpg` for n = 1: the name a cue points at, relative to the VTT. */
export function spriteName(n: number): string {
  return `sprite-${n}.jpg`;
}

export const TILE_WIDTH = 160;
/** Sheets of at most 10×10 tiles. */
export const MAX_GRID = 10;
/** One video gets at most about this many tiles: the interval is raised for long ones. */
export const MAX_TILES = 500;
export const PREVIEW_WIDTH = 480;
/** Videos this short become their own preview, whole. */
export const WHOLE_CLIP_SECONDS = 6;
const PREVIEW_MOMENTS = [0.2, 0.4, 0.6, 0.8];
const MOMENT_SECONDS = 1.25;

export interface Size {
  readonly width: number;
  readonly height: number;
}

/** Seconds from the start, rounded to the millisecond. */
function ms(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

function evenAtLeast2(value: number): number {
  return Math.max(2, Math.round(value / 2) * 2);
}

/** `width` wide (even, never wider than `source`), the height keeping the aspect, even. Pure. */
export function fitWidth(source: Size, width: number): Size {
  const w = Math.min(evenAtLeast2(width), Math.max(2, Math.floor(source.width / 2) * 2));
  return { width: w, height: evenAtLeast2((w * source.height) / source.width) };
}

/** t_i = d × (0.05 + 0.9 × (i + 0.5) / N): evenly spaced, the first and last 5 % left out. Pure. */
export function thumbnailTimes(durationSeconds: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => ms(durationSeconds * (0.05 + (0.9 * (i + 0.5)) / count)));
}

/** The configured interval, raised (to the millisecond) so the video has at most MAX_TILES windows. Pure. */
export function storyboardInterval(durationSeconds: number, configured: number): number {
  const floor = Math.ceil((durationSeconds / MAX_TILES) * 1000) / 1000;
  return Math.max(configured, floor);
}

/** How many interval windows the duration spans: the most tiles the storyboard can have. Pure. */
export function windowCount(durationSeconds: number, interval: number): number {
  return Math.max(1, Math.ceil(durationSeconds / interval - 1e-9));
}

/** Sheet grid: up to 10 columns, then up to 10 rows; small storyboards get small sheets. Pure. */
export function sheetGrid(maxTiles: number): { columns: number; rows: number } {
  const columns = Math.min(MAX_GRID, Math.max(1, maxTiles));
  return { columns, rows: Math.min(MAX_GRID, Math.ceil(maxTiles / columns)) };
}

/** A part of the source the preview shows: `startSeconds` for `seconds`. */
export interface PreviewMoment {
  readonly startSeconds: number;
  readonly seconds: number;
}

/**
 * The whole clip when it lasts at most 6 s; else 4 moments of 1.25 s centred on 20/40/60/80 % of
 * the duration (shorter when the video is under 6.25 s, so that moments never overlap). Pure.
 */
export function previewMoments(durationSeconds: number): PreviewMoment[] {
  if (durationSeconds <= WHOLE_CLIP_SECONDS) return [{ startSeconds: 0, seconds: ms(durationSeconds) }];
  const seconds = Math.min(MOMENT_SECONDS, durationSeconds / (PREVIEW_MOMENTS.length + 1));
  return PREVIEW_MOMENTS.map((at) => {
    const start = Math.min(Math.max(0, durationSeconds * at - seconds / 2), durationSeconds - seconds);
    return { startSeconds: ms(start), seconds: ms(seconds) };
  });
}

/** The smallest rung at least `width` wide, else the widest one. Renditions are highest first. */
export function rungAtLeast(renditions: readonly MeasuredRendition[], width: number): MeasuredRendition {
  const wide = renditions.filter((r) => r.width >= width);
  const pick = wide.length > 0 ? wide.reduce((a, b) => (b.width < a.width ? b : a)) : widest(renditions);
  return pick;
}

export function widest(renditions: readonly MeasuredRendition[]): MeasuredRendition {
  const first = renditions[0];
  if (first === undefined) throw new RangeError('a ladder has at least one rendition');
  return renditions.reduce((a, b) => (b.width > a.width ? b : a), first);
}

/** Everything the previews step will make, decided before any FFmpeg run. */
export interface PreviewPlan {
  /** The one rung decoded (once) for the thumbnails, the storyboard and the preview. */
  readonly from: MeasuredRendition;
  readonly thumbnails: { readonly size: Size; readonly times: readonly number[] };
  /** The poster is cut again, at full size, from the widest rung near the best thumbnail's moment. */
  readonly poster: { readonly from: MeasuredRendition };
  readonly storyboard: {
    readonly tile: Size;
    readonly intervalSeconds: number;
    readonly columns: number;
    readonly rows: number;
  };
  readonly preview: { readonly size: Size; readonly moments: readonly PreviewMoment[] };
}

/**
 * The previews of a measured ladder. All but the poster come from one decode of the smallest rung
 * wide enough for the thumbnails and the preview (the low rung of the default ladder): a fraction
 * of the top rung's decoding cost. Pure.
 */
export function planPreviews(renditions: readonly MeasuredRendition[], durationSeconds: number, config: PreviewConfig): PreviewPlan {
  const from = rungAtLeast(renditions, Math.max(config.thumbnailWidth, PREVIEW_WIDTH));
  const intervalSeconds = storyboardInterval(durationSeconds, config.storyboardIntervalSeconds);
  return {
    from,
    thumbnails: { size: fitWidth(from, config.thumbnailWidth), times: thumbnailTimes(durationSeconds, config.thumbnailCount) },
    poster: { from: widest(renditions) },
    storyboard: {
      // Exactly 160 wide, whatever the rung: every tile of every video is alike.
      tile: { width: TILE_WIDTH, height: evenAtLeast2((TILE_WIDTH * from.height) / from.width) },
      intervalSeconds,
      ...sheetGrid(windowCount(durationSeconds, intervalSeconds)),
    },
    preview: { size: fitWidth(from, PREVIEW_WIDTH), moments: previewMoments(durationSeconds) },
  };
}
