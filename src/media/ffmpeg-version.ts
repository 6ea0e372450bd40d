import { AppError } from '../errors.js';
import { describeExit, runProcess, succeeded, type ProcessResult } from './process-runner.js';

export interface FfmpegBinaryInfo {
  /** e.g. "5.1.9-0+deb12u1", or null when the binary cannot be run. */
  readonly version: string | null;
  readonly error: string | null;
}

const TIMEOUT_MS = 10_000;

/** First line of `<binary> -version` (never throws): "ffmpeg version 5.1.9-0+deb12u1 Copyright…" → "5.1.9-0+deb12u1". */
export async function binaryVersion(binary: string): Promise<FfmpegBinaryInfo> {
  let result: ProcessResult;
  try {
    result = await runProcess({ binary, args: ['-hide_banner', '-version'], timeoutMs: TIMEOUT_MS, maxStdoutBytes: 1024 * 1024 });
  } catch (err) {
    // spawn refuses some paths outright (an empty string): still an answer, not a crash.
    return { version: null, error: (err as Error).message };
  }
  if (result.errno === 'ENOENT') return { version: null, error: `${binary} not found (install the ffmpeg package or set the path)` };
  if (!succeeded(result)) return { version: null, error: failure(binary, result) };
  const match = /version\s+(\S+)/.exec(result.stdout);
  return { version: match?.[1] ?? 'unknown', error: null };
}

/** Names of the encoders the ffmpeg binary was built with ("libx264", "aac", …). */
export async function listEncoders(ffmpegPath: string): Promise<Set<string>> {
  const result = await runProcess({
    binary: ffmpegPath,
    args: ['-hide_banner', '-encoders'],
    timeoutMs: TIMEOUT_MS,
    maxStdoutBytes: 4 * 1024 * 1024,
  });
  if (!succeeded(result)) throw new AppError('ffmpeg_failed', `Listing the encoders failed: ${failure(ffmpegPath, result)}`);
  const names = new Set<string>();
  for (const line of result.stdout.split('\n')) {
    const match = /^\s[VAS][F.][S.][X.][B.][D.]\s+(\S+)/.exec(line);
    if (match?.[1]) names.add(match[1]);
  }
  return names;
}

function failure(binary: string, result: ProcessResult): string {
  const last = result.stderrTail.at(-1);
  return `${binary} ${describeExit(result)}${last === undefined ? '' : `: ${last}`}`;
}
