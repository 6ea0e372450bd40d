import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MediaConfig } from '../config/config.js';
import { AppError, isAppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { findMediaDiagnosis, type FfmpegRunner } from './ffmpeg-runner.js';
import { probe } from './ffprobe.js';
import { buildHlsCommand, LADDER_FILES } from './hls-command.js';
import { planLadder } from './ladder.js';
import { renderMasterPlaylist } from './master-playlist.js';
import { measureRenditions } from './measure-renditions.js';
import type { EncodeProgress, TranscodeOutput, VideoInfo } from './types.js';
import { validateSource } from './validate-source.js';
import { verifyLadder } from './verify.js';

/** Everything one ladder needs; the daemon and the CLI `transcode` command both call this. */
export interface TranscodeOptions {
  readonly input: string;
  /** Created if missing; left in place on failure (the caller owns cleanup). */
  readonly outDir: string;
  readonly media: MediaConfig;
  readonly runner: FfmpegRunner;
  readonly log: Logger;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: EncodeProgress) => void;
  /** Already probed and validated; when absent the input is probed and validated here. */
  readonly info?: VideoInfo;
}

/**
 * Source → verified HLS ladder in `outDir`: probe and validate (unless `info` is given), plan,
 * one FFmpeg run for every rung and the poster, measure the renditions, write master.m3u8 from
 * the measurements, verify. Throws the media AppErrors, or the abort reason when `signal` aborts.
 */
export async function transcodeLadder(options: TranscodeOptions): Promise<TranscodeOutput> {
  const { input, outDir, media, runner, log, signal } = options;
  const probeOptions = { ffprobePath: media.ffprobePath, signal };
  const info = options.info ?? (await probeAndValidate(input, media, probeOptions));
  const plan = planLadder(info, media);
  log.info({ rungs: plan.rungs.map((r) => `${r.name}:${r.width}x${r.height}@${r.fps.toFixed(2)}`), hasAudio: plan.hasAudio }, 'ladder planned');

  await mkdir(outDir, { recursive: true });
  for (const rung of plan.rungs) await mkdir(path.join(outDir, rung.name), { recursive: true });
  const command = buildHlsCommand({ input, outDir, plan, preset: media.x264Preset, threads: media.threads });

  const started = Date.now();
  const { logTail } = await runner.run(command, { signal, durationSeconds: info.durationSeconds, onProgress: options.onProgress });
  const encodeMs = Date.now() - started;
  options.onProgress?.({ percent: 100, outTimeSeconds: info.durationSeconds, speed: null });
  throwIfAborted(signal);

  const renditions = await measureRenditions(outDir, plan.rungs, probeOptions);
  await writeFile(path.join(outDir, LADDER_FILES.master), renderMasterPlaylist(renditions));
  await verifyLadder(outDir, { expectedDurationSeconds: info.durationSeconds, renditions, ...probeOptions }).catch((err: unknown) => {
    throw explainVerification(err, logTail);
  });

  const outputBytes = await directoryBytes(outDir);
  log.info(
    { encodeMs, outputBytes, renditions: renditions.map((r) => ({ name: r.name, bandwidth: r.bandwidth, segments: r.segmentCount })) },
    'ladder transcoded',
  );
  return { info, plan, renditions, masterPath: LADDER_FILES.master, posterPath: LADDER_FILES.poster, outputBytes, encodeMs, logTail };
}

async function probeAndValidate(input: string, media: MediaConfig, options: { ffprobePath: string; signal?: AbortSignal }): Promise<VideoInfo> {
  const info = await probe(input, options);
  validateSource(info, media);
  return info;
}

/**
 * FFmpeg exits 0 on a source truncated after its index (faststart MP4 cut short) and the ladder then
 * comes out short. When its log blames the input, that is the real, permanent, cause.
 */
function explainVerification(err: unknown, logTail: readonly string[]): unknown {
  const diagnosis = findMediaDiagnosis(logTail);
  if (!isAppError(err, 'verification_failed') || diagnosis === null) return err;
  return new AppError('media_decode_error', `The source is damaged: ${diagnosis} (${err.message})`, { cause: err, context: { ...err.context, logTail } });
}

/** Same contract as the runner: the signal's reason when it is an Error, else AppError('cancelled'). */
function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted !== true) return;
  const reason: unknown = signal.reason;
  throw reason instanceof Error ? reason : new AppError('cancelled', 'The transcode was cancelled.');
}

/** Total size of the files under `dir`. */
async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await directoryBytes(full);
    else if (entry.isFile()) total += (await stat(full)).size;
  }
  return total;
}
