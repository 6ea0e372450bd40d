import type { SourceStatus } from '../domain/worker.js';

/**
 * The sources' pending counts as of now: the local store answers at once, the other sources as of
 * their last poll. The daily report and the dashboard count the queue this one way.
 */
export function withLocalPending(sources: readonly SourceStatus[], localPending: number | null): SourceStatus[] {
  return sources.map((source) => (source.kind === 'local' && localPending !== null ? { ...source, pending: localPending } : source));
}

/** Pending records of every source together. */
export function totalPending(sources: readonly SourceStatus[]): number {
  return sources.reduce((sum, source) => sum + source.pending, 0);
}
