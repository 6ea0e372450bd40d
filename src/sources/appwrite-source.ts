import { Query } from 'node-appwrite';
import type { AppwriteConfig } from '../config/config.js';
import type { RecordField } from '../domain/record-fields.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { isNotFound } from './appwrite-client.js';
import { AppwriteClaims } from './appwrite-claims.js';
import type { AppwriteRow, FieldMap } from './appwrite-fields.js';
import { AppwriteOperations } from './appwrite-operations.js';
import { deleteSourceFile } from './appwrite-storage.js';
import { AppwriteTable } from './appwrite-table.js';
import { ServerVersionCheck } from './appwrite-version.js';
import { completeValues, failValues, heartbeatValues, releaseValues, type FieldValues } from './record-values.js';
import type { CmsSource, SourceHealth } from './cms-source.js';
import type { Failure, Progress, VideoRecord } from '../domain/record.js';
import type { RequeueOptions, RequeueResult } from '../domain/requeue.js';
import type { JobChanges, JobPage, JobQuery, RecordRef, SourceJob } from '../domain/source-job.js';
import type { PublishResult } from '../domain/rendition.js';

/** Construction options of {@link AppwriteSource}. */
export interface AppwriteSourceOptions {
  readonly config: AppwriteConfig;
  /** This daemon's worker id: the owner checked before every write after a claim. */
  readonly workerId: string;
  /** A processing row whose heartbeat is older than this may be reclaimed. */
  readonly leaseSeconds: number;
  readonly log: Logger;
  readonly now?: () => Date;
}

/**
 * Videos in an Appwrite table (TablesDB). Several daemons on several servers may share the table:
 * a claim, and every write after it, is an `updateRow` conditioned on the `$updatedAt` read
 * (X-Appwrite-Timestamp), so a worker that lost its lease never overwrites the new owner. Servers
 * up to 1.9.0 may grant one claim twice: the claim token (AppwriteClaims), checked again before
 * publishing and at every later write, keeps the work exclusive there too. The operator's actions
 * (AppwriteOperations) write the same way.
 */
export class AppwriteSource implements CmsSource {
  readonly kind = 'appwrite' as const;
  private readonly config: AppwriteConfig;
  private readonly workerId: string;
  private readonly leaseSeconds: number;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly table: AppwriteTable;
  private readonly fields: FieldMap;
  private readonly operations: AppwriteOperations;
  private readonly claims: AppwriteClaims;
  private readonly version: ServerVersionCheck;

  constructor({ config, workerId, leaseSeconds, log, now = () => new Date() }: AppwriteSourceOptions) {
    this.config = config;
    this.workerId = workerId;
    this.leaseSeconds = leaseSeconds;
    this.log = log;
    this.now = now;
    this.table = new AppwriteTable(config, log);
    this.fields = this.table.fields;
    this.operations = new AppwriteOperations(this.table);
    this.claims = new AppwriteClaims(this.table, log, now);
    this.version = new ServerVersionCheck(config, log, this.table.warnings);
  }

  /**
   * Two bounded reads: pending rows that are due, and processing rows whose lease expired, each
   * priority ASC then oldest first (the poll index); merged, the first `limit` are returned.
   * Neither asks for a total (each costs the server two COUNT queries); `total`, the queue length
   * /health shows, is what the pages hold unless the pending one came back full: see {@link dueCount}.
   */
  async listPending(limit: number): Promise<{ total: number; records: VideoRecord[] }> {
    // Once, at the first poll (again while the server cannot be reached): warns about servers whose claims are not locked.
    await this.version.check();
    const now = this.now();
    const f = (field: RecordField): string => this.fields.column(field);
    const order = [Query.orderAsc(f('priority')), Query.orderAsc('$createdAt'), Query.limit(limit)];
    const due = [
      Query.equal(f('status'), 'pending'),
      Query.or([Query.isNull(f('next_attempt_at')), Query.lessThanEqual(f('next_attempt_at'), now.toISOString())]),
    ];
    const staleBefore = new Date(now.getTime() - this.leaseSeconds * 1000).toISOString();
    const expired = [
      Query.equal(f('status'), 'processing'),
      Query.or([Query.isNull(f('heartbeat_at')), Query.lessThan(f('heartbeat_at'), staleBefore)]),
    ];
    const [pending, stale] = await this.table.call('read', 'listing due rows', () =>
      Promise.all([this.table.listRows([...due, ...order], false), this.table.listRows([...expired, ...order], false)]),
    );
    const records: VideoRecord[] = [];
    for (const row of [...pending.rows, ...stale.rows]) {
      const record = this.fields.toRecord(row);
      if (record) records.push(record);
      else this.log.warn({ id: row.$id }, 'skipping a row whose id cannot name a storage directory');
    }
    records.sort((a, b) => a.priority - b.priority || a.createdAt.localeCompare(b.createdAt));
    const total = (pending.rows.length < limit ? pending.rows.length : await this.dueCount(due)) + stale.rows.length;
    return { total, records: records.slice(0, limit) };
  }

