/**
 * The verifier's checks of the previews step: every thumbnail and sprite decodes at its size, the
 * storyboard's cues cover [0, duration] without gaps or overlaps and stay inside their sheets, the
 * preview is a silent faststart H.264 of the planned size and length, metadata.json matches the
 * ladder (its quality scores, when measured, in range). Problems are appended to `problems`
 * (verify.ts throws them together).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { probe, probeStreams } from '../ffprobe.js';
import { renditionsMetadata, METADATA_SCHEMA_VERSION } from './metadata.js';
import { isFaststart, topLevelBoxes } from './mp4-boxes.js';
import { WHOLE_CLIP_SECONDS, type Size } from './plan.js';
import { PSNR_CAP_DB } from './quality-metrics.js';
import type { PreviewExpectations } from './types.js';
import { coverageProblems, parseStoryboardVtt } from './vtt.js';

export interface PreviewCheckContext {
  readonly outDir: string;
  readonly expectedDurationSeconds: number;
  readonly ffprobePath: string;
  readonly signal?: AbortSignal;
}

/** Preview length bounds when it is made of moments (a short video is its own preview, whole). */
const PREVIEW_SECONDS = { min: 3, max: 6 };

export async function checkPreviews(expect: PreviewExpectations, ctx: PreviewCheckContext, problems: string[]): Promise<void> {
  const { thumbnails, storyboard, preview } = expect.made;
  for (const file of thumbnails?.files ?? []) await checkPicture(file, thumbnails?.size ?? null, ctx, problems);
  if (storyboard) await checkStoryboard(storyboard.vtt, storyboard.sprites, storyboard.tile, ctx, problems);
  if (preview) await checkPreview(preview.file, preview.size, ctx, problems);
  await checkMetadata(expect, ctx, problems);
}

/** Decodes `file` as one picture; returns its size (null when it does not decode). */
async function pictureSize(file: string, ctx: PreviewCheckContext, problems: string[]): Promise<Size | null> {
  try {
    const streams = await probeStreams(path.join(ctx.outDir, file), { ...ctx, countFrames: true });
    const video = streams.filter((s) => s.type === 'video');
    const first = video[0];
    if (video.length === 1 && first && first.width > 0 && (first.decodedFrames ?? 0) >= 1) return first;
    problems.push(`${file} does not decode to one picture`);
  } catch (err) {
    if (ctx.signal?.aborted === true) throw err;
    problems.push(`${file} does not decode (${(err as Error).message})`);
  }
  return null;
}

async function checkPicture(file: string, expected: Size | null, ctx: PreviewCheckContext, problems: string[]): Promise<void> {
  const size = await pictureSize(file, ctx, problems);
  if (size && expected && (size.width !== expected.width || size.height !== expected.height)) {
    problems.push(`${file} is ${size.width}x${size.height}, not ${expected.width}x${expected.height}`);
  }
}

async function checkStoryboard(
  vtt: string,
  sprites: readonly string[],
  tile: Size,
  ctx: PreviewCheckContext,
  problems: string[],
): Promise<void> {
  const text = await readText(path.join(ctx.outDir, vtt));
  if (text === null) return void problems.push(`${vtt} is missing`);
  const parsed = parseStoryboardVtt(text);
  const durationMs = Math.round(ctx.expectedDurationSeconds * 1000);
  problems.push(...[...parsed.problems, ...coverageProblems(parsed.cues, durationMs)].map((p) => `${vtt}: ${p}`));
  const dir = path.dirname(vtt);
  const sheets = new Map<string, Size | null>();
  for (const sprite of sprites) sheets.set(path.posix.relative(dir, sprite), await pictureSize(sprite, ctx, problems));
  for (const cue of parsed.cues) {
    const where = `${vtt}: cue ${cue.sprite}#xywh=${cue.x},${cue.y},${cue.width},${cue.height}`;
    if (!sheets.has(cue.sprite)) problems.push(`${where} points at a sheet that was not made`);
    const sheet = sheets.get(cue.sprite);
    if (sheet && (cue.x + cue.width > sheet.width || cue.y + cue.height > sheet.height)) {
      problems.push(`${where} is outside its ${sheet.width}x${sheet.height} sheet`);
    }
    if (cue.width !== tile.width || cue.height !== tile.height) problems.push(`${where} is not a ${tile.width}x${tile.height} tile`);
  }
}

