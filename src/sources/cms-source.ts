import type { SourceKind } from '../config/config.js';
import type { ErrorCode } from '../errors.js';

export type { SourceKind } from '../config/config.js';

export const JOB_STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** What a worker is doing with a claimed record, persisted as `step`. */
export type JobStep = 'claimed' | 'downloading' | 'probing' | 'transcoding' | 'verifying' | 'publishing' | 'updating';

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
}

export interface Progress {
  /** 0-100 over the whole job. */
  readonly percent: number;
  readonly step: JobStep;
  /** Rung being produced, when relevant. */
  readonly rung?: string;
  readonly etaSeconds?: number;
}

export interface Rendition {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** Peak segment bit rate, b/s (the master's BANDWIDTH). */
  readonly bandwidth: number;
  readonly averageBandwidth: number;
  readonly codecs: string;
  readonly playlistUrl: string;
}

export interface PublishResult {
  readonly hlsUrl: string;
  readonly posterUrl: string;
  readonly renditions: readonly Rendition[];
  /** Of the source, seconds. */
  readonly duration: number;
  readonly width: number;
  readonly height: number;
  readonly processingMs: number;
  readonly outputBytes: number;
  /** ISO-8601. */
  readonly completedAt: string;
}

/**
 * A failed attempt, already decided by the retry policy: `status` is `pending` with the
 * `nextAttemptAt` of the next try, or `failed` for good.
 */
export interface Failure {
  readonly status: 'pending' | 'failed';
  readonly error: string;
  readonly errorCode: ErrorCode;
  readonly retryCount: number;
  readonly retryErrors: readonly string[];
  readonly lastRetryAt: string;
  readonly nextAttemptAt: string | null;
}

/** Which finished records `requeue` sends back to pending: `all` = failed and completed (never cancelled). */
export const REQUEUE_SCOPES = ['failed', 'completed', 'all'] as const;
export type RequeueScope = (typeof REQUEUE_SCOPES)[number];

/** Options of {@link CmsSource.requeue}. */
export interface RequeueOptions {
  readonly scope: RequeueScope;
  /** Priority the records get (1 urgent … 10 low). */
  readonly priority: number;
  /** Records changed per transaction (or CMS request), so a running daemon is never blocked for long. */
  readonly batchSize: number;
  /** Count only; change nothing. */
  readonly dryRun: boolean;
  /** Called after each batch with the running total (progress for large stores). */
  readonly onBatch?: (requeued: number) => void;
}

/** What a requeue found and did. */
export interface RequeueResult {
  /** Matching records by status before the run. */
  readonly matched: { readonly failed: number; readonly completed: number };
  /** Records now pending again (0 on a dry run). */
  readonly requeued: number;
  readonly batches: number;
  /** Records being processed right now: never touched. */
  readonly processing: number;
}

export interface SourceHealth {
  readonly kind: SourceKind;
  readonly connected: boolean;
  readonly message?: string;
}

/**
 * One CMS. The poller and the pipeline know only this interface.
 * Every method throws an AppError (`cms_error`, retryable) when the CMS cannot be reached.
 */
export interface CmsSource {
  readonly kind: SourceKind;
  /** Records due now (pending with next_attempt_at passed, or processing with an expired lease), priority ASC then oldest first. */
  listPending(limit: number): Promise<{ total: number; records: VideoRecord[] }>;
  /** Exclusive claim; null means another worker won (not an error). */
  claim(record: VideoRecord, workerId: string): Promise<VideoRecord | null>;
  /**
   * Persists progress and renews the lease. Throws AppError `cancelled` when the record was
   * cancelled, or `lease_expired` when another worker holds it now: the caller must stop.
   */
  heartbeat(id: string, progress: Progress): Promise<void>;
  complete(id: string, result: PublishResult): Promise<void>;
  fail(id: string, failure: Failure): Promise<void>;
  /** Graceful shutdown: back to pending, no attempt counted. */
  release(id: string): Promise<void>;
  health(): Promise<SourceHealth>;
  /**
   * Disaster recovery (`video-compressor requeue`): failed and/or completed records back to
   * pending, outputs and errors cleared, a fresh retry budget. Never touches a record in
   * `processing`. Optional: a source without it cannot be requeued from the CLI yet.
   */
  requeue?(options: RequeueOptions): Promise<RequeueResult>;
}

/** `<source>-<record id>`: the directory name under storage/temp and storage/hls. */
export function jobKey(record: Pick<VideoRecord, 'source' | 'id'>): string {
  return `${record.source}-${record.id}`;
}
