import { AppError } from '../../errors.js';
import { describeExit, runProcess, succeeded } from '../process-runner.js';

/** How a previews step reaches FFmpeg. */
export interface StepRunOptions {
  readonly ffmpegPath: string;
  /** nice(1) level, as for the ladder; 0 = unchanged. */
  readonly nice: number;
  readonly signal?: AbortSignal;
  readonly timeoutMs: number;
}

/** Generous: each step decodes a rung (or a few seconds of one), far faster than real time. */
export function stepTimeoutMs(durationSeconds: number): number {
  return Math.round((120 + durationSeconds) * 1000);
}

/**
 * Runs one FFmpeg of the previews step (`what`, e.g. "thumbnails").
 * @throws AppError('ffmpeg_failed') with the stderr tail when it does not exit 0; the abort reason on abort.
 */
export async function runFfmpegStep(
  what: string,
  args: readonly string[],
  options: StepRunOptions & { readonly onStderrLine?: (line: string) => void },
): Promise<void> {
  const result = await runProcess({
    binary: options.ffmpegPath,
    args: ['-hide_banner', '-nostdin', '-y', ...args],
    nice: options.nice,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    stderrTailLines: 20,
    onStderrLine: options.onStderrLine,
  });
  if (!succeeded(result)) {
    const stderrTail = result.stderrTail.filter((l) => !l.includes('Parsed_showinfo')).slice(-10);
    throw new AppError('ffmpeg_failed', `Making the ${what} failed: ffmpeg ${describeExit(result)}.`, {
      context: { step: what, stderrTail, exit: describeExit(result) },
    });
  }
}
