import { setTimeout as delay } from 'node:timers/promises';

/**
 * The pipeline's waits: the heartbeat's interval and the pauses between write-back retries. Real
 * timers in the daemon; a test passes a manual clock and decides when time passes.
 */
export interface PipelineTimers {
  /** Calls `fn` every `ms` until the returned function is called; never keeps the process alive. */
  readonly every: (ms: number, fn: () => void) => () => void;
  /** Resolves after `ms`, or at once when `signal` is aborted (never rejects). */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

export const realTimers: PipelineTimers = {
  every: (ms, fn) => {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
  sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
};
