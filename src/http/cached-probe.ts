/**
 * A probe answered from a short-lived cache. `/health` is polled by load balancers, PM2 and uptime
 * checks, sometimes hundreds of times a second: each answer must not cost a filesystem round-trip
 * through libuv's thread pool, which FFmpeg's segment writes and the download keep busy.
 */
export interface CachedProbeOptions {
  /** How long a result is reused. A failure is never reused: the next call probes again. */
  readonly ttlMs: number;
  /** Monotonic enough for `ttlMs`; injected so tests control time. */
  readonly now: () => number;
}

/**
 * Wraps `probe` so that calls within `ttlMs` of a result share it, and concurrent calls share one
 * probe in flight (at most one probe runs at a time, whatever the request rate).
 */
export function cachedProbe<T>(probe: () => Promise<T>, { ttlMs, now }: CachedProbeOptions): () => Promise<T> {
  let cached: { value: T; at: number } | null = null;
  let inFlight: Promise<T> | null = null;
  return () => {
    if (cached !== null && now() - cached.at < ttlMs) return Promise.resolve(cached.value);
    // A failure is not stored: the expired entry (if any) makes the next call probe again.
    inFlight ??= probe()
      .then((value) => {
        cached = { value, at: now() };
        return value;
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
}
