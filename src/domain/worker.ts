import type { JobStep, SourceKind } from './record.js';

/** The worker's states, shown on /health and the dashboard. */
export const WORKER_STATES = ['INITIALIZING', 'IDLE', 'CHECKING', 'PROCESSING', 'UPDATING', 'ERROR', 'SHUTDOWN'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

/** A job this daemon is working on right now. */
export interface ActiveJob {
  readonly key: string;
  readonly source: SourceKind;
  readonly recordId: string;
  readonly title: string | null;
  readonly step: JobStep;
  readonly percent: number;
  readonly rung: string | null;
  readonly etaSeconds: number | null;
  /** ISO-8601. */
  readonly startedAt: string;
}

export interface SourceStatus {
  readonly kind: SourceKind;
  readonly connected: boolean;
  /** Due records at the last poll. */
  readonly pending: number;
  readonly lastPollAt: string | null;
  readonly lastError: string | null;
  /** The error catalog's code of lastError (`cms_error` unreachable, `cms_unauthorized` credentials refused). */
  readonly lastErrorCode: string | null;
}

export interface WorkerSnapshot {
  readonly state: WorkerState;
  readonly workerId: string;
  /** ISO-8601 of the daemon's start. */
  readonly startedAt: string;
  readonly lastTickAt: string | null;
  readonly lastError: string | null;
  readonly active: readonly ActiveJob[];
  readonly sources: readonly SourceStatus[];
}

/** What the HTTP layer and the alerts may ask of the worker. Implemented by the Poller. */
export interface WorkerControl {
  snapshot(): WorkerSnapshot;
  /** Run a poll tick now (or right after the one in progress). */
  pollNow(): void;
  /** A short, debounced tick: used right after a job is submitted (`delayMs`: how long to gather a burst). */
  pollSoon(delayMs?: number): void;
  /** Abort the job with this key if this daemon runs it; true if it did. */
  abortJob(key: string, reason: 'cancelled'): boolean;
}

/** A worker id names the process holding a claim: `host:pid` unless WORKER_ID pins one. */
export function workerIdOf(host: string, pid: number): string {
  return `${host}:${pid}`;
}

/** The host and pid of a `host:pid` worker id; null for a pinned id without a pid. */
export function parseWorkerId(workerId: string): { host: string; pid: number } | null {
  const sep = workerId.lastIndexOf(':');
  const pid = Number(workerId.slice(sep + 1));
  if (sep <= 0 || !Number.isInteger(pid) || pid <= 0) return null;
  return { host: workerId.slice(0, sep), pid };
}
