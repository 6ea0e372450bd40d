import ffmpeg from 'fluent-ffmpeg';
import { AppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { commandToArgs } from './hls-command.js';
import type { EncodeProgress, FfmpegCommand } from './types.js';

/** Options of one run. */
export interface FfmpegRunOptions {
  readonly signal?: AbortSignal;
  /** Source duration, the 100% mark of the progress. */
  readonly durationSeconds: number;
  readonly onProgress?: (progress: EncodeProgress) => void;
}

/** Runs an FfmpegCommand. An interface so the pipeline and tests can substitute it. */
export interface FfmpegRunner {
  /** Resolves with FFmpeg's last stderr lines; rejects with an AppError (or the abort reason). */
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

/** A runner backed by fluent-ffmpeg (the only place it is imported). */
export function createFfmpegRunner({ ffmpegPath, log, nice = 0 }: { ffmpegPath: string; log: Logger; nice?: number }): FfmpegRunner {
  return { run: (cmd, options) => runOnce(cmd, options, { ffmpegPath, nice }, log) };
}

function runOnce(cmd: FfmpegCommand, options: FfmpegRunOptions, binary: { ffmpegPath: string; nice: number }, log: Logger): Promise<{ logTail: string[] }> {
  const { signal } = options;
  if (signal?.aborted === true) return Promise.reject(abortReason(signal));
  log.debug({ ffmpegPath: binary.ffmpegPath, nice: binary.nice, args: commandToArgs(cmd) }, 'ffmpeg command');
  const command = toFluent(cmd, binary.ffmpegPath);
  // fluent-ffmpeg spawns through `nice -n N` when set before run(): the API keeps the CPU it needs.
  if (binary.nice > 0) command.renice(binary.nice);
  const tail: string[] = [];
  let aborted = false;
  let started = false;
  let settled = false;
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      aborted = true;
      // Before spawn there is no process yet: the 'start' handler kills it as soon as it exists.
      if (started) command.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    // Called once FFmpeg is gone: fluent-ffmpeg emits 'end'/'error' after exit and stderr close.
    const settle = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (aborted && signal) return reject(abortReason(signal));
      if (err === null) return resolve({ logTail: tail });
      const failure = classifyFfmpegFailure(tail, exitInfoOf(err), err);
      log.warn({ code: failure.code, exit: exitInfoOf(err), logTail: tail.slice(-10) }, 'ffmpeg failed');
      reject(failure);
    };
    command.on('start', () => {
      started = true;
      const proc = guardSpawnError(command, settle);
      log.debug({ ffmpegPid: proc?.pid }, 'ffmpeg started');
      if (aborted) command.kill('SIGKILL');
    });
    command.on('stderr', (line: string) => collectLine(line, tail, options));
    command.on('end', () => settle(null));
    command.on('error', (err: Error) => settle(err));
    command.run();
  });
}

/** Progress lines go to onProgress; the rest, non-empty, into the bounded tail. */
function collectLine(line: string, tail: string[], options: FfmpegRunOptions): void {
  const progress = parseProgressLine(line, options.durationSeconds);
  if (progress) {
    options.onProgress?.(progress);
    return;
  }
  if (line.trim() === '') return;
  tail.push(line);
  if (tail.length > TAIL_LINES) tail.shift();
}

interface SpawnedProcess {
  readonly pid?: number;
  removeAllListeners(event: 'error'): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/**
 * fluent-ffmpeg 2.1.3 throws a TypeError (an uncaught exception) when spawning the main process
 * fails once its capability cache is warm (binary removed, EAGAIN). Its own 'error' listener is
 * replaced, before the asynchronous spawn error can fire, with one that settles the run.
 */
function guardSpawnError(command: ffmpeg.FfmpegCommand, settle: (err: Error) => void): SpawnedProcess | undefined {
  const proc = (command as unknown as { ffmpegProc?: SpawnedProcess }).ffmpegProc;
  proc?.removeAllListeners('error');
  proc?.on('error', settle);
  return proc;
}

function toFluent(cmd: FfmpegCommand, ffmpegPath: string): ffmpeg.FfmpegCommand {
  const command = ffmpeg({ stdoutLines: TAIL_LINES }).setFfmpegPath(ffmpegPath).input(cmd.input);
  // Options go in as separate arguments: fluent-ffmpeg splits a single array element that contains
  // exactly one space (a path, or a two-variant -var_stream_map) when given an array.
  if (cmd.inputOptions.length > 0) command.inputOptions(...spreadable(cmd.inputOptions));
  if (cmd.filterComplex !== null) command.complexFilter(cmd.filterComplex);
  for (const output of cmd.outputs) {
    command.output(output.path);
    if (output.options.length > 0) command.outputOptions(...spreadable(output.options));
  }
  return command;
}

/** Always at least two arguments, so fluent-ffmpeg never splits on spaces. */
function spreadable(options: readonly string[]): [string, ...string[]] {
  const [first = '', ...rest] = options;
  if (rest.length === 0 && first.includes(' ')) throw new Error(`Ambiguous lone FFmpeg option: ${first}`);
  return [first, ...rest];
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new AppError('cancelled', 'The encode was cancelled.', { context: { reason: String(reason) } });
}

/** fluent-ffmpeg reports the exit in its error message; this is the edge where it is read. */
function exitInfoOf(err: Error): FfmpegExitInfo {
  const errno = (err as NodeJS.ErrnoException).code;
  const code = /exited with code (\d+)/.exec(err.message)?.[1];
  const sig = /killed with signal (\w+)/.exec(err.message)?.[1];
  return { exitCode: code === undefined ? null : Number(code), signal: sig ?? null, errno: typeof errno === 'string' ? errno : null };
}

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
