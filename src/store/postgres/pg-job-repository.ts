import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { AppError } from '../../errors.js';
import type { Failure, JobStatus, Progress } from '../../domain/record.js';
import type { PublishResult } from '../../domain/rendition.js';
import { completeParams, failParams } from '../job-params.js';
import type { RequeueOptions, RequeueResult } from '../../domain/requeue.js';
import type { JobChanges, JobQuery, RecordRef } from '../../domain/source-job.js';
import type { NewJob } from '../job-repository.js';
import { toJobRow, type JobRow } from '../job-row.js';
import type { JobStore } from '../store.js';
import { row, rows, run, type Params, type PgOptions } from './pg-db.js';
import { clearJobOutputs, deleteJob, listJobRefs, searchJobs, trimEndedJobs, updateJob } from './pg-job-edits.js';
import { requeueJobs } from './pg-job-requeue.js';
import { JOB_SQL as SQL } from './pg-job-sql.js';

/**
 * The `jobs` table on PostgreSQL, with the semantics of src/store/job-repository.ts: every
 * ownership-sensitive write is one conditional UPDATE, and every refusal is the same AppError.
 */
export class PgJobRepository implements JobStore {
  private readonly pool: pg.Pool;
  private readonly now: () => Date;

  constructor({ pool, now }: PgOptions) {
    this.pool = pool;
    this.now = now;
  }

  async create(job: NewJob): Promise<JobRow> {
    const id = `j${randomBytes(10).toString('hex')}`;
    const params = { ...job, ladder: JSON.stringify(job.ladder ?? []), id, now: this.stamp() };
    return toJobRow((await row(this.pool, SQL.insert, params))!);
  }

  async get(id: string): Promise<JobRow | null> {
    const raw = await row(this.pool, SQL.get, { id });
    return raw ? toJobRow(raw) : null;
  }

  /** Newest first. */
  async list({ status, limit, offset }: { status?: JobStatus; limit: number; offset: number }): Promise<{ total: number; jobs: JobRow[] }> {
    const where = status ? 'WHERE status = @status' : '';
    const params = { status: status ?? null, limit, offset };
    const total = Number((await row(this.pool, `SELECT COUNT(*) AS n FROM jobs ${where}`, params))?.n);
    const page = await rows(this.pool, `SELECT * FROM jobs ${where} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`, params);
    return { total, jobs: page.map(toJobRow) };
  }

  /** The operator's search: newest first, by status and id/title text, with the counts by status. */
  async search(query: JobQuery): Promise<{ total: number; counts: Record<JobStatus, number>; jobs: JobRow[] }> {
    return searchJobs(this.pool, query);
  }

  /** One page of due records, priority ASC then oldest first; `total` counts every due record. */
  async listDue({ limit, leaseSeconds }: { limit: number; leaseSeconds: number }): Promise<{ total: number; rows: JobRow[] }> {
    const params = { ...this.dueParams(leaseSeconds), limit };
    const total = Number((await row(this.pool, SQL.countDue, params))?.n);
    return { total, rows: (await rows(this.pool, SQL.listDue, params)).map(toJobRow) };
  }

  /**
   * Exclusive claim, atomic across processes: one UPDATE that only matches while the row is still
   * as listed (`expected`) and still due. Null means another worker won or the row changed.
   */
  async claim(
    id: string,
    workerId: string,
    expected: { status: JobStatus; updatedAt: string },
    leaseSeconds: number,
  ): Promise<JobRow | null> {
    // A time that does not parse cannot equal the row's, as in SQLite; PostgreSQL would refuse the cast.
    if (Number.isNaN(Date.parse(expected.updatedAt))) return null;
    const params = { ...this.dueParams(leaseSeconds), id, workerId, status: expected.status, updatedAt: expected.updatedAt };
    const raw = await row(this.pool, SQL.claim, params);
    return raw ? toJobRow(raw) : null;
  }

  /** Renews the lease; throws `cancelled` or `lease_expired` when this worker must stop. */
  async heartbeat(id: string, workerId: string, progress: Progress): Promise<void> {
    const percent = Math.min(100, Math.max(0, Math.round(progress.percent)));
    await this.owned(id, workerId, SQL.heartbeat, { progress: percent, step: progress.step });
  }

  async complete(id: string, workerId: string, result: PublishResult): Promise<void> {
    await this.owned(id, workerId, SQL.complete, completeParams(result));
  }

  /** Records a failed attempt as decided by the retry policy (pending again, or failed for good). */
  async fail(id: string, workerId: string, failure: Failure): Promise<void> {
    await this.owned(id, workerId, SQL.fail, failParams(failure));
  }

  /** Graceful shutdown: back to pending and due now, claim cleared, no attempt counted. */
  async release(id: string, workerId: string): Promise<void> {
    await this.owned(id, workerId, SQL.release, {});
  }

