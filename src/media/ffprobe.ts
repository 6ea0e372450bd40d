import { open, stat } from 'node:fs/promises';
import { AppError, isAppError } from '../errors.js';
import { describeExit, runProcess, succeeded, type ProcessResult } from './process-runner.js';
import { parseRate, toNumberOrNull, toVideoInfo, type RawProbe } from './probe-parse.js';
import type { VideoInfo } from './types.js';

/** How ffprobe is run: the binary, an optional abort signal and a time limit. */
export interface FfprobeOptions {
  readonly ffprobePath: string;
  readonly signal?: AbortSignal;
  /** Kills ffprobe after this long; a local file answers in well under a second. */
  readonly timeoutMs?: number;
}

/** One stream as the media layer needs it, for measuring and verifying outputs. */
export interface StreamSummary {
  readonly type: 'video' | 'audio' | 'other';
  readonly codec: string;
  readonly profile: string | null;
  /** H.264 level_idc (40 = 4.0); null when absent. */
  readonly level: number | null;
  readonly width: number;
  readonly height: number;
  /** Frames per second from r_frame_rate; 0 when unknown. */
  readonly fps: number;
  /** Frames actually decoded (only when `countFrames` was asked). */
  readonly decodedFrames: number | null;
}

const DEFAULT_TIMEOUT_MS = 120_000;
/** -show_streams -count_frames of a long source stays far below this. */
const MAX_STDOUT_BYTES = 32 * 1024 * 1024;

/**
 * Reads a media file's container and streams with ffprobe.
 * Throws AppError: ffmpeg_not_found (binary missing), corrupt_source (e.g. MP4 without its moov
 * atom), invalid_format (not media, empty file, no streams), no_video_stream (audio only, or only
 * cover art), ffmpeg_failed (ffprobe crashed or timed out).
 */
export async function probe(file: string, options: FfprobeOptions): Promise<VideoInfo> {
  const size = await fileSize(file);
  if (size === 0) throw new AppError('invalid_format', 'The source file is empty (0 bytes).', { context: { file } });
  const raw = (await runFfprobe(['-show_format', '-show_streams', file], options).catch(async (err: unknown) => {
    throw await refineCorruption(err, file);
  })) as RawProbe;
  return toVideoInfo(raw, file);
}

/** Top-level ISO BMFF boxes a real (if damaged) MP4/MOV starts with. */
const ISO_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot']);

/**
 * FFmpeg picks the MP4 demuxer from a .mp4 name alone, so a web page saved as .mp4 also ends in
 * "moov atom not found". It is only a damaged MP4 if it starts with an MP4 box.
 */
async function refineCorruption(err: unknown, file: string): Promise<unknown> {
  if (!isAppError(err, 'corrupt_source')) return err;
  const head = Buffer.alloc(8);
  const handle = await open(file, 'r');
  try {
    await handle.read(head, 0, 8, 0);
  } finally {
    await handle.close();
  }
  if (ISO_BOXES.has(head.toString('latin1', 4, 8))) return err;
  return new AppError('invalid_format', 'The file is not a media container (it does not start like an MP4).', {
    cause: err,
    context: err.context,
  });
}

/** Streams of an output file (segment, poster); `countFrames` decodes the whole file to prove it decodes. */
export async function probeStreams(file: string, options: FfprobeOptions & { readonly countFrames?: boolean }): Promise<StreamSummary[]> {
  const args = options.countFrames === true ? ['-count_frames', '-show_streams', file] : ['-show_streams', file];
  const raw = (await runFfprobe(args, options)) as RawProbe;
  return (raw.streams ?? []).map((s) => ({
    type: s.codec_type === 'video' || s.codec_type === 'audio' ? s.codec_type : 'other',
    codec: s.codec_name ?? 'unknown',
    profile: s.profile ?? null,
    level: typeof s.level === 'number' && s.level > 0 ? s.level : null,
    width: s.width ?? 0,
    height: s.height ?? 0,
    fps: parseRate(s.r_frame_rate),
    decodedFrames: toNumberOrNull(s.nb_read_frames),
  }));
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    // A missing input is our own bug (the pipeline downloaded it), not the uploader's fault.
    throw new AppError('internal_error', `The file to probe cannot be read: ${(err as Error).message}`, { cause: err, context: { file } });
  }
}

/** Runs ffprobe with JSON output and returns the parsed document; failures become AppErrors. */
async function runFfprobe(args: readonly string[], options: FfprobeOptions): Promise<unknown> {
  const result = await runProcess({
    binary: options.ffprobePath,
    args: ['-v', 'error', '-print_format', 'json', ...args],
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxStdoutBytes: MAX_STDOUT_BYTES,
  });
  if (!succeeded(result)) throw classifyProbeFailure(result, options.ffprobePath);
  try {
    return JSON.parse(result.stdout) as unknown;
  } catch (parseErr) {
    throw new AppError('ffmpeg_failed', 'ffprobe printed output that is not JSON.', { cause: parseErr });
  }
}

/** Maps how ffprobe ended and its stderr to an AppError (stderr is parsed here, at the edge). */
function classifyProbeFailure(result: ProcessResult, ffprobePath: string): AppError {
  const stderr = result.stderrTail.join('\n');
  const context = { stderrTail: result.stderrTail.slice(-10), exit: describeExit(result) };
  if (result.errno === 'ENOENT' || result.errno === 'EACCES') {
    return new AppError('ffmpeg_not_found', `ffprobe cannot be run (${ffprobePath}): ${result.errno}`, { context: { ffprobePath } });
  }
  if (/moov atom not found|truncated|partial file|Invalid NAL unit size|EBML header parsing failed/i.test(stderr)) {
    return new AppError('corrupt_source', 'The file is damaged or truncated (its index is missing).', { context });
  }
  if (result.killedBy !== null || result.signal !== null) {
    return new AppError('ffmpeg_failed', `ffprobe ${describeExit(result)}.`, { context });
  }
  if (result.exitCode !== null && stderr.trim() !== '') {
    // ffprobe exits non-zero with a message only when it cannot open or parse the input.
    return new AppError('invalid_format', 'FFmpeg cannot read the file as a media container.', { context });
  }
  return new AppError('ffmpeg_failed', `ffprobe failed (${describeExit(result)}).`, { context });
}