async function checkPreview(file: string, expected: Size, ctx: PreviewCheckContext, problems: string[]): Promise<void> {
  const full = path.join(ctx.outDir, file);
  try {
    const info = await probe(full, ctx);
    const { codec, pixFmt, width, height } = info.video;
    if (codec !== 'h264' || pixFmt !== 'yuv420p') problems.push(`${file} is ${codec} ${pixFmt ?? '?'}, not h264 yuv420p`);
    if (width !== expected.width || height !== expected.height) {
      problems.push(`${file} is ${width}x${height}, not ${expected.width}x${expected.height}`);
    }
    if (info.audioTracks.length > 0) problems.push(`${file} has sound`);
    const whole = ctx.expectedDurationSeconds <= WHOLE_CLIP_SECONDS;
    const d = ctx.expectedDurationSeconds;
    const [min, max] = whole ? [d - 0.5, d + 0.5] : [PREVIEW_SECONDS.min, PREVIEW_SECONDS.max];
    if (!(info.durationSeconds >= min && info.durationSeconds <= max)) {
      problems.push(`${file} lasts ${info.durationSeconds.toFixed(3)} s, outside ${min.toFixed(1)}-${max.toFixed(1)} s`);
    }
    if (!isFaststart(await topLevelBoxes(full))) problems.push(`${file} does not have its index (moov) before its media (mdat)`);
  } catch (err) {
    if (ctx.signal?.aborted === true) throw err;
    problems.push(`${file} does not decode (${(err as Error).message})`);
  }
}

async function checkMetadata(expect: PreviewExpectations, ctx: PreviewCheckContext, problems: string[]): Promise<void> {
  const text = await readText(path.join(ctx.outDir, expect.metadata));
  if (text === null) return void problems.push(`${expect.metadata} is missing`);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    return void problems.push(`${expect.metadata} is not JSON (${(err as Error).message})`);
  }
  if (doc.schema_version !== METADATA_SCHEMA_VERSION) problems.push(`${expect.metadata} has no schema_version ${METADATA_SCHEMA_VERSION}`);
  const listed = JSON.stringify(doc.renditions);
  if (listed !== JSON.stringify(renditionsMetadata(expect.renditions, expect.quality))) {
    problems.push(`${expect.metadata}: its renditions do not match the ladder`);
  }
  problems.push(...qualityProblems(doc, expect.quality !== null).map((p) => `${expect.metadata}: ${p}`));
  const { thumbnails, storyboard, preview } = expect.made;
  const named = (key: string, field: string): unknown => (doc[key] as Record<string, unknown> | null | undefined)?.[field] ?? null;
  if (JSON.stringify(named('thumbnails', 'files')) !== JSON.stringify(thumbnails?.files ?? null)) {
    problems.push(`${expect.metadata}: its thumbnails do not match the files made`);
  }
  if (named('storyboard', 'vtt') !== (storyboard?.vtt ?? null)) problems.push(`${expect.metadata}: its storyboard is not the one made`);
  if (named('preview', 'file') !== (preview?.file ?? null)) problems.push(`${expect.metadata}: its preview is not the one made`);
}

/**
 * With QUALITY_METRICS=on every rendition has an SSIM in (0, 1] and a PSNR in (0, 100] dB, and
 * `quality_metrics` says so; off, neither appears. Pure.
 */
export function qualityProblems(doc: Record<string, unknown>, measured: boolean): string[] {
  const problems: string[] = [];
  if (doc.quality_metrics !== measured) problems.push(`quality_metrics is not ${measured}`);
  const renditions = Array.isArray(doc.renditions) ? (doc.renditions as Array<Record<string, unknown> | null>) : [];
  for (const r of renditions) {
    const quality = r?.quality as { ssim?: unknown; psnr_db?: unknown } | null | undefined;
    const name = String(r?.name);
    if (!measured) {
      if (quality !== null) problems.push(`rendition ${name} has a quality without QUALITY_METRICS`);
      continue;
    }
    const { ssim, psnr_db: psnr } = quality ?? {};
    if (!(typeof ssim === 'number' && ssim > 0 && ssim <= 1)) problems.push(`rendition ${name}: SSIM ${String(ssim)} is not in (0, 1]`);
    if (!(typeof psnr === 'number' && psnr > 0 && psnr <= PSNR_CAP_DB)) {
      problems.push(`rendition ${name}: PSNR ${String(psnr)} dB is not in (0, ${PSNR_CAP_DB}]`);
    }
  }
  return problems;
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}
