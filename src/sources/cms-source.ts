import type { Failure, Progress, SourceKind, VideoRecord } from '../domain/record.js';
import type { PublishResult } from '../domain/rendition.js';
import type { RequeueOptions, RequeueResult } from '../domain/requeue.js';
import type { JobChanges, JobPage, JobQuery, RecordRef, SourceJob } from '../domain/source-job.js';

export interface SourceHealth {
  readonly kind: SourceKind;
  readonly connected: boolean;
  readonly message?: string;
}

/**
 * One CMS. The poller and the pipeline know only this interface; test/contract/ holds every
 * implementation to it (cms-source-contract.ts for the worker's side, operations-contract.ts for
 * the operator's).
 * Every method throws an AppError (`cms_error`, retryable) when the CMS cannot be reached.
 */
export interface CmsSource {
  readonly kind: SourceKind;

  // The worker's side.
  /** Records due now (pending with next_attempt_at passed, or processing with an expired lease), priority ASC then oldest first. */
  listPending(limit: number): Promise<{ total: number; records: VideoRecord[] }>;
  /** Exclusive claim; null means another worker won (not an error). */
  claim(record: VideoRecord, workerId: string): Promise<VideoRecord | null>;
  /**
   * Throws AppError `cancelled` or `lease_expired` unless the CMS still gives the record to this
   * worker. Called right before publishing, where a second worker would replace the ladder: a
   * source whose CMS can grant one claim twice (Appwrite up to 1.9.0) checks here; a source whose
   * claim is one atomic write needs nothing, and may leave it out.
   */
  confirmClaim?(id: string): Promise<void>;
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
  /** What an operator should know about the CMS as deployed (an Appwrite too old for locked claims), for /health. */
  warnings?(): readonly string[];

  // The operator's side. Each throws `not_found` for an unknown id and `conflict` (with the
  // record's status) when the record is not in a state that allows the action.
  /** Records the source tracks (those with a status), newest first. */
  listJobs(query: JobQuery): Promise<JobPage>;
  getJob(id: string): Promise<SourceJob | null>;
  /** failed|cancelled → pending now, priority 1, retry budget and schedule reset; retry_errors kept as history. */
  retry(id: string): Promise<SourceJob>;
  /**
   * pending|processing → cancelled. A running record keeps `claimed_by`: its worker learns at its
   * next heartbeat (or at once, when the caller is that worker's daemon) and stops.
   */
  cancel(id: string): Promise<SourceJob>;
  /** Priority and per-job ladder; any status (a ladder change applies to the next run). */
  update(id: string, changes: JobChanges): Promise<SourceJob>;
  /** The published outputs' fields cleared (the ladder is being deleted); `conflict` while processing. */
  clearOutputs(id: string): Promise<SourceJob>;
  /** Every record the source tracks, for clean-up (`gc`, `requeue --missing-ladder`). */
  listRefs(): Promise<RecordRef[]>;
  /**
   * Disaster recovery (`video-compressor requeue`): failed and/or completed records back to
   * pending, outputs and errors cleared, a fresh retry budget. Never touches a record in
   * `processing`.
   */
  requeue(options: RequeueOptions): Promise<RequeueResult>;
  /** Deletes the record itself: only sources whose records the daemon owns (local). */
  remove?(id: string): Promise<void>;
}
