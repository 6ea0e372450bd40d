import { randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';
import type { Failure, JobStatus, Progress } from '../domain/record.js';
import type { PublishResult } from '../domain/rendition.js';
import type { RequeueOptions, RequeueResult } from '../domain/requeue.js';
import type { Database } from './database.js';
import { requeueJobs } from './job-requeue.js';
import { toJobRow, type JobRow, type Raw } from './job-row.js';
import { completeParams, failParams } from './job-params.js';
import type { JobChanges, JobQuery, RecordRef } from '../domain/source-job.js';
import { searchJobs } from './job-search.js';
import { clearJobOutputs, deleteJob, listJobRefs, trimEndedJobs, updateJob } from './job-edits.js';

export type { JobRow } from './job-row.js';

/** Construction options of {@link JobRepository}. */
export interface JobRepositoryOptions {
  readonly db: Database;
  /** The clock; every timestamp written is `now().toISOString()` (UTC, lexicographically ordered). */
  readonly now: () => Date;
}

/** Fields accepted by {@link JobRepository.create}, already validated by the caller. */
export interface NewJob {
  readonly sourceUrl: string;
  readonly priority: number;
  readonly title: string | null;
  /** Rung names of LADDER, validated; empty or absent = the whole ladder. */
  readonly ladder?: readonly string[];
}

/** Rows still due: pending and past their retry time, or processing with a stale heartbeat. */
const DUE_PENDING = `status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= @now)`;
const DUE_STALE = `status = 'processing' AND (heartbeat_at IS NULL OR heartbeat_at < @stale)`;
const CLEAR_CLAIM = `claimed_by = NULL, claimed_at = NULL, heartbeat_at = NULL`;
const ORDER = `ORDER BY priority ASC, created_at ASC, id ASC`;

const SQL = {
  insert: `INSERT INTO jobs (id, source_url, priority, title, ladder, created_at, updated_at)
    VALUES (@id, @sourceUrl, @priority, @title, @ladder, @now, @now) RETURNING *`,
  get: `SELECT * FROM jobs WHERE id = ?`,
  // Each branch walks jobs_poll_idx in order and stops after one page; only the merge is sorted.
  listDue: `SELECT * FROM (
      SELECT * FROM (SELECT * FROM jobs WHERE ${DUE_PENDING} ${ORDER} LIMIT @limit)
      UNION ALL
      SELECT * FROM (SELECT * FROM jobs WHERE ${DUE_STALE} ${ORDER} LIMIT @limit)
    ) ${ORDER} LIMIT @limit`,
  countDue: `SELECT (SELECT COUNT(*) FROM jobs WHERE ${DUE_PENDING}) + (SELECT COUNT(*) FROM jobs WHERE ${DUE_STALE}) AS n`,
  // A stale reclaim counts one attempt: the previous worker's run is lost.
  claim: `UPDATE jobs SET
      retry_count = CASE WHEN status = 'processing' THEN retry_count + 1 ELSE retry_count END,
      retry_errors = CASE WHEN status = 'processing'
        THEN json_insert(retry_errors, '$[#]', 'lease expired (worker ' || COALESCE(claimed_by, '?') || ')')
        ELSE retry_errors END,
      last_retry_at = CASE WHEN status = 'processing' THEN @now ELSE last_retry_at END,
      status = 'processing', claimed_by = @workerId, claimed_at = @now, heartbeat_at = @now,
      progress = 0, step = 'claimed', updated_at = @now
    WHERE id = @id AND status = @status AND updated_at = @updatedAt AND ((${DUE_PENDING}) OR (${DUE_STALE}))
    RETURNING *`,
  heartbeat: `UPDATE jobs SET progress = @progress, step = @step, heartbeat_at = @now, updated_at = @now
    WHERE id = @id AND claimed_by = @workerId AND status = 'processing'`,
  complete: `UPDATE jobs SET status = 'completed', hls_url = @hlsUrl, poster_url = @posterUrl,
      renditions = @renditions, thumbnail_urls = @thumbnailUrls, storyboard_url = @storyboardUrl,
      preview_url = @previewUrl, metadata_url = @metadataUrl, duration = @duration, width = @width, height = @height,
      processing_ms = @processingMs, output_bytes = @outputBytes, completed_at = @completedAt,
      progress = 100, step = NULL, error = NULL, error_code = NULL, next_attempt_at = NULL, updated_at = @now
    WHERE id = @id AND claimed_by = @workerId AND status = 'processing'`,
  fail: `UPDATE jobs SET status = @status, error = @error, error_code = @errorCode, retry_count = @retryCount,
      retry_errors = @retryErrors, last_retry_at = @lastRetryAt, next_attempt_at = @nextAttemptAt,
      progress = 0, step = NULL, ${CLEAR_CLAIM}, updated_at = @now
    WHERE id = @id AND claimed_by = @workerId AND status = 'processing'`,
  release: `UPDATE jobs SET status = 'pending', next_attempt_at = @now, progress = 0, step = NULL,
      ${CLEAR_CLAIM}, updated_at = @now
    WHERE id = @id AND claimed_by = @workerId AND status = 'processing'`,
  // claimed_by is kept so the caller can tell a running job (to abort) from a queued one.
  cancel: `UPDATE jobs SET status = 'cancelled', next_attempt_at = NULL, step = NULL, updated_at = @now
    WHERE id = @id AND status IN ('pending', 'processing') RETURNING *`,
  retry: `UPDATE jobs SET status = 'pending', priority = 1, retry_count = 0, error = NULL, error_code = NULL,
      last_retry_at = NULL, next_attempt_at = NULL, progress = 0, step = NULL, ${CLEAR_CLAIM}, updated_at = @now
    WHERE id = @id AND status IN ('failed', 'cancelled') RETURNING *`,
  setPoster: `UPDATE jobs SET poster_url = @posterUrl, updated_at = @now WHERE id = @id AND status = 'completed' RETURNING *`,
} as const;

/** The two statements one poll runs (`listDue`), for the bench's EXPLAIN QUERY PLAN. */
export const POLL_STATEMENTS = { listDue: SQL.listDue, countDue: SQL.countDue } as const;

/** The `jobs` table: the local source's records. Every ownership-sensitive write is one conditional UPDATE. */
export class JobRepository {
  private readonly db: Database;
  private readonly now: () => Date;

  constructor({ db, now }: JobRepositoryOptions) {
    this.db = db;
    this.now = now;
  }

  create(job: NewJob): JobRow {
    const id = `j${randomBytes(10).toString('hex')}`;
    const params = { ...job, ladder: JSON.stringify(job.ladder ?? []), id, now: this.stamp() };
    return toJobRow(this.db.prepare(SQL.insert).get(params) as Raw);
  }

  get(id: string): JobRow | null {
    const raw = this.db.prepare(SQL.get).get(id) as Raw | undefined;
    return raw ? toJobRow(raw) : null;
  }

  /** Newest first. */
  list({ status, limit, offset }: { status?: JobStatus; limit: number; offset: number }): { total: number; jobs: JobRow[] } {
    const where = status ? 'WHERE status = @status' : '';
    const params = { status: status ?? null, limit, offset };
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM jobs ${where}`).get(params) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT * FROM jobs ${where} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`)
      .all(params) as Raw[];
    return { total, jobs: rows.map(toJobRow) };
  }

  /** The operator's search: newest first, by status and id/title text, with the counts by status. */
  search(query: JobQuery): { total: number; counts: Record<JobStatus, number>; jobs: JobRow[] } {
    return searchJobs(this.db, query);
  }

  /** One page of due records, priority ASC then oldest first; `total` counts every due record. */
  listDue({ limit, leaseSeconds }: { limit: number; leaseSeconds: number }): { total: number; rows: JobRow[] } {
    const params = { ...this.dueParams(leaseSeconds), limit };
    const total = (this.db.prepare(SQL.countDue).get(params) as { n: number }).n;
    return { total, rows: (this.db.prepare(SQL.listDue).all(params) as Raw[]).map(toJobRow) };
  }

  /**
   * Exclusive claim, atomic across processes: one UPDATE that only matches while the row is still
   * as listed (`expected`) and still due. Null means another worker won or the row changed.
   */
  claim(id: string, workerId: string, expected: { status: JobStatus; updatedAt: string }, leaseSeconds: number): JobRow | null {
    const params = { ...this.dueParams(leaseSeconds), id, workerId, status: expected.status, updatedAt: expected.updatedAt };
    const raw = this.db.prepare(SQL.claim).get(params) as Raw | undefined;
    return raw ? toJobRow(raw) : null;
  }

  /** Renews the lease; throws `cancelled` or `lease_expired` when this worker must stop. */
  heartbeat(id: string, workerId: string, progress: Progress): void {
    const percent = Math.min(100, Math.max(0, Math.round(progress.percent)));
    this.owned(id, workerId, SQL.heartbeat, { progress: percent, step: progress.step });
  }

  complete(id: string, workerId: string, result: PublishResult): void {
    this.owned(id, workerId, SQL.complete, completeParams(result));
  }

  /** Records a failed attempt as decided by the retry policy (pending again, or failed for good). */
  fail(id: string, workerId: string, failure: Failure): void {
    this.owned(id, workerId, SQL.fail, failParams(failure));
  }

  /** Graceful shutdown: back to pending and due now, claim cleared, no attempt counted. */
  release(id: string, workerId: string): void {
    this.owned(id, workerId, SQL.release, {});
  }

  /**
   * Expires the lease of records held by workers known to be gone (a dead process on this host),
   * so the next poll reclaims them at once instead of after LEASE_SECONDS. Reclaiming still counts
   * the interrupted attempt, as for any expired lease.
   */
  expireLeasesOf(isGone: (workerId: string) => boolean): number {
    const workers = this.db
      .prepare("SELECT DISTINCT claimed_by FROM jobs WHERE status = 'processing' AND claimed_by IS NOT NULL")
      .pluck()
      .all() as string[];
    const expire = this.db.prepare(
      "UPDATE jobs SET heartbeat_at = '1970-01-01T00:00:00.000Z' WHERE status = 'processing' AND claimed_by = ?",
    );
    let changed = 0;
    for (const workerId of workers.filter(isGone)) changed += expire.run(workerId).changes;
    return changed;
  }

  /** pending|processing → cancelled; `not_found` or `conflict` otherwise. */
  cancel(id: string): JobRow {
    return this.transition(id, SQL.cancel, 'only pending or processing jobs can be cancelled');
  }

  /** failed|cancelled → pending at priority 1 with a fresh retry budget (retry_errors kept as history). */
  retry(id: string): JobRow {
    return this.transition(id, SQL.retry, 'only failed or cancelled jobs can be retried');
  }

  /** A completed job's poster_url, as the operator picked it; `not_found` or `conflict` otherwise. */
  setPoster(id: string, posterUrl: string): JobRow {
    const raw = this.db.prepare(SQL.setPoster).get({ id, posterUrl, now: this.stamp() }) as Raw | undefined;
    if (raw) return toJobRow(raw);
    return this.refuse(id, 'only a completed job has a poster to pick');
  }

  /** Priority and/or ladder, any status; `not_found` otherwise. */
  update(id: string, changes: JobChanges): JobRow {
    return updateJob(this.db, id, changes, this.stamp()) ?? this.refuse(id, 'cannot change the job');
  }

  /** The published outputs' fields cleared (the ladder is being deleted); refused while processing. */
  clearOutputs(id: string): JobRow {
    return clearJobOutputs(this.db, id, this.stamp()) ?? this.refuse(id, 'a job being processed keeps its outputs');
  }

  /** Deletes the job; refused while processing. */
  remove(id: string): void {
    if (!deleteJob(this.db, id)) this.refuse(id, 'a job being processed cannot be deleted; cancel it first');
  }

  listRefs(): RecordRef[] {
    return listJobRefs(this.db);
  }

  /** JOB_RETENTION_DAYS: ended jobs last written before `before` are deleted (ladders stay). */
  trimEnded(before: Date): number {
    return trimEndedJobs(this.db, before.toISOString());
  }

  /** Disaster recovery: failed and/or completed jobs back to pending, in batches (see requeueJobs). */
  requeue(options: RequeueOptions): RequeueResult {
    return requeueJobs(this.db, this.now, options);
  }

  countByStatus(): Record<JobStatus, number> {
    const counts: Record<JobStatus, number> = { pending: 0, processing: 0, completed: 0, failed: 0, cancelled: 0 };
    const rows = this.db.prepare('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status').all() as { status: JobStatus; n: number }[];
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }

  /** Cheap round trip for health checks. */
  ping(): void {
    this.db.prepare('SELECT 1').get();
  }

  private stamp(): string {
    return this.now().toISOString();
  }

  private dueParams(leaseSeconds: number): { now: string; stale: string } {
    const now = this.now();
    return { now: now.toISOString(), stale: new Date(now.getTime() - leaseSeconds * 1000).toISOString() };
  }

  private owned(id: string, workerId: string, sql: string, params: Record<string, unknown>): void {
    const { changes } = this.db.prepare(sql).run({ ...params, id, workerId, now: this.stamp() });
    if (changes === 0) throw this.ownershipError(id, workerId);
  }

  private ownershipError(id: string, workerId: string): AppError {
    const row = this.get(id);
    if (row?.status === 'cancelled') return new AppError('cancelled', `job ${id} was cancelled`);
    const now = row ? `${row.status}, claimed by ${row.claimedBy ?? 'nobody'}` : 'deleted';
    return new AppError('lease_expired', `job ${id} is no longer held by ${workerId} (now ${now})`, {
      context: { id, workerId },
    });
  }

  private transition(id: string, sql: string, conflictMessage: string): JobRow {
    const raw = this.db.prepare(sql).get({ id, now: this.stamp() }) as Raw | undefined;
    if (raw) return toJobRow(raw);
    return this.refuse(id, conflictMessage);
  }

  private refuse(id: string, conflictMessage: string): never {
    const row = this.get(id);
    if (!row) throw new AppError('not_found', `no job ${id}`);
    throw new AppError('conflict', `${conflictMessage}; job ${id} is ${row.status}`, { context: { id, status: row.status } });
  }
}