  /**
   * At most one count per poll, and only when the page of pending rows is full: the due pending
   * rows, one row selected, counted by the server up to its cap (5000). Expired leases are counted
   * from their page alone: they are stalled jobs, not the queue, and rarely a page's worth.
   */
  private async dueCount(due: string[]): Promise<number> {
    const { total } = await this.table.call('read', 'counting due rows', () =>
      this.table.listRows([...due, Query.select(['$id']), Query.limit(1)], true),
    );
    return total;
  }

  claim(record: VideoRecord, workerId: string): Promise<VideoRecord | null> {
    return this.claims.claim(record, workerId);
  }

  /** Throws `cancelled` or `lease_expired` unless the row still holds this worker's claim (its token included). */
  async confirmClaim(id: string): Promise<void> {
    await this.getOwnedRow(id, 'confirming the claim before publishing');
  }

  async heartbeat(id: string, progress: Progress): Promise<void> {
    await this.ownedWrite(id, 'heart-beating', () => heartbeatValues(progress, this.now().toISOString()));
  }

  async complete(id: string, result: PublishResult): Promise<void> {
    const doing = 'writing the result back';
    const row = await this.table.writeDecided(id, doing, async () => ({
      row: await this.getOwnedRow(id, doing),
      values: completeValues(result),
    }));
    this.claims.forget(id);
    // Published, verified and written back: only now may the original go (APPWRITE_DELETE_SOURCE_AFTER).
    await deleteSourceFile(this.config, this.fields.value(row, 'source_file_id'), this.fields.value(row, 'source_bucket_id'), this.log);
  }

  async fail(id: string, failure: Failure): Promise<void> {
    await this.ownedWrite(id, 'writing the failure back', () => ({ ...failValues(failure), ...this.claims.cleared() }));
    this.claims.forget(id);
  }

  async release(id: string): Promise<void> {
    await this.ownedWrite(id, 'releasing the row', () => ({ ...releaseValues(this.now().toISOString()), ...this.claims.cleared() }));
    this.claims.forget(id);
  }

  async health(): Promise<SourceHealth> {
    try {
      await this.table.call('read', 'checking the connection', () => this.table.listRows([Query.limit(1)], false));
      return { kind: this.kind, connected: true };
    } catch (err) {
      return { kind: this.kind, connected: false, message: (err as Error).message };
    }
  }

  /** The server's version, when it makes claims exclusive only through the claim token (for /health). */
  warnings(): readonly string[] {
    return this.version.messages;
  }

  listJobs(query: JobQuery): Promise<JobPage> {
    return this.operations.listJobs(query);
  }

  getJob(id: string): Promise<SourceJob | null> {
    return this.operations.getJob(id);
  }

  retry(id: string): Promise<SourceJob> {
    return this.operations.retry(id);
  }

  cancel(id: string): Promise<SourceJob> {
    return this.operations.cancel(id);
  }

  update(id: string, changes: JobChanges): Promise<SourceJob> {
    return this.operations.update(id, changes);
  }

  clearOutputs(id: string): Promise<SourceJob> {
    return this.operations.clearOutputs(id);
  }

  listRefs(): Promise<RecordRef[]> {
    return this.operations.listRefs();
  }

  requeue(options: RequeueOptions): Promise<RequeueResult> {
    return this.operations.requeue(options);
  }

  /**
   * Read, check the row is still ours, write conditioned on what was read. A 409 means someone
   * wrote in between (a cancel, a reclaim, an editor): read again and decide again.
   */
  private async ownedWrite(id: string, doing: string, values: () => FieldValues): Promise<void> {
    await this.table.writeDecided(id, doing, async () => ({ row: await this.getOwnedRow(id, doing), values: values() }));
  }

  /** Throws `cancelled` or `lease_expired` when this worker must stop (the contract of heartbeat). */
  private async getOwnedRow(id: string, doing: string): Promise<AppwriteRow> {
    let row: AppwriteRow;
    try {
      row = await this.table.getRow(id);
    } catch (err) {
      // A 404 that stands (AppwriteTable.getRow checked the key is still accepted): the row is gone.
      if (isNotFound(err, 'row_not_found')) throw new AppError('lease_expired', `row ${id} was deleted`, { context: { id } });
      throw this.table.report(err, 'read', `${doing} (row ${id})`);
    }
    this.table.succeeded('read');
    const status = this.fields.value(row, 'status');
    const owner = this.fields.value(row, 'claimed_by');
    if (status === 'cancelled') throw new AppError('cancelled', `row ${id} was cancelled`);
    if (status !== 'processing' || owner !== this.workerId) {
      throw new AppError(
        'lease_expired',
        `row ${id} is no longer held by ${this.workerId} (${doing}; now ${String(status)}, claimed by ${typeof owner === 'string' ? owner : 'nobody'})`,
        { context: { id, workerId: this.workerId } },
      );
    }
    const lost = this.claims.lostTo(row);
    if (lost !== null) {
      throw new AppError('lease_expired', `row ${id} is no longer held by this worker (${doing}): ${lost}`, {
        context: { id, workerId: this.workerId },
      });
    }
    return row;
  }
}
