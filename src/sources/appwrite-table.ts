import { Query, type TablesDB } from 'node-appwrite';
import type { AppwriteConfig } from '../config/config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { createTables, isNotFound, isUnauthorized, isUpdateConflict, missingScopes, toCmsError } from './appwrite-client.js';
import { FieldMap, type AppwriteRow } from './appwrite-fields.js';
import { ServerWarnings } from './appwrite-warnings.js';
import type { FieldValues } from './record-values.js';

/** Reads need rows.read, writes rows.write: a key may have one and not the other. */
export type Access = 'read' | 'write';

/** What a decision to write is: the row as read (its `$updatedAt` is the lock token) and the values. */
export interface WriteDecision {
  readonly row: AppwriteRow;
  readonly values: FieldValues;
}

/** A write loses this many optimistic-lock races in a row (workers, operators, editors saving the row) before giving up. */
const MAX_WRITE_RACES = 3;

/**
 * The videos table through the SDK, shared by the worker's side (AppwriteSource) and the operator's
 * (AppwriteOperations): one client, conditional writes, and errors classified with a refused key
 * logged once, whichever side met it first.
 */
export class AppwriteTable {
  readonly fields: FieldMap;
  /** The server's X-Appwrite-Warning headers, logged once each (instead of the SDK's console.warn on every request). */
  readonly warnings: ServerWarnings;
  private readonly tables: TablesDB;
  /** A refused key is logged once (per kind of access) until that access works again, not on every poll. */
  private readonly authReported = new Set<Access>();

  constructor(
    private readonly config: AppwriteConfig,
    private readonly log: Logger,
  ) {
    this.warnings = new ServerWarnings((message) => log.warn({ appwriteWarning: message }, `Appwrite warns: ${message}`));
    this.tables = createTables(config, { warnings: this.warnings });
    this.fields = new FieldMap(config.columns, config);
  }

  /**
   * Raw: a 404 is an answer for some callers, so they classify errors themselves. But Appwrite does
   * not refuse a wrong or revoked key at the door: it serves it as a guest, and a guest's getRow of
   * a row it may not read answers 404 row_not_found, like a deleted row. So after a 404 a call that
   * needs the key is made (a one-row listing, which a guest gets 401 for): its error is thrown if it
   * fails, and a revoked key never passes for a deleted row. If it succeeds, the row is read once more:
   * the key may have been restored between the two calls, and only a 404 with a working key stands.
   */
  async getRow(id: string): Promise<AppwriteRow> {
    try {
      return await this.readRow(id);
    } catch (err) {
      if (!isNotFound(err, 'row_not_found')) throw err;
      await this.listRows([Query.limit(1)], false);
      return await this.readRow(id);
    }
  }

  private readRow(id: string): Promise<AppwriteRow> {
    return this.tables.getRow<AppwriteRow>({ databaseId: this.config.databaseId, tableId: this.config.tableId, rowId: id });
  }

  /** Raw. Without `total` the server skips counting (the answer's total is then 0). */
  listRows(queries: string[], total = true): Promise<{ total: number; rows: AppwriteRow[] }> {
    return this.tables.listRows<AppwriteRow>({ databaseId: this.config.databaseId, tableId: this.config.tableId, queries, total });
  }

  /**
   * Raw: an updateRow sent with X-Appwrite-Timestamp = `updatedAt` (the `$updatedAt` read), which
   * the server refuses with 409 row_update_conflict if anyone wrote the row since.
   */
  updateRowIfUnchanged(id: string, updatedAt: string, values: FieldValues): Promise<AppwriteRow> {
    const data = this.fields.toColumns(values);
    return createTables(this.config, { ifUnmodifiedSince: updatedAt, warnings: this.warnings }).updateRow<AppwriteRow>({
      databaseId: this.config.databaseId,
      tableId: this.config.tableId,
      rowId: id,
      data,
    });
  }

  /**
   * Read, decide, write conditioned on what was read. `decide` reads the row, checks it (throwing
   * when the action is not allowed) and returns what to write, or null to write nothing. A 409
   * means someone wrote in between, a 404 that the row went: either way read again and decide
   * again, so no write ever rests on a stale view.
   */
  writeDecided(id: string, doing: string, decide: () => Promise<WriteDecision>): Promise<AppwriteRow>;
  writeDecided(id: string, doing: string, decide: () => Promise<WriteDecision | null>): Promise<AppwriteRow | null>;
  async writeDecided(id: string, doing: string, decide: () => Promise<WriteDecision | null>): Promise<AppwriteRow | null> {
    for (let race = 0; race < MAX_WRITE_RACES; race += 1) {
      const decision = await decide();
      if (decision === null) return null;
      try {
        const row = await this.updateRowIfUnchanged(id, decision.row.$updatedAt, decision.values);
        this.succeeded('write');
        return row;
      } catch (err) {
        if (!isUpdateConflict(err) && !isNotFound(err, 'row_not_found')) throw this.report(err, 'write', `${doing} (row ${id})`);
      }
    }
    throw new AppError('cms_error', `row ${id} kept changing while ${doing}; giving up for now`, { context: { id } });
  }

  async call<T>(access: Access, doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      const result = await fn();
      this.succeeded(access);
      return result;
    } catch (err) {
      throw this.report(err, access, doing);
    }
  }

  succeeded(access: Access): void {
    this.authReported.delete(access);
  }

  /** Classifies the error; a refused key is logged once, with the scope to grant, until a call succeeds again. */
  report(err: unknown, access: Access, doing: string): AppError {
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
