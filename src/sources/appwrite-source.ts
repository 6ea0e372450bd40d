import { Query, type TablesDB } from 'node-appwrite';
import type { AppwriteConfig } from '../config/config.js';
import type { RecordField } from '../domain/record-fields.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { createTables, isNotFound, isUnauthorized, isUpdateConflict, missingScopes, toCmsError } from './appwrite-client.js';
import { FieldMap, type AppwriteRow } from './appwrite-fields.js';
import { claimValues, completeValues, failValues, heartbeatValues, releaseValues, type FieldValues } from './record-values.js';
import type { CmsSource, SourceHealth } from './cms-source.js';
import type { Failure, Progress, VideoRecord } from '../domain/record.js';
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

/** Reads need rows.read, writes rows.write: a key may have one and not the other. */
type Access = 'read' | 'write';

/** A write-back loses this many optimistic-lock races in a row (editors saving the row) before giving up. */
const MAX_WRITE_RACES = 3;

/**
 * Videos in an Appwrite table (TablesDB). Several daemons on several servers may share the table:
 * a claim, and every write after it, is an `updateRow` conditioned on the `$updatedAt` read
 * (X-Appwrite-Timestamp), so exactly one worker wins a row and a worker that lost its lease never
 * overwrites the new owner.
 */
export class AppwriteSource implements CmsSource {
  readonly kind = 'appwrite' as const;
  private readonly config: AppwriteConfig;
  private readonly workerId: string;
  private readonly leaseSeconds: number;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly tables: TablesDB;
  private readonly fields: FieldMap;
  /** A refused key is logged once (per kind of access) until that access works again, not on every poll. */
  private readonly authReported = new Set<Access>();

  constructor({ config, workerId, leaseSeconds, log, now = () => new Date() }: AppwriteSourceOptions) {
    this.config = config;
    this.workerId = workerId;
    this.leaseSeconds = leaseSeconds;
    this.log = log;
    this.now = now;
    this.tables = createTables(config);
    this.fields = new FieldMap(config.columns);
  }

  /**
   * Two bounded reads: pending rows that are due, and processing rows whose lease expired, each
   * priority ASC then oldest first (the poll index); merged, the first `limit` are returned.
   */
  async listPending(limit: number): Promise<{ total: number; records: VideoRecord[] }> {
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
    const [pending, stale] = await this.call('read', 'listing due rows', () =>
      Promise.all([this.listRows([...due, ...order]), this.listRows([...expired, ...order])]),
    );
    const records: VideoRecord[] = [];
    for (const row of [...pending.rows, ...stale.rows]) {
      const record = this.fields.toRecord(row);
      if (record) records.push(record);
      else this.log.warn({ id: row.$id }, 'skipping a row whose id cannot name a storage directory');
    }
    records.sort((a, b) => a.priority - b.priority || a.createdAt.localeCompare(b.createdAt));
    return { total: pending.total + stale.total, records: records.slice(0, limit) };
  }

  async claim(record: VideoRecord, workerId: string): Promise<VideoRecord | null> {
    const data = this.fields.toColumns(claimValues(record, workerId, this.now().toISOString()));
    try {
      const row = await this.conditional(record.updatedAt).updateRow<AppwriteRow>({
        databaseId: this.config.databaseId,
        tableId: this.config.tableId,
        rowId: record.id,
        data,
      });
      this.authReported.delete('write');
      return this.fields.toRecord(row);
    } catch (err) {
      // 409: another worker claimed it (or an editor saved it) since we listed it; it is theirs.
      if (isUpdateConflict(err) || isNotFound(err, 'row_not_found')) return null;
      throw this.report(err, 'write', `claiming row ${record.id}`);
    }
  }

  async heartbeat(id: string, progress: Progress): Promise<void> {
    await this.ownedWrite(id, 'heart-beating', () => heartbeatValues(progress, this.now().toISOString()));
  }

  async complete(id: string, result: PublishResult): Promise<void> {
    await this.ownedWrite(id, 'writing the result back', () => completeValues(result));
  }

