/**
 * The previews step, run after the ladder is encoded and measured: thumbnails, storyboard and the
 * animated preview are made from the encoded rungs (never a second decode of the source), then
 * metadata.json describes the whole ladder. Each output is its own short FFmpeg run: as extra
 * outputs of the ladder's process, an output whose first frame comes late would make FFmpeg 5.1
 * buffer every other branch's raw frames until then.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { MediaConfig } from '../../config/config.js';
import type { MeasuredRendition, PreviewOutputs } from '../types.js';
import { parseMediaPlaylist } from '../master-playlist.js';
import { buildMetadata, writeMetadata, type LadderFacts } from './metadata.js';
import { PREVIEW_FILES, planPreviews } from './plan.js';
import { makePreviewClip } from './preview-clip.js';
import { stepTimeoutMs, type StepRunOptions } from './run-step.js';
import { timeline, type TimedSegment } from './segments.js';
import { makeStoryboard } from './storyboard.js';
import { choosePoster } from './poster-choice.js';
import { makeThumbnails } from './thumbnails.js';
import type { PreviewExpectations, PreviewsMade } from './types.js';

export type { PreviewExpectations, PreviewsMade } from './types.js';

/** A measured ladder in `outDir`, and what metadata.json reports about how it was made. */
export interface PreviewStepInput extends LadderFacts {
  readonly outDir: string;
  readonly media: MediaConfig;
  readonly signal?: AbortSignal;
}

export interface PreviewStepResult {
  readonly outputs: PreviewOutputs;
  /** For verifyLadder. */
  readonly expectations: PreviewExpectations;
  readonly previewsMs: number;
}

const NONE: PreviewsMade = { thumbnails: null, storyboard: null, preview: null };

/**
 * Makes the previews (unless PREVIEWS=off) and writes metadata.json.
 * @throws AppError('ffmpeg_failed') when an FFmpeg run fails; the abort reason on abort.
 */
export async function makePreviews(input: PreviewStepInput): Promise<PreviewStepResult> {
  const started = Date.now();
  await clearPreviews(input.outDir);
  const made = input.media.previews.enabled ? await makeAll(input) : NONE;
  const previewsMs = Date.now() - started;
  const metadata = await writeMetadata(input.outDir, PREVIEW_FILES.metadata, buildMetadata({ ...input, previews: made, previewsMs }));
  return {
    outputs: {
      thumbnails: made.thumbnails?.files ?? [],
      storyboard: made.storyboard?.vtt ?? null,
      preview: made.preview?.file ?? null,
      metadata,
    },
    expectations: { made, metadata, renditions: input.renditions },
    previewsMs,
  };
}

async function makeAll(input: PreviewStepInput): Promise<PreviewsMade> {
  const { outDir, media, info } = input;
  const plan = planPreviews(input.renditions, info.durationSeconds, media.previews);
  const run: StepRunOptions = {
    ffmpegPath: media.ffmpegPath,
    nice: media.nice,
    signal: input.signal,
    timeoutMs: stepTimeoutMs(info.durationSeconds),
  };
  const top = await readTimeline(outDir, plan.thumbnails.from);
  const files = await makeThumbnails(outDir, plan.thumbnails, top, run);
  const poster = { outDir, posterPath: input.posterPath, thumbnails: files, times: plan.thumbnails.times };
  const posterSeconds = await choosePoster({ ...poster, top: plan.thumbnails.from, segments: top }, run);
  const storyboard = await makeStoryboard(outDir, plan.storyboard, info.durationSeconds, run);
  const encoder = { preset: media.x264Preset, threads: media.threads };
  const preview = await makePreviewClip(outDir, plan.preview, await readTimeline(outDir, plan.preview.from), encoder, run);
  const { tile, columns, rows, intervalSeconds } = plan.storyboard;
  return {
    thumbnails: { files, size: plan.thumbnails.size, timesSeconds: plan.thumbnails.times, rung: plan.thumbnails.from.name, posterSeconds },
    storyboard: { ...storyboard, tile, columns, rows, intervalSeconds, rung: plan.storyboard.from.name },
    preview: { file: preview, size: plan.preview.size, moments: plan.preview.moments, rung: plan.preview.from.name },
  };
}

/** A rung's segments on its timeline, from its playlist (already read and checked by measureRenditions). */
async function readTimeline(outDir: string, rung: MeasuredRendition): Promise<TimedSegment[]> {
  return timeline(parseMediaPlaylist(await readFile(path.join(outDir, rung.playlistPath), 'utf8')));
}

/** Nothing stale (an earlier attempt in the same directory) survives, nor anything PREVIEWS=off forbids. */
async function clearPreviews(outDir: string): Promise<void> {
  for (const name of [PREVIEW_FILES.thumbnailsDir, PREVIEW_FILES.storyboardDir, PREVIEW_FILES.preview, PREVIEW_FILES.metadata]) {
    await rm(path.join(outDir, name), { recursive: true, force: true });
  }
}
