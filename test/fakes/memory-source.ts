import { AppError } from '../../src/errors.js';
import type { CmsSource, SourceHealth } from '../../src/sources/cms-source.js';
import { MAX_RETRY_ERRORS, type Failure, type Progress, type SourceKind, type VideoRecord } from '../../src/domain/record.js';
import type { RecordFieldValues } from '../../src/domain/record-fields.js';
import type { PublishResult } from '../../src/domain/rendition.js';
import type { RequeueOptions, RequeueResult } from '../../src/domain/requeue.js';
import type { JobChanges, JobPage, JobQuery, RecordRef, SourceJob } from '../../src/domain/source-job.js';
import { MemoryOperations } from './memory-operations.js';

/** A record as the memory "CMS" stores it: every record field, plus the last result and failure written. */
export type MemoryRecord = VideoRecord &
  RecordFieldValues & {
    /** The last result written by complete(), as given. */
    readonly result: PublishResult | null;
    /** The last failure written by fail(), as given. */
    readonly failure: Failure | null;
  };

/** Construction options of {@link MemorySource}. */
export interface MemorySourceOptions {
  /** The worker this source writes as (the daemon's worker id): the owner checked by every write after a claim. */
  readonly workerId?: string;
  /** A processing record whose heartbeat is older than this is listed again and may be reclaimed. */
  readonly leaseSeconds?: number;
  /** The clock that stamps every write and decides what is due. */
  readonly now?: () => Date;
  /** The CMS this memory source stands for (default local). */
  readonly kind?: SourceKind;
}

/** What several workers' sources over the same memory "CMS" share. */
interface Shared {
  readonly records: Map<string, MemoryRecord>;
  /** Every write bumps a record's version; a claim only wins over the version it listed. */
  readonly versions: Map<string, number>;
  /** The version each record object handed out was read at. */
  readonly handedOut: WeakMap<VideoRecord, number>;
}

/**
 * An in-memory CmsSource for poller and pipeline tests; records every call. It honours the whole
 * source contract (test/contract/cms-source-contract.ts): due records in poll order, expired
 * leases listed and reclaimed counting an attempt, exclusive claims, ownership checks on writes.
 */
export class MemorySource implements CmsSource {
  readonly kind: SourceKind;
  readonly calls: string[] = [];
  /** Told of every call, after it is recorded in `calls` (a test waiting for a poll). */
  onCall: ((call: string) => void) | null = null;
  readonly workerId: string;
  connected = true;
  /** Throw from listPending while set (outage). */
  failList: Error | null = null;
  /** Make complete/fail throw (CMS down during write-back). */
  failWrites: Error | null = null;
  /** Throw from listRefs while set (outage during gc or requeue --missing-ladder). */
  failRefs: Error | null = null;
  private readonly leaseSeconds: number;
  private readonly now: () => Date;
  private readonly shared: Shared;
  private readonly ops: MemoryOperations;

  constructor(
    { workerId = 'test:1', leaseSeconds = 300, now = () => new Date(), kind = 'local' }: MemorySourceOptions = {},
    shared?: Shared,
  ) {
    this.kind = kind;
    this.workerId = workerId;
    this.leaseSeconds = leaseSeconds;
    this.now = now;
    this.shared = shared ?? { records: new Map(), versions: new Map(), handedOut: new WeakMap() };
    this.ops = new MemoryOperations({
      all: () => [...this.shared.records.values()],
      find: (id) => this.shared.records.get(id),
      change: (current, changes) => this.change(current, changes),
    });
  }

  /** The records, by id (shared by every worker of this store). */
  get records(): ReadonlyMap<string, MemoryRecord> {
    return this.shared.records;
  }

  /** Another worker's source over the same records (a second daemon on the same CMS). */
  asWorker(workerId: string): MemorySource {
    return new MemorySource({ workerId, leaseSeconds: this.leaseSeconds, now: this.now, kind: this.kind }, this.shared);
  }