  async fail(id: string, failure: Failure): Promise<void> {
    await this.ownedWrite(id, 'writing the failure back', () => failValues(failure));
  }

  async release(id: string): Promise<void> {
    await this.ownedWrite(id, 'releasing the row', () => releaseValues(this.now().toISOString()));
  }

  async health(): Promise<SourceHealth> {
    try {
      await this.call('read', 'checking the connection', () => this.listRows([Query.limit(1)], false));
      return { kind: this.kind, connected: true };
    } catch (err) {
      return { kind: this.kind, connected: false, message: (err as Error).message };
    }
  }

  /**
   * Read, check the row is still ours, write conditioned on what was read. A 409 means someone
   * wrote in between (a cancel, a reclaim, an editor): read again and decide again.
   */
  private async ownedWrite(id: string, doing: string, values: () => FieldValues): Promise<void> {
    for (let race = 0; race < MAX_WRITE_RACES; race += 1) {
      const row = await this.getOwnedRow(id, doing);
      try {
        const data = this.fields.toColumns(values());
        await this.conditional(row.$updatedAt).updateRow({
          databaseId: this.config.databaseId,
          tableId: this.config.tableId,
          rowId: id,
          data,
        });
        this.authReported.delete('write');
        return;
      } catch (err) {
        if (!isUpdateConflict(err)) throw this.report(err, 'write', `${doing} (row ${id})`);
      }
    }
    throw new AppError('cms_error', `row ${id} kept changing while ${doing}; giving up for now`);
  }

  /** Throws `cancelled` or `lease_expired` when this worker must stop (the contract of heartbeat). */
  private async getOwnedRow(id: string, doing: string): Promise<AppwriteRow> {
    let row: AppwriteRow;
    try {
      row = await this.tables.getRow<AppwriteRow>({ databaseId: this.config.databaseId, tableId: this.config.tableId, rowId: id });
    } catch (err) {
      if (isNotFound(err, 'row_not_found')) throw new AppError('lease_expired', `row ${id} was deleted`, { context: { id } });
      throw this.report(err, 'read', `${doing} (row ${id})`);
    }
    this.authReported.delete('read');
    const status = this.fields.value(row, 'status');
    const owner = this.fields.value(row, 'claimed_by');
    if (status === 'cancelled') throw new AppError('cancelled', `row ${id} was cancelled`);
    if (status !== 'processing' || owner !== this.workerId) {
      throw new AppError(
        'lease_expired',
        `row ${id} is no longer held by ${this.workerId} (now ${String(status)}, claimed by ${typeof owner === 'string' ? owner : 'nobody'})`,
        {
          context: { id, workerId: this.workerId },
        },
      );
    }
    return row;
  }

  private conditional(updatedAt: string): TablesDB {
    return createTables(this.config, updatedAt);
  }

  private listRows(queries: string[], total = true): Promise<{ total: number; rows: AppwriteRow[] }> {
    return this.tables.listRows<AppwriteRow>({ databaseId: this.config.databaseId, tableId: this.config.tableId, queries, total });
  }

  private async call<T>(access: Access, doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      const result = await fn();
      this.authReported.delete(access);
      return result;
    } catch (err) {
      throw this.report(err, access, doing);
    }
  }

  /** Classifies the error; a refused key is logged once, with the scope to grant, until a call succeeds again. */
  private report(err: unknown, access: Access, doing: string): AppError {
    const error = toCmsError(err, doing);
    if (isUnauthorized(err) && !this.authReported.has(access)) {
      this.authReported.add(access);
      const scopes = missingScopes(err);
      this.log.error(
        { status: err.code, type: err.type, missingScopes: scopes, project: this.config.projectId },
        scopes.length > 0
          ? `Appwrite refused the API key: grant it the scope(s) ${scopes.join(', ')} (the daemon needs rows.read and rows.write)`
          : 'Appwrite refused the API key: check APPWRITE_API_KEY and APPWRITE_PROJECT_ID',
      );
    }
    return error;
  }
}
