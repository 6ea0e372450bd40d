import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MediaConfig } from '../config/config.js';
import { abortReason, AppError, isAppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { findMediaDiagnosis, type FfmpegRunner } from './ffmpeg-runner.js';
import { probe } from './ffprobe.js';
import { buildHlsCommand, LADDER_FILES } from './hls-command.js';
import { audioConversions } from './audio-plan.js';
import { detectInterlace } from './interlace.js';
import { directoryBytes } from './directory-size.js';
import { planLadder } from './ladder.js';
import { pictureConversions } from './picture.js';
import { makePreviews, type PreviewStepResult } from './previews/make-previews.js';
import { renderMasterPlaylist } from './master-playlist.js';
import { measureRenditions } from './measure-renditions.js';
import { scanVideoPackets } from './keyframe-scan.js';
import { analyzePackets, decidePassthrough, streamIneligibility } from './passthrough.js';
import type { EncodeProgress, FfmpegCommand, LadderPlan, MeasuredRendition, TopRungDecision, TranscodeOutput, VideoInfo } from './types.js';
import { validateSource } from './validate-source.js';
import type { VideoEncoderName } from './video-encoder.js';
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
  /** Resolved encoder (VIDEO_ENCODER=auto is resolved by the caller, once); else the config's, auto meaning libx264. */
  readonly encoder?: VideoEncoderName;
  /** A non-fatal problem, e.g. the hardware encoder failed and libx264 redid the job. */
  readonly onWarning?: (warning: MediaWarning) => void;
}

/** What transcodeLadder reports without failing. */
export interface MediaWarning {
  readonly code: 'encoder_fallback';
  readonly encoder: VideoEncoderName;
  readonly message: string;
}

/**
 * Source → verified HLS ladder in `outDir`: probe and validate (unless `info` is given), plan,
 * one FFmpeg run for every rung and the poster, measure the renditions, write master.m3u8 from
 * the measurements, make the previews and metadata.json from the rungs, verify. Throws the media AppErrors, or the abort reason when `signal` aborts.
 */
export async function transcodeLadder(options: TranscodeOptions): Promise<TranscodeOutput> {
  const { input, outDir, media, log, signal } = options;
  const probeOptions = { ffprobePath: media.ffprobePath, signal };
  const info = options.info ?? (await probeAndValidate(input, media, probeOptions));
  const interlace = await detectInterlace(input, info, { ffmpegPath: media.ffmpegPath, signal });
  const plan = planLadder(info, media, interlace);
  const conversions = [...pictureConversions(plan.picture), ...audioConversions(info, plan.audio)];
  log.info(
    {
      rungs: plan.rungs.map((r) => `${r.name}:${r.width}x${r.height}@${r.fps.toFixed(2)}`),
      audioTrack: plan.audio?.index ?? null,
      interlace: interlace.how === 'trusted' ? undefined : interlace,
      colour: plan.picture.colour.kind === 'none' ? undefined : plan.picture.colour,
      conversions,
    },
    'ladder planned',
  );

  const topRung = media.passthrough === 'auto' ? await planPassthrough(input, info, plan, probeOptions, log) : OFF;
  const encoder = options.encoder ?? (media.videoEncoder === 'auto' ? 'libx264' : media.videoEncoder);
  const build = (enc: VideoEncoderName): FfmpegCommand =>
    buildHlsCommand({
      input,
      outDir,
      plan,
      preset: media.x264Preset,
      threads: media.threads,
      encoder: enc,
      vaapiDevice: media.vaapiDevice,
      topRung,
    });

  const started = Date.now();
  const { logTail } = await runWithFallback(options, { plan, durationSeconds: info.durationSeconds }, encoder, build);
  const encodeMs = Date.now() - started;
  options.onProgress?.({ percent: 100, outTimeSeconds: info.durationSeconds, speed: null });
  throwIfAborted(signal);

  const encoded = { info, plan, topRung, conversions, encodeMs, logTail };
  const { renditions, previews } = await finishLadder(input, outDir, media, encoded, signal);
  const outputBytes = await directoryBytes(outDir);
  const rungFacts = renditions.map((r) => ({ name: r.name, bandwidth: r.bandwidth, segments: r.segmentCount }));
  log.info({ encodeMs, previewsMs: previews.previewsMs, outputBytes, renditions: rungFacts }, 'ladder transcoded');
  return { ...encoded, ...LADDER_PATHS, renditions, outputBytes, previews: previews.outputs, previewsMs: previews.previewsMs };
}

const LADDER_PATHS = { masterPath: LADDER_FILES.master, posterPath: LADDER_FILES.poster } as const;