  /** Creates a record as a CMS editor would (pending, defaults for every field not given). */
  add(id: string, fields: Partial<MemoryRecord> = {}): VideoRecord {
    const now = this.stamp();
    const record: MemoryRecord = {
      source: this.kind,
      id,
      sourceUrl: `http://example.test/${id}.mp4`,
      status: 'pending',
      priority: 5,
      title: null,
      retryCount: 0,
      retryErrors: [],
      lastRetryAt: null,
      nextAttemptAt: null,
      error: null,
      errorCode: null,
      claimedBy: null,
      claimedAt: null,
      heartbeatAt: null,
      progress: 0,
      step: null,
      hlsUrl: null,
      posterUrl: null,
      renditions: null,
      thumbnailUrls: [],
      storyboardUrl: null,
      previewUrl: null,
      metadataUrl: null,
      ladder: [],
      claimToken: null,
      sourceFileId: null,
      sourceBucketId: null,
      duration: null,
      width: null,
      height: null,
      processingMs: null,
      outputBytes: null,
      completedAt: null,
      createdAt: now,
      updatedAt: now,
      result: null,
      failure: null,
      ...fields,
    };
    this.write(record);
    return this.handOut(record);
  }

  get(id: string): MemoryRecord {
    const record = this.shared.records.get(id);
    if (!record) throw new Error(`no record ${id}`);
    return record;
  }

  // The operator's side (pending|processing → cancelled and the rest): the worker learns of a cancel at its next write.
  async listJobs(query: JobQuery): Promise<JobPage> {
    return this.ops.listJobs(query);
  }
  async getJob(id: string): Promise<SourceJob | null> {
    return this.ops.getJob(id);
  }
  async retry(id: string): Promise<SourceJob> {
    return this.ops.retry(id);
  }
  async cancel(id: string): Promise<SourceJob> {
    return this.ops.cancel(id);
  }
  async update(id: string, changes: JobChanges): Promise<SourceJob> {
    return this.ops.update(id, changes);
  }
  async clearOutputs(id: string): Promise<SourceJob> {
    return this.ops.clearOutputs(id);
  }
  async listRefs(): Promise<RecordRef[]> {
    if (this.failRefs) throw this.failRefs;
    return this.ops.listRefs();
  }
  async requeue(options: RequeueOptions): Promise<RequeueResult> {
    return this.ops.requeue(options);
  }