  /** Expires the leases of workers known to be gone, so the next poll reclaims their jobs at once (an attempt counted). */
  async expireLeasesOf(isGone: (workerId: string) => boolean): Promise<number> {
    const workers = (await rows(this.pool, SQL.processingWorkers)).map((r) => String(r.claimed_by));
    let changed = 0;
    for (const workerId of workers.filter(isGone)) changed += await run(this.pool, SQL.expireLease, { workerId });
    return changed;
  }

  /** pending|processing → cancelled; `not_found` or `conflict` otherwise. */
  async cancel(id: string): Promise<JobRow> {
    return this.transition(id, SQL.cancel, 'only pending or processing jobs can be cancelled');
  }

  /** failed|cancelled → pending at priority 1 with a fresh retry budget (retry_errors kept as history). */
  async retry(id: string): Promise<JobRow> {
    return this.transition(id, SQL.retry, 'only failed or cancelled jobs can be retried');
  }

  /** A completed job's poster_url, as the operator picked it; `not_found` or `conflict` otherwise. */
  async setPoster(id: string, posterUrl: string): Promise<JobRow> {
    const raw = await row(this.pool, SQL.setPoster, { id, posterUrl, now: this.stamp() });
    if (raw) return toJobRow(raw);
    return this.refuse(id, 'only a completed job has a poster to pick');
  }

  /** Priority and/or ladder, any status; `not_found` otherwise. */
  async update(id: string, changes: JobChanges): Promise<JobRow> {
    return (await updateJob(this.pool, id, changes, this.stamp())) ?? this.refuse(id, 'cannot change the job');
  }

  /** The published outputs' fields cleared (the ladder is being deleted); refused while processing. */
  async clearOutputs(id: string): Promise<JobRow> {
    return (await clearJobOutputs(this.pool, id, this.stamp())) ?? this.refuse(id, 'a job being processed keeps its outputs');
  }

  /** Deletes the job; refused while processing. */
  async remove(id: string): Promise<void> {
    if (!(await deleteJob(this.pool, id))) await this.refuse(id, 'a job being processed cannot be deleted; cancel it first');
  }

  async listRefs(): Promise<RecordRef[]> {
    return listJobRefs(this.pool);
  }

  /** JOB_RETENTION_DAYS: ended jobs last written before `before` are deleted (ladders stay). */
  async trimEnded(before: Date): Promise<number> {
    return trimEndedJobs(this.pool, before.toISOString());
  }

  /** Disaster recovery: failed and/or completed jobs back to pending, in batches (see requeueJobs). */
  async requeue(options: RequeueOptions): Promise<RequeueResult> {
    return requeueJobs(this.pool, this.now, options);
  }

  async countByStatus(): Promise<Record<JobStatus, number>> {
    const counts: Record<JobStatus, number> = { pending: 0, processing: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const r of await rows(this.pool, SQL.countByStatus)) counts[r.status as JobStatus] = Number(r.n);
    return counts;
  }

  /** Cheap round trip for health checks. */
  async ping(): Promise<void> {
    await run(this.pool, 'SELECT 1');
  }

  private stamp(): string {
    return this.now().toISOString();
  }

  private dueParams(leaseSeconds: number): { now: string; stale: string } {
    const now = this.now();
    return { now: now.toISOString(), stale: new Date(now.getTime() - leaseSeconds * 1000).toISOString() };
  }

  private async owned(id: string, workerId: string, sql: string, params: Params): Promise<void> {
    const changes = await run(this.pool, sql, { ...params, id, workerId, now: this.stamp() });
    if (changes === 0) throw await this.ownershipError(id, workerId);
  }

  private async ownershipError(id: string, workerId: string): Promise<AppError> {
    const current = await this.get(id);
    if (current?.status === 'cancelled') return new AppError('cancelled', `job ${id} was cancelled`);
    const now = current ? `${current.status}, claimed by ${current.claimedBy ?? 'nobody'}` : 'deleted';
    return new AppError('lease_expired', `job ${id} is no longer held by ${workerId} (now ${now})`, {
      context: { id, workerId },
    });
  }

  private async transition(id: string, sql: string, conflictMessage: string): Promise<JobRow> {
    const raw = await row(this.pool, sql, { id, now: this.stamp() });
    if (raw) return toJobRow(raw);
    return this.refuse(id, conflictMessage);
  }

  private async refuse(id: string, conflictMessage: string): Promise<never> {
    const current = await this.get(id);
    if (!current) throw new AppError('not_found', `no job ${id}`);
    throw new AppError('conflict', `${conflictMessage}; job ${id} is ${current.status}`, { context: { id, status: current.status } });
  }
}
