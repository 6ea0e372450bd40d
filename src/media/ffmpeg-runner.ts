import type { EncodeWatchdogConfig } from '../config/config.js';
import { abortReason, AppError, isAppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { startEncodeWatchdog, type EncodeWatchdog, type WatchdogClock } from './encode-watchdog.js';
import { commandToArgs } from './hls-command.js';
import { runProcess, succeeded, type ProcessResult } from './process-runner.js';
import type { EncodeProgress, FfmpegCommand } from './types.js';

/** Options of one run. */
export interface FfmpegRunOptions {
  readonly signal?: AbortSignal;
  /** Source duration: the 100% mark of the progress and the base of the watchdog's timeout. */
  readonly durationSeconds: number;
  readonly onProgress?: (progress: EncodeProgress) => void;
}

/** Runs an FfmpegCommand. An interface so the pipeline and tests can substitute it. */
export interface FfmpegRunner {
  /**
   * Resolves with FFmpeg's last stderr lines; rejects with an AppError (encode_stalled and
   * encode_timeout when the watchdog killed it) or, when `signal` aborted, with the abort reason.
   */
  run(cmd: FfmpegCommand, options: FfmpegRunOptions): Promise<{ logTail: string[] }>;
}

/** How FFmpeg ended, as seen from outside. */
export interface FfmpegExitInfo {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** errno of a spawn failure, e.g. ENOENT. */
  readonly errno: string | null;
}

const TAIL_LINES = 50;

/** Construction options of {@link createFfmpegRunner}. */
export interface FfmpegRunnerOptions {
  readonly ffmpegPath: string;
  readonly log: Logger;
  /** nice(1) level; 0 (the default) runs FFmpeg unchanged. */
  readonly nice?: number;
  /**
   * Bounds every run (MediaConfig.watchdog): a stalled run is killed with encode_stalled, an overlong
   * one with encode_timeout. Omitted: unbounded (one-off tools and tests only; the daemon always passes it).
   */
  readonly watchdog?: EncodeWatchdogConfig;
  /** The watchdog's clock; real timers unless a test passes a manual one. */
  readonly clock?: WatchdogClock;
}

interface RunContext {
  readonly ffmpegPath: string;
  readonly nice: number;
  readonly log: Logger;
  readonly watchdog: EncodeWatchdogConfig | null;
  readonly clock: WatchdogClock | undefined;
}

/** A runner that spawns the ffmpeg binary through the process runner, as nice(1) asks when `nice` > 0. */
export function createFfmpegRunner({ ffmpegPath, log, nice = 0, watchdog, clock }: FfmpegRunnerOptions): FfmpegRunner {
  const context: RunContext = { ffmpegPath, nice, log, watchdog: watchdog ?? null, clock };
  return { run: (cmd, options) => runOnce(cmd, options, context) };
}

async function runOnce(cmd: FfmpegCommand, options: FfmpegRunOptions, ctx: RunContext): Promise<{ logTail: string[] }> {
  const { log } = ctx;
  const args = commandToArgs(cmd);
  log.debug({ ffmpegPath: ctx.ffmpegPath, nice: ctx.nice, args }, 'ffmpeg command');
  const tail: string[] = [];
  const watchdog = ctx.watchdog
    ? startEncodeWatchdog({ limits: ctx.watchdog, durationSeconds: options.durationSeconds, clock: ctx.clock, logTail: () => tail })
    : null;
  const signals = [options.signal, watchdog?.signal].filter((s): s is AbortSignal => s !== undefined);
  let result: ProcessResult;
  try {
    result = await runProcess({
      binary: ctx.ffmpegPath,
      args,
      // nice(1) rather than renicing after the start: every thread FFmpeg creates inherits the level.
      nice: ctx.nice,
      // Aborting kills FFmpeg (SIGKILL, which also ends a stopped process) and rejects once it has exited.
      signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
      stderrTailLines: 0,
      onStderrLine: (line) => collectLine(line, tail, options, watchdog),
      onSpawn: (pid) => log.debug({ ffmpegPid: pid }, 'ffmpeg started'),
    });
  } catch (err) {
    throw watchdogFailure(err, options.signal, log);
  } finally {
    watchdog?.stop();
  }
  if (succeeded(result)) return { logTail: tail };
  const exit: FfmpegExitInfo = { exitCode: result.exitCode, signal: result.signal, errno: result.errno };
  const failure = classifyFfmpegFailure(tail, exit);
  log.warn({ code: failure.code, exit, logTail: tail.slice(-10) }, 'ffmpeg failed');
  throw failure;
}

/** A rejected run: the caller's abort wins with its own reason, even when the watchdog fired too. */
function watchdogFailure(err: unknown, outer: AbortSignal | undefined, log: Logger): unknown {
  if (outer?.aborted === true) return abortReason(outer, 'ffmpeg run');
  if (isAppError(err, 'encode_stalled') || isAppError(err, 'encode_timeout')) {
    log.warn({ code: err.code, context: { ...err.context, logTail: undefined } }, err.message);
  }
  return err;
}

/** Progress lines go to the watchdog and onProgress; the rest, non-empty, into the bounded tail. */
function collectLine(line: string, tail: string[], options: FfmpegRunOptions, watchdog: EncodeWatchdog | null): void {
  const progress = parseProgressLine(line, options.durationSeconds);
  if (progress) {
    watchdog?.progress(progress.outTimeSeconds);
    options.onProgress?.(progress);
    return;
  }
  if (line.trim() === '' || NOISE.test(line)) return;
  tail.push(line);
  if (tail.length > TAIL_LINES) tail.shift();
}

/**
 * swscale's note on the full-range (yuvj) format the poster's JPEG encoder needs, once per slice
 * thread: true of every job, and it would push the real problems out of the tail.
 */
const NOISE = /deprecated pixel format used, make sure you did set range correctly/;

const PROGRESS_TIME = /time=\s*(-?)(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/;
const PROGRESS_SPEED = /speed=\s*([\d.]+)x/;

/** Parses a "frame= … time=00:00:04.00 … speed=1.5x" line. Pure; null for other lines. */
export function parseProgressLine(line: string, durationSeconds: number): EncodeProgress | null {
  const time = PROGRESS_TIME.exec(line);
  if (!time || !/(^|\s)(frame|size)=/.test(line)) return null;
  // FFmpeg prints a negative time (e.g. -00:00:00.02) before the first frame is out.
  const seconds = Number(time[2]) * 3600 + Number(time[3]) * 60 + Number(time[4]);
  const outTimeSeconds = time[1] === '-' ? 0 : seconds;
  const raw = durationSeconds > 0 ? (outTimeSeconds / durationSeconds) * 100 : 0;
  const speedText = PROGRESS_SPEED.exec(line)?.[1];
  const speed = speedText === undefined ? null : Number(speedText);
  return { percent: Math.min(100, Math.max(0, raw)), outTimeSeconds, speed: speed !== null && Number.isFinite(speed) ? speed : null };
}

/** Media diagnoses: FFmpeg failed because of the input, so another attempt fails the same way. */
const MEDIA_DIAGNOSES: readonly RegExp[] = [
  /Invalid data found when processing input/i,
  /moov atom not found/i,
  /Error while decoding/i,
  /corrupt decoded frame/i,
  /error while decoding MB/i,
  /Invalid NAL unit/i,
  /could not find codec parameters/i,
  /partial file/i,
  /corrupt input packet/i,
];

/** The first stderr line that blames the input (truncated, undecodable), or null. Pure. */
export function findMediaDiagnosis(stderrTail: readonly string[]): string | null {
  for (const line of stderrTail) if (MEDIA_DIAGNOSES.some((re) => re.test(line))) return line.trim();
  return null;
}

/**
 * Classifies an FFmpeg failure from its stderr tail and exit. Pure.
 * ENOENT → ffmpeg_not_found; "No space left on device" → insufficient_disk; a media diagnosis →
 * media_decode_error (permanent); anything else, signals included → ffmpeg_failed (retryable).
 */
export function classifyFfmpegFailure(stderrTail: readonly string[], exitInfo: FfmpegExitInfo, cause?: unknown): AppError {
  const logTail = [...stderrTail];
  const options = { cause, context: { logTail, exitCode: exitInfo.exitCode, signal: exitInfo.signal } };
  if (exitInfo.errno === 'ENOENT' || exitInfo.errno === 'EACCES') {
    return new AppError('ffmpeg_not_found', `The ffmpeg binary cannot be run (${exitInfo.errno}).`, options);
  }
  const text = logTail.join('\n');
  if (/No space left on device/i.test(text) || exitInfo.errno === 'ENOSPC') {
    return new AppError('insufficient_disk', 'FFmpeg ran out of disk space while writing the ladder.', options);
  }
  const diagnosis = findMediaDiagnosis(logTail);
  if (diagnosis !== null && exitInfo.signal === null) {
    return new AppError('media_decode_error', `FFmpeg could not decode the source: ${diagnosis}`, options);
  }
  const how = exitInfo.signal !== null ? `was killed by ${exitInfo.signal}` : `exited with code ${String(exitInfo.exitCode)}`;
  const last = logTail[logTail.length - 1]?.trim();
  return new AppError('ffmpeg_failed', `FFmpeg ${how}${last ? `: ${last}` : ''}.`, options);
}
