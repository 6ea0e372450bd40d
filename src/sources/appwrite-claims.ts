import { randomUUID } from 'node:crypto';
import type { VideoRecord } from '../domain/record.js';
import type { Logger } from '../logging/logger.js';
import { isNotFound, isUnknownColumn, isUpdateConflict } from './appwrite-client.js';
import type { AppwriteRow } from './appwrite-fields.js';
import type { AppwriteTable } from './appwrite-table.js';
import { claimValues, type FieldValues } from './record-values.js';

/**
 * Claims that stay exclusive whatever the server's version. A claim is an updateRow conditioned
 * on the `$updatedAt` read, which a server with row locks grants to one worker only; a server
 * without them (up to 1.9.0) checks a cached copy of the row and may grant two claims arriving
 * together. So every claim also writes a fresh random `claim_token`, and the row, not the 200,
 * says whose claim counts: the last one written. The claimer reads the row back at once (a lost
 * claim ends there), and AppwriteSource checks the token again before publishing, at every
 * heartbeat and at the write-back: a worker whose token was replaced stops, so a double grant costs
 * at most some duplicate encoding, never two publishes or two write-backs.
 */
export class AppwriteClaims {
  /** Our token per row we claimed; null for a claim made without one (a table without the column). */
  private readonly tokens = new Map<string, string | null>();
  /** False once the table turned out not to have the column (set up before it existed). */
  private tokenColumn = true;

  constructor(
    private readonly table: AppwriteTable,
    private readonly log: Logger,
    private readonly now: () => Date,
  ) {}

  /** Null when another worker holds the row: it claimed first, or its claim was written after ours. */
  async claim(record: VideoRecord, workerId: string): Promise<VideoRecord | null> {
    const token = this.tokenColumn ? randomUUID() : null;
    const values: FieldValues = { ...claimValues(record, workerId, this.now().toISOString()) };
    if (token !== null) values.claim_token = token;
    let granted: AppwriteRow;
    try {
      granted = await this.table.updateRowIfUnchanged(record.id, record.updatedAt, values);
      this.table.succeeded('write');
    } catch (err) {
      // 409: another worker claimed it (or an editor saved it) since we listed it; it is theirs.
      if (isUpdateConflict(err) || isNotFound(err, 'row_not_found')) return null;
      if (token !== null && isUnknownColumn(err, this.table.fields.column('claim_token'))) {
        this.withoutTokenColumn();
        return this.claim(record, workerId);
      }
      throw this.table.report(err, 'write', `claiming row ${record.id}`);
    }
    return this.readBack(granted, workerId, token);
  }

  /**
   * Null while the row holds the token of our claim (or ours was written without one, or this
   * source made no claim of the row: then only `claimed_by` can tell); else how it was lost.
   */
  lostTo(row: AppwriteRow): string | null {
    const ours = this.tokens.get(row.$id);
    if (ours === undefined || ours === null) return null;
    const theirs = this.table.fields.value(row, 'claim_token');
    if (theirs === ours) return null;
    const holder = this.table.fields.value(row, 'claimed_by');
    return `its claim token was replaced (a later claim by ${typeof holder === 'string' ? holder : 'nobody'})`;
  }

  /** What a write that ends a claim (a failure, a release) adds: the token cleared, where the table has the column. */
  cleared(): FieldValues {
    return this.tokenColumn ? { claim_token: null } : {};
  }

  /** The claim of this row ended (written back, or lost). */
  forget(id: string): void {
    this.tokens.delete(id);
  }

  /** A server without row locks may have granted the row to a rival as well: whichever claim the row shows is the one. */
  private async readBack(granted: AppwriteRow, workerId: string, token: string | null): Promise<VideoRecord | null> {
    let row = granted;
    try {
      row = await this.table.getRow(granted.$id);
      this.table.succeeded('read');
    } catch (err) {
      if (isNotFound(err, 'row_not_found')) return null;
      // The claim stands as granted: the check before publishing and every later write still guard it.
      const error = this.table.report(err, 'read', `reading row ${granted.$id} back after claiming it`);
      this.log.warn({ err: error, id: granted.$id }, 'could not read a claimed row back; its claim is checked again before publishing');
    }
    const holder = this.table.fields.value(row, 'claimed_by');
    if (holder !== workerId || (token !== null && this.table.fields.value(row, 'claim_token') !== token)) {
      this.log.info(
        { id: row.$id, holder },
        'Appwrite granted this claim to another worker as well (a server without row locks); the row names theirs, so the row is theirs',
      );
      return null;
    }
    this.tokens.set(row.$id, token);
    return this.table.fields.toRecord(row);
  }

  private withoutTokenColumn(): void {
    this.tokenColumn = false;
    this.log.error(
      { column: this.table.fields.column('claim_token') },
      'the table has no claim_token column: claims are made without a token, exclusive only on Appwrite 1.9.5 or later; ' +
        'run `video-compressor appwrite:setup` to add it',
    );
  }
}