/**
 * After the encode: measure the rungs, write master.m3u8 from the measurements, make the previews
 * and metadata.json from the encoded rungs (with QUALITY_METRICS=on, the rungs' scores against
 * `source`), verify everything.
 */
async function finishLadder(
  source: string,
  outDir: string,
  media: MediaConfig,
  encoded: Pick<TranscodeOutput, 'info' | 'plan' | 'topRung' | 'conversions' | 'encodeMs' | 'logTail'>,
  signal: AbortSignal | undefined,
): Promise<{ renditions: MeasuredRendition[]; previews: PreviewStepResult }> {
  const probeOptions = { ffprobePath: media.ffprobePath, signal };
  const renditions = await measureRenditions(outDir, encoded.plan.rungs, probeOptions);
  await writeFile(path.join(outDir, LADDER_FILES.master), renderMasterPlaylist(renditions));
  const previews = await makePreviews({ ...encoded, ...LADDER_PATHS, source, outDir, media, renditions, signal });
  const expected = { expectedDurationSeconds: encoded.info.durationSeconds, renditions, previews: previews.expectations };
  await verifyLadder(outDir, { ...expected, ...probeOptions }).catch((err: unknown) => {
    throw explainVerification(err, encoded.logTail);
  });
  return { renditions, previews };
}

const OFF: TopRungDecision = { copied: false, reason: 'PASSTHROUGH=off' };

/** Decides whether the top rung is stream-copied (logged either way, with the reason). */
export async function planPassthrough(
  input: string,
  info: VideoInfo,
  plan: LadderPlan,
  probeOptions: { ffprobePath: string; signal?: AbortSignal },
  log: Logger,
): Promise<TopRungDecision> {
  // Cheap checks first: the packet scan only runs for sources that could qualify.
  const early = streamIneligibility(info, plan);
  if (early !== null) {
    log.info({ reason: early }, 'top rung encoded');
    return { copied: false, reason: early };
  }
  const { packets, startTime } = await scanVideoPackets(input, probeOptions);
  const scan = analyzePackets(packets, info.durationSeconds, startTime);
  const decision = decidePassthrough(info, plan, scan);
  if (!decision.copied) log.info({ reason: decision.reason }, 'top rung encoded');
  else log.info({ keyframes: decision.keyframeTimes.length, averageKbps: Math.round(scan.averageBps / 1000) }, 'top rung stream-copied');
  return decision;
}

/**
 * Runs the ladder with `encoder`; when a hardware encoder fails (driver, session limit, unsupported
 * size) the job is redone with libx264 into clean rung directories and a warning is raised.
 */
async function runWithFallback(
  options: TranscodeOptions,
  { plan, durationSeconds }: { plan: LadderPlan; durationSeconds: number },
  encoder: VideoEncoderName,
  build: (enc: VideoEncoderName) => FfmpegCommand,
): Promise<{ logTail: string[] }> {
  await prepareRungDirs(options.outDir, plan);
  const runOptions = { signal: options.signal, durationSeconds, onProgress: options.onProgress };
  try {
    return await options.runner.run(build(encoder), runOptions);
  } catch (err) {
    // A hung hardware encoder (driver, GPU) is stalled, not the source's fault: libx264 gets its turn too.
    const fallible = isAppError(err, 'ffmpeg_failed') || isAppError(err, 'media_decode_error') || isAppError(err, 'encode_stalled');
    if (encoder === 'libx264' || options.signal?.aborted === true || !fallible) throw err;
    const message = `${encoder} failed (${err.message}); the job was redone with libx264.`;
    options.log.warn({ encoder, code: err.code }, message);
    options.onWarning?.({ code: 'encoder_fallback', encoder, message });
    await prepareRungDirs(options.outDir, plan);
    return options.runner.run(build('libx264'), runOptions);
  }
}

/** Empty rung directories: a failed first attempt must leave no stale segment behind. */
async function prepareRungDirs(outDir: string, plan: LadderPlan): Promise<void> {
  await mkdir(outDir, { recursive: true });
  for (const rung of plan.rungs) {
    await rm(path.join(outDir, rung.name), { recursive: true, force: true });
    await mkdir(path.join(outDir, rung.name), { recursive: true });
  }
}

async function probeAndValidate(
  input: string,
  media: MediaConfig,
  options: { ffprobePath: string; signal?: AbortSignal },
): Promise<VideoInfo> {
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
  return new AppError('media_decode_error', `The source is damaged: ${diagnosis} (${err.message})`, {
    cause: err,
    context: { ...err.context, logTail },
  });
}

/** Same contract as the runner: the signal's reason when it is an Error, else AppError('cancelled'). */
function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortReason(signal, 'transcode');
}
