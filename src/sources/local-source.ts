import { AppError } from '../errors.js';
import type { JobRow } from '../store/job-repository.js';
import type { JobStore } from '../store/store.js';
import type { CmsSource, SourceHealth } from './cms-source.js';
import type { Failure, Progress, VideoRecord } from '../domain/record.js';
import type { PublishResult } from '../domain/rendition.js';
import type { RequeueOptions, RequeueResult } from '../domain/requeue.js';
import type { JobChanges, JobPage, JobQuery, RecordRef, SourceJob } from '../domain/source-job.js';

/** Construction options of {@link LocalSource}. */
export interface LocalSourceOptions {
  readonly jobs: JobStore;
  /** This daemon's worker id (`hostname:pid` or WORKER_ID): the owner checked by every write after a claim. */
  readonly workerId: string;
  /** A processing record whose heartbeat is older than this may be reclaimed. */
  readonly leaseSeconds: number;
  /** Accepted for uniform wiring; the repository carries the clock that stamps every write. */
  readonly now?: () => Date;
}

/** The embedded default source: the `jobs` table of storage/state.db. */
export class LocalSource implements CmsSource {
  readonly kind = 'local' as const;
  private readonly jobs: JobStore;
  private readonly workerId: string;
  private readonly leaseSeconds: number;

  constructor({ jobs, workerId, leaseSeconds }: LocalSourceOptions) {
    this.jobs = jobs;
    this.workerId = workerId;
    this.leaseSeconds = leaseSeconds;
  }

  async listPending(limit: number): Promise<{ total: number; records: VideoRecord[] }> {
    const { total, rows } = await guard(() => this.jobs.listDue({ limit, leaseSeconds: this.leaseSeconds }));
    return { total, records: rows.map(toVideoRecord) };
  }

  async claim(record: VideoRecord, workerId: string): Promise<VideoRecord | null> {
    const expected = { status: record.status, updatedAt: record.updatedAt };
    const row = await guard(() => this.jobs.claim(record.id, workerId, expected, this.leaseSeconds));
    return row ? toVideoRecord(row) : null;
  }

  async heartbeat(id: string, progress: Progress): Promise<void> {
    await guard(() => this.jobs.heartbeat(id, this.workerId, progress));
  }

  async complete(id: string, result: PublishResult): Promise<void> {
    await guard(() => this.jobs.complete(id, this.workerId, result));
  }

  async fail(id: string, failure: Failure): Promise<void> {
    await guard(() => this.jobs.fail(id, this.workerId, failure));
  }

  async release(id: string): Promise<void> {
    await guard(() => this.jobs.release(id, this.workerId));
  }

  async requeue(options: RequeueOptions): Promise<RequeueResult> {
    return await guard(() => this.jobs.requeue(options));
  }

  async listJobs(query: JobQuery): Promise<JobPage> {
    const { total, counts, jobs } = await guard(() => this.jobs.search(query));
    return { total, counts, jobs: jobs.map(toSourceJob) };
  }

  async getJob(id: string): Promise<SourceJob | null> {
    const row = await guard(() => this.jobs.get(id));
    return row ? toSourceJob(row) : null;
  }

  async retry(id: string): Promise<SourceJob> {
    return toSourceJob(await guard(() => this.jobs.retry(id)));
  }

  async cancel(id: string): Promise<SourceJob> {
    return toSourceJob(await guard(() => this.jobs.cancel(id)));
  }

  async update(id: string, changes: JobChanges): Promise<SourceJob> {
    return toSourceJob(await guard(() => this.jobs.update(id, changes)));
  }

  async clearOutputs(id: string): Promise<SourceJob> {
    return toSourceJob(await guard(() => this.jobs.clearOutputs(id)));
  }

  async listRefs(): Promise<RecordRef[]> {
    return await guard(() => this.jobs.listRefs());
  }

  async remove(id: string): Promise<void> {
    await guard(() => this.jobs.remove(id));
  }

  async health(): Promise<SourceHealth> {
    try {
      await this.jobs.ping();
      return { kind: this.kind, connected: true };
    } catch (err) {
      return { kind: this.kind, connected: false, message: (err as Error).message };
    }
  }
}

/**
 * Store failures (SQLITE_BUSY past the timeout, disk I/O, PostgreSQL unreachable) surface as the
 * retryable `cms_error` of the source contract: the poll retries, a write-back waits for the store.
 */
async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AppError && err.code === 'store_unavailable')
      throw new AppError('cms_error', `local store: ${err.message}`, { cause: err });
    if (err instanceof AppError) throw err;
    throw new AppError('cms_error', `local store: ${(err as Error).message}`, { cause: err });
  }
}

export function toVideoRecord(row: JobRow): VideoRecord {
  return {
    source: 'local',
    id: row.id,
    sourceUrl: row.sourceUrl,
    status: row.status,
    priority: row.priority,
    title: row.title,
    retryCount: row.retryCount,
    retryErrors: row.retryErrors,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    nextAttemptAt: row.nextAttemptAt,
    claimedBy: row.claimedBy,
    heartbeatAt: row.heartbeatAt,
    ladder: row.ladder,
  };
}

export function toSourceJob(row: JobRow): SourceJob {
  return { ...row, source: 'local' };
}
