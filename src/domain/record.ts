/**
 * The video record every source is read into, whatever the CMS, and the values it moves through.
 * This folder imports nothing of ours: every other layer depends on it, never the reverse.
 */

/** The CMS adapters (`SOURCES`). */
export const SOURCE_KINDS = ['local', 'appwrite', 'wordpress'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export function isSourceKind(value: string): value is SourceKind {
  return (SOURCE_KINDS as readonly string[]).includes(value);
}

export const JOB_STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export function isJobStatus(value: string): value is JobStatus {
  return (JOB_STATUSES as readonly string[]).includes(value);
}

/** What a worker is doing with a claimed record, persisted as `step`. */
export const JOB_STEPS = ['claimed', 'downloading', 'probing', 'transcoding', 'verifying', 'publishing', 'updating'] as const;
export type JobStep = (typeof JOB_STEPS)[number];

/** Priority of a new record, and the range every source accepts (1 urgent … 10 low). */
export const DEFAULT_PRIORITY = 5;
export const URGENT_PRIORITY = 1;
export const MIN_PRIORITY = 1;
export const MAX_PRIORITY = 10;

/** `retry_errors` keeps the last this many messages (one per failed attempt). */
export const MAX_RETRY_ERRORS = 20;

/** Record ids are path components of storage/hls/<source>-<id>/: validated against this at every edge. */
export const RECORD_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export function isValidRecordId(id: string): boolean {
  return RECORD_ID_PATTERN.test(id) && id !== '.' && id !== '..';
}

/** A pending (or reclaimable) video record, in our own shape whatever the CMS. */
export interface VideoRecord {
  readonly source: SourceKind;
  readonly id: string;
  readonly sourceUrl: string;
  readonly status: JobStatus;
  readonly priority: number;
  readonly title: string | null;
  readonly retryCount: number;
  readonly retryErrors: readonly string[];
  /** ISO-8601. */
  readonly createdAt: string;
  /** ISO-8601; the optimistic-lock token for sources that need one (Appwrite). */
  readonly updatedAt: string;
  readonly nextAttemptAt: string | null;
  readonly claimedBy: string | null;
  readonly heartbeatAt: string | null;
  /** Names of the LADDER rungs to make; empty = every rung (the `ladder` field). */
  readonly ladder: readonly string[];
  /** What fetching `sourceUrl` needs beyond the URL (an Appwrite Storage file); absent for a plain URL. */
  readonly sourceAccess?: SourceAccess;
}

/**
 * How to fetch a source kept by the CMS itself (an Appwrite Storage file): the request headers
 * that authorise it, and the host the operator configured for that CMS.
 */
export interface SourceAccess {
  /**
   * Sent with the request to `sourceUrl`'s own origin only, never across a redirect to another one.
   * They carry an API key: sources define them non-enumerable, so a logged or serialised record
   * leaves them out.
   */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The CMS endpoint's host (configured by the operator, hence trusted): the private-address
   * policy does not apply to it, only to any other host a redirect leads to.
   */
  readonly trustedHost: string | null;
  /** Why the source cannot be fetched at all (a file without a bucket): the download fails for good with this. */
  readonly problem: string | null;
}

export interface Progress {
  /** 0-100 over the whole job. */
  readonly percent: number;
  readonly step: JobStep;
  /** Rung being produced, when relevant. */
  readonly rung?: string;
  readonly etaSeconds?: number;
}

/**
 * A failed attempt, already decided by the retry policy: `status` is `pending` with the
 * `nextAttemptAt` of the next try, or `failed` for good. `Code` is the error catalog's code type
 * (src/errors.ts), which this folder may not import.
 */
export interface Failure<Code extends string = string> {
  readonly status: 'pending' | 'failed';
  readonly error: string;
  readonly errorCode: Code;
  readonly retryCount: number;
  readonly retryErrors: readonly string[];
  readonly lastRetryAt: string;
  readonly nextAttemptAt: string | null;
}
