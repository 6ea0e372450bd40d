import { Query } from 'node-appwrite';
import type { AppwriteConfig } from '../config/config.js';
import { RECORD_FIELD_TABLE, RECORD_FIELDS, type FieldSpec } from '../domain/record-fields.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import { isNotFound, isUpdateConflict } from './appwrite-client.js';
import type { AppwriteRow } from './appwrite-fields.js';
import { AppwriteTable } from './appwrite-table.js';
import type { FieldValues } from './record-values.js';

/** Rows per page of the back-fill. */
export const BACKFILL_PAGE_SIZE = 100;

/**
 * `appwrite:setup --backfill`: queues the rows a table held before the daemon's columns existed.
 * Those rows hold NULL in every column added since (the server does not back-fill defaults), and
 * the poll filters on `status`, so a row with a source but no status would never be processed.
 * Each such row becomes `pending`, with the default a new row gets (priority 5, no attempt,
 * progress 0) in each defaulted column it holds NULL in; nothing else is touched. Every write is
 * conditioned on the `$updatedAt` read: a row saved meanwhile is left alone (counted as skipped,
 * queued by a later run). Pages by cursor, so a second run finds nothing left to do.
 */
export async function backfillPending(config: AppwriteConfig, log: Logger = silentLogger()): Promise<{ queued: number; skipped: number }> {
  const table = new AppwriteTable(config, log);
  const { fields } = table;
  // A source is a URL or a Storage file (a table whose app keeps file ids maps source_file_id to that column).
  const hasSource = Query.or([Query.isNotNull(fields.column('source_url')), Query.isNotNull(fields.column('source_file_id'))]);
  const base = [Query.isNull(fields.column('status')), hasSource, Query.limit(BACKFILL_PAGE_SIZE)];
  let queued = 0;
  let skipped = 0;
  let after: string | null = null;
  for (;;) {
    const queries: string[] = after === null ? base : [...base, Query.cursorAfter(after)];
    const { rows } = await table.listRows(queries, false);
    for (const row of rows) {
      if (!hasText(fields.value(row, 'source_url')) && !hasText(fields.value(row, 'source_file_id'))) continue;
      if (await queue(table, row)) queued += 1;
      else skipped += 1;
    }
    const last = rows.at(-1);
    if (rows.length < BACKFILL_PAGE_SIZE || last === undefined) return { queued, skipped };
    after = last.$id;
  }
}

/** True once written; false when the row changed or went since it was listed. */
async function queue(table: AppwriteTable, row: AppwriteRow): Promise<boolean> {
  const values: FieldValues = { status: 'pending' };
  for (const field of RECORD_FIELDS) {
    const spec: FieldSpec = RECORD_FIELD_TABLE[field];
    if (field !== 'status' && spec.default !== undefined && table.fields.value(row, field) == null) values[field] = spec.default;
  }
  try {
    await table.updateRowIfUnchanged(row.$id, row.$updatedAt, values);
    return true;
  } catch (err) {
    if (isUpdateConflict(err) || isNotFound(err, 'row_not_found')) return false;
    throw err;
  }
}

function hasText(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}