  async listPending(limit: number): Promise<{ total: number; records: VideoRecord[] }> {
    this.logCall('listPending');
    if (this.failList) throw this.failList;
    const due = [...this.shared.records.values()]
      .filter((r) => this.isDue(r))
      .sort((a, b) => a.priority - b.priority || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    return { total: due.length, records: due.slice(0, limit).map((r) => this.handOut(r)) };
  }

  async claim(record: VideoRecord, workerId: string): Promise<VideoRecord | null> {
    this.logCall(`claim:${record.id}`);
    const current = this.shared.records.get(record.id);
    if (!current || !this.isDue(current)) return null;
    // Exclusive: only a claim made from the record's current version wins (like a compare-and-set).
    const listedAt = this.shared.handedOut.get(record);
    const unchanged =
      listedAt !== undefined
        ? listedAt === this.shared.versions.get(record.id)
        : current.status === record.status && current.updatedAt === record.updatedAt;
    if (!unchanged) return null;
    const now = this.stamp();
    const reclaim: Partial<MemoryRecord> =
      current.status === 'processing'
        ? {
            retryCount: current.retryCount + 1,
            retryErrors: [...current.retryErrors, `lease expired (worker ${current.claimedBy ?? '?'})`].slice(-MAX_RETRY_ERRORS),
            lastRetryAt: now,
          }
        : {};
    const claimed = this.change(current, {
      ...reclaim,
      status: 'processing',
      claimedBy: workerId,
      claimedAt: now,
      heartbeatAt: now,
      progress: 0,
      step: 'claimed',
    });
    return this.handOut(claimed);
  }

  async heartbeat(id: string, progress: Progress): Promise<void> {
    this.logCall(`heartbeat:${id}:${progress.step}`);
    const current = this.owned(id);
    this.change(current, {
      progress: Math.min(100, Math.max(0, Math.round(progress.percent))),
      step: progress.step,
      heartbeatAt: this.stamp(),
    });
  }

  async complete(id: string, result: PublishResult): Promise<void> {
    this.logCall(`complete:${id}`);
    if (this.failWrites) throw this.failWrites;
    const current = this.owned(id);
    this.change(current, {
      status: 'completed',
      result,
      hlsUrl: result.hlsUrl,
      posterUrl: result.posterUrl,
      renditions: result.renditions,
      thumbnailUrls: result.thumbnailUrls,
      storyboardUrl: result.storyboardUrl,
      previewUrl: result.previewUrl,
      metadataUrl: result.metadataUrl,
      duration: result.duration,
      width: result.width,
      height: result.height,
      processingMs: Math.round(result.processingMs),
      outputBytes: result.outputBytes,
      completedAt: new Date(result.completedAt).toISOString(),
      progress: 100,
      step: null,
      error: null,
      errorCode: null,
      nextAttemptAt: null,
    });
  }

  async fail(id: string, failure: Failure): Promise<void> {
    this.logCall(`fail:${id}:${failure.errorCode}:${failure.status}`);
    if (this.failWrites) throw this.failWrites;
    const current = this.owned(id);
    this.change(current, {
      status: failure.status,
      failure,
      error: failure.error,
      errorCode: failure.errorCode,
      retryCount: failure.retryCount,
      retryErrors: failure.retryErrors,
      lastRetryAt: new Date(failure.lastRetryAt).toISOString(),
      nextAttemptAt: failure.nextAttemptAt === null ? null : new Date(failure.nextAttemptAt).toISOString(),
      progress: 0,
      step: null,
      claimedBy: null,
      claimedAt: null,
      heartbeatAt: null,
    });
  }

  async release(id: string): Promise<void> {
    this.logCall(`release:${id}`);
    const current = this.owned(id);
    this.change(current, {
      status: 'pending',
      nextAttemptAt: this.stamp(),
      progress: 0,
      step: null,
      claimedBy: null,
      claimedAt: null,
      heartbeatAt: null,
    });
  }

  async health(): Promise<SourceHealth> {
    return { kind: this.kind, connected: this.connected };
  }

  private logCall(call: string): void {
    this.calls.push(call);
    this.onCall?.(call);
  }

  private isDue(r: MemoryRecord): boolean {
    const now = this.now();
    if (r.status === 'pending') return r.nextAttemptAt === null || r.nextAttemptAt <= now.toISOString();
    const staleBefore = new Date(now.getTime() - this.leaseSeconds * 1000).toISOString();
    return r.status === 'processing' && (r.heartbeatAt === null || r.heartbeatAt < staleBefore);
  }

  /** The record, if this worker still holds it; throws `cancelled` or `lease_expired` otherwise. */
  private owned(id: string): MemoryRecord {
    const current = this.shared.records.get(id);
    if (current?.status === 'cancelled') throw new AppError('cancelled', `record ${id} was cancelled`);
    if (current?.status !== 'processing' || current.claimedBy !== this.workerId) {
      const now = current ? `${current.status}, claimed by ${current.claimedBy ?? 'nobody'}` : 'deleted';
      throw new AppError('lease_expired', `record ${id} is no longer held by ${this.workerId} (now ${now})`);
    }
    return current;
  }

  private change(current: MemoryRecord, changes: Partial<MemoryRecord>): MemoryRecord {
    const next: MemoryRecord = { ...current, ...changes, updatedAt: this.stamp() };
    this.write(next);
    return next;
  }

  private write(record: MemoryRecord): void {
    this.shared.records.set(record.id, record);
    this.shared.versions.set(record.id, (this.shared.versions.get(record.id) ?? 0) + 1);
  }

  /** A copy for the caller, remembered with the version it was read at. */
  private handOut(record: MemoryRecord): VideoRecord {
    const copy: MemoryRecord = { ...record };
    this.shared.handedOut.set(copy, this.shared.versions.get(record.id) ?? 0);
    return copy;
  }

  private stamp(): string {
    return this.now().toISOString();
  }
}
