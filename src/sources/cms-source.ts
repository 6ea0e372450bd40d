import type { Failure, Progress, SourceKind, VideoRecord } from '../domain/record.js';
import type { PublishResult } from '../domain/rendition.js';
import type { RequeueOptions, RequeueResult } from '../domain/requeue.js';

export interface SourceHealth {
  readonly kind: SourceKind;
  readonly connected: boolean;
  readonly message?: string;
}

/**
 * One CMS. The poller and the pipeline know only this interface; test/contract/cms-source-contract.ts
 * holds every implementation to it.
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
