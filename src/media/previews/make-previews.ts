/**
 * The previews step, run after the ladder is encoded and measured: thumbnails, storyboard and the
 * animated preview come from one decode of one encoded rung (never a second decode of the source),
 * the poster from a few key frames of the top rung, then metadata.json describes the whole ladder
 * (with QUALITY_METRICS=on, each rung's SSIM and PSNR, which does decode the source once more).
 * They are not extra outputs of the ladder's process: there, an output whose first frame comes
 * late made FFmpeg 5.1 buffer every other branch's raw frames until then.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { MediaConfig } from '../../config/config.js';
import type { MeasuredRendition, PreviewOutputs } from '../types.js';
import { parseMediaPlaylist } from '../master-playlist.js';
import { buildMetadata, writeMetadata, type LadderFacts } from './metadata.js';
import { passArgs } from './pass-branch.js';
import { PREVIEW_FILES, planPreviews, thumbnailFile } from './plan.js';
import { previewBranch } from './preview-clip.js';
import { measureQuality } from './quality-metrics.js';
import { runFfmpegStep, stepTimeoutMs, type StepRunOptions } from './run-step.js';
import { timeline, type TimedSegment } from './segments.js';
import { storyboardBranch, tileTimeCollector, writeStoryboard } from './storyboard.js';
import { choosePoster } from './poster-choice.js';
import { thumbnailBranches } from './thumbnails.js';
import type { PreviewExpectations, PreviewsMade } from './types.js';

export type { PreviewExpectations, PreviewsMade } from './types.js';

/** A measured ladder in `outDir`, and what metadata.json reports about how it was made. */
export interface PreviewStepInput extends LadderFacts {
  readonly outDir: string;
  readonly media: MediaConfig;
  readonly signal?: AbortSignal;
  /** The source file: QUALITY_METRICS=on compares the rungs with it. */
  readonly source: string;
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
  const quality = input.media.qualityMetrics ? await measureQuality(input) : null;
  const metadata = await writeMetadata(
    input.outDir,
    PREVIEW_FILES.metadata,
    buildMetadata({ ...input, previews: made, previewsMs, quality }),
  );
  return {
    outputs: {
      thumbnails: made.thumbnails?.files ?? [],
      storyboard: made.storyboard?.vtt ?? null,
      preview: made.preview?.file ?? null,
      metadata,
    },
    expectations: { made, metadata, renditions: input.renditions, quality },
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
  const segments = await readTimeline(outDir, plan.from);
  const rungSeconds = segments.reduce((sum, s) => sum + s.durationSeconds, 0);
  const encoder = { preset: media.x264Preset, threads: media.threads };
  const thumbs = thumbnailBranches(outDir, plan.thumbnails, rungSeconds);
  const branches = [storyboardBranch(outDir, plan.storyboard), previewBranch(outDir, plan.preview, encoder), ...thumbs];
  await mkdir(path.join(outDir, PREVIEW_FILES.storyboardDir), { recursive: true });
  await mkdir(path.join(outDir, PREVIEW_FILES.thumbnailsDir), { recursive: true });
  const tiles = tileTimeCollector();
  await runFfmpegStep('previews', passArgs(path.join(outDir, plan.from.playlistPath), branches), {
    ...run,
    onStderrLine: tiles.onStderrLine,
  });
  const rung = plan.from.name;
  const storyboard = await writeStoryboard(outDir, plan.storyboard, tiles.times, info.durationSeconds, rung);
  const files = plan.thumbnails.times.map((_, i) => thumbnailFile(i));
  const top = plan.poster.from;
  const choice = { outDir, posterPath: input.posterPath, thumbnails: files, times: plan.thumbnails.times, top };
  const posterSeconds = await choosePoster({ ...choice, segments: await readTimeline(outDir, top) }, run);
  const { tile, columns, rows, intervalSeconds } = plan.storyboard;
  return {
    thumbnails: { files, size: plan.thumbnails.size, timesSeconds: plan.thumbnails.times, rung, posterSeconds },
    storyboard: { ...storyboard, tile, columns, rows, intervalSeconds, rung },
    preview: { file: PREVIEW_FILES.preview, size: plan.preview.size, moments: plan.preview.moments, rung },
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
