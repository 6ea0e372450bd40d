import type { EncodeWatchdogConfig } from '../config/config.js';
import { AppError } from '../errors.js';

/**
 * The watchdog's clock: real timers in the daemon, a manual clock in unit tests (no sleeping).
 * `setTimer` returns the function that cancels the timer.
 */
export interface WatchdogClock {
  readonly now: () => number;
  readonly setTimer: (ms: number, fn: () => void) => () => void;
}

export const realWatchdogClock: WatchdogClock = {
  now: () => Date.now(),
  setTimer: (ms, fn) => {
    const timer = setTimeout(fn, ms);
    // The FFmpeg child keeps the process alive while it runs; the watchdog never does.
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** Added to factor × duration: FFmpeg's start-up, the poster and the last segments of a very short source. */
export const TIMEOUT_GRACE_SECONDS = 60;

/** The longest a run of a `durationSeconds` source may take, in ms. Pure. */
export function encodeTimeoutMs(limits: EncodeWatchdogConfig, durationSeconds: number): number {
  return Math.round((limits.timeoutFactor * Math.max(0, durationSeconds) + TIMEOUT_GRACE_SECONDS) * 1000);
}

/** One armed watchdog, for one FFmpeg run. */
export interface EncodeWatchdog {
  /** Aborted with AppError encode_stalled or encode_timeout when a bound is crossed. */
  readonly signal: AbortSignal;
  /** Reports FFmpeg's output time; only an advance re-arms the stall timer. */
  progress(outTimeSeconds: number): void;
  /** Disarms both timers (the run ended). */
  stop(): void;
}

export interface WatchdogOptions {
  readonly limits: EncodeWatchdogConfig;
  /** Source duration: the timeout is limits.timeoutFactor × this + TIMEOUT_GRACE_SECONDS. */
  readonly durationSeconds: number;
  readonly clock?: WatchdogClock;
  /** FFmpeg's last stderr lines at the moment it fires, for the error's context (the attempt's log tail). */
  readonly logTail?: () => readonly string[];
}

/**
 * Arms a watchdog over one FFmpeg run. The stall timer counts from the start, so a run that never
 * reports progress stalls too; it fires when the output time has not advanced for stallSeconds
 * (a repeated or smaller time is no progress). The timeout fires after encodeTimeoutMs.
 */
export function startEncodeWatchdog(options: WatchdogOptions): EncodeWatchdog {
  const { limits, durationSeconds, clock = realWatchdogClock } = options;
  const controller = new AbortController();
  const startedAt = clock.now();
  const stallMs = limits.stallSeconds * 1000;
  const timeoutMs = encodeTimeoutMs(limits, durationSeconds);
  let lastOutTime = 0;
  let lastAdvanceAt = startedAt;
  let cancelStall: () => void = () => undefined;

  const fire = (error: AppError): void => {
    stop();
    controller.abort(error);
  };
  const facts = () => ({
    stallSeconds: limits.stallSeconds,
    timeoutFactor: limits.timeoutFactor,
    durationSeconds,
    lastOutTimeSeconds: lastOutTime,
    elapsedMs: clock.now() - startedAt,
    logTail: [...(options.logTail?.() ?? [])],
  });
  // Re-armed lazily: an advance only moves lastAdvanceAt; the timer, when due, waits for the rest.
  const armStall = (ms: number): void => {
    cancelStall = clock.setTimer(ms, () => {
      const idleMs = clock.now() - lastAdvanceAt;
      if (idleMs < stallMs) return armStall(stallMs - idleMs);
      fire(stalledError(limits.stallSeconds, lastOutTime, facts()));
    });
  };
  const cancelTimeout = clock.setTimer(timeoutMs, () => fire(timeoutError(limits, durationSeconds, lastOutTime, facts())));
  armStall(stallMs);

  function stop(): void {
    cancelStall();
    cancelTimeout();
  }
  return {
    signal: controller.signal,
    progress: (outTimeSeconds) => {
      if (controller.signal.aborted || !(outTimeSeconds > lastOutTime)) return;
      lastOutTime = outTimeSeconds;
      lastAdvanceAt = clock.now();
    },
    stop,
  };
}

function stalledError(stallSeconds: number, lastOutTime: number, context: Record<string, unknown>): AppError {
  const at = lastOutTime > 0 ? `its output stuck at ${formatOutTime(lastOutTime)}` : 'no output produced yet';
  return new AppError('encode_stalled', `FFmpeg made no progress for ${stallSeconds} s (${at}) and was killed.`, { context });
}

function timeoutError(
  limits: EncodeWatchdogConfig,
  durationSeconds: number,
  lastOutTime: number,
  context: Record<string, unknown>,
): AppError {
  const limit = encodeTimeoutMs(limits, durationSeconds) / 1000;
  const bound = `${limits.timeoutFactor} × the ${round(durationSeconds)} s source + ${TIMEOUT_GRACE_SECONDS} s`;
  return new AppError(
    'encode_timeout',
    `FFmpeg ran longer than ${round(limit)} s (${bound}) and was killed at ${formatOutTime(lastOutTime)} of output.`,
    { context },
  );
}

/** 83.5 → "00:01:23.50", FFmpeg's own notation. */
export function formatOutTime(seconds: number): string {
  const centis = Math.round(Math.max(0, seconds) * 100);
  const h = Math.floor(centis / 360_000);
  const m = Math.floor((centis % 360_000) / 6000);
  const rest = ((centis % 6000) / 100).toFixed(2).padStart(5, '0');
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${rest}`;
}

function round(value: number): string {
  return String(Math.round(value * 100) / 100);
}
