import { ServerWarnings } from './appwrite-warnings.js';
import { OrderBy, Query, TablesDBIndexType, type TablesDB } from 'node-appwrite';
import type { AppwriteConfig } from '../config/config.js';
import type { RecordField } from '../domain/record-fields.js';
import { RECORD_FIELDS } from '../domain/record-fields.js';
import { createTables, isAlreadyExists, isNotFound, isUnauthorized, toCmsError } from './appwrite-client.js';
import { backfillPending } from './appwrite-backfill.js';
import { ColumnMaker, listColumns, REAL_CLOCK, waitForColumns, type SetupClock } from './appwrite-columns.js';
import { COLUMN_SPECS, columnMismatch, INDEX_SPECS } from './appwrite-schema.js';

export { listColumns } from './appwrite-columns.js';

/** What `appwrite:setup` did: a second run on the same project creates nothing. */
export interface SetupReport {
  readonly created: string[];
  readonly present: string[];
  /** Existing columns or indexes that do not fit; setup never alters or drops them. */
  readonly problems: string[];
  /** The table had rows before this run: its new columns were created optional (see ColumnMaker). */
  tableHadRows?: boolean;
  /** With `backfill`: rows queued, and rows left for another run (changed while being queued). */
  backfill?: { readonly queued: number; readonly skipped: number };
  /** What the server warned about (X-Appwrite-Warning, e.g. an older server than the SDK's), each once. */
  warnings?: readonly string[];
}

export interface SetupOptions {
  readonly config: AppwriteConfig;
  /** How long to wait for columns to become `available` before creating the indexes. */
  readonly columnTimeoutMs?: number;
  readonly pollMs?: number;
  /** Also queue the rows that have a source but no status (backfillPending). */
  readonly backfill?: boolean;
  readonly clock?: SetupClock;
}

/**
 * Creates the database, the table, every record field's column (under APPWRITE_FIELD_MAP's names)
 * and the indexes the poll needs, each only if missing. Appwrite builds columns asynchronously, so
 * it waits for them (those of an earlier, interrupted run too) before indexing them.
 */
export async function setupAppwrite(options: SetupOptions): Promise<SetupReport> {
  const { config, columnTimeoutMs = 60_000, pollMs = 250, clock = REAL_CLOCK } = options;
  // The SDK would print each answer's server warning on the console: collected once each for the report instead.
  const warnings = new ServerWarnings(() => undefined);
  const tables = createTables(config, { warnings });
  const report: SetupReport = { created: [], present: [], problems: [] };
  const ids = { databaseId: config.databaseId, tableId: config.tableId };
  try {
    await ensure(
      report,
      `database ${ids.databaseId}`,
      'database_not_found',
      () => tables.get({ databaseId: ids.databaseId }),
      () => tables.create({ databaseId: ids.databaseId, name: 'video-compressor' }),
    );
    // No permissions: only server keys read or write it (the CMS's own API key included).
    await ensure(
      report,
      `table ${ids.tableId}`,
      'table_not_found',
      () => tables.getTable(ids),
      () => tables.createTable({ ...ids, name: 'Videos', permissions: [], rowSecurity: false }),
    );
    const hasRows = !report.created.includes(`table ${ids.tableId}`) && (await tableHasRows(tables, config));
    if (hasRows) report.tableHadRows = true;
    const building = await ensureColumns(tables, config, report, new ColumnMaker(tables, ids));
    await waitForColumns(tables, config, building, { timeoutMs: columnTimeoutMs, pollMs, clock });
    await ensureIndexes(tables, config, report);
    if (options.backfill) report.backfill = await backfillPending(config);
  } catch (err) {
    throw toCmsError(err, 'setting up the Appwrite table');
  }
  if (warnings.messages.length > 0) report.warnings = warnings.messages;
  return report;
}

async function ensure(
  report: SetupReport,
  what: string,
  notFoundType: string,
  get: () => Promise<unknown>,
  create: () => Promise<unknown>,
): Promise<void> {
  try {
    await get();
    report.present.push(what);
    return;
  } catch (err) {
    if (!isNotFound(err, notFoundType)) throw err;
  }
  try {
    await create();
    report.created.push(what);
  } catch (err) {
    // Another setup run won the race: what we wanted exists.
    if (!isAlreadyExists(err)) throw err;
    report.present.push(what);
  }
}

/**
 * Whether the table holds rows already (they will hold NULL in every column added now). Without
 * rows.read the answer is unknown, and assumed yes: an optional column is never wrong.
 */
async function tableHasRows(tables: TablesDB, config: AppwriteConfig): Promise<boolean> {
  try {
    const { rows } = await tables.listRows({
      databaseId: config.databaseId,
      tableId: config.tableId,
      queries: [Query.limit(1)],
      total: false,
    });
    return rows.length > 0;
  } catch (err) {
    if (isUnauthorized(err)) return true;
    throw err;
  }
}

/** Creates the missing columns; returns the keys of ours not `available` yet (created now, or by an interrupted run). */
async function ensureColumns(tables: TablesDB, config: AppwriteConfig, report: SetupReport, maker: ColumnMaker): Promise<string[]> {
  const existing = await listColumns(tables, config);
  const building: string[] = [];
  for (const field of RECORD_FIELDS) {
    const key = config.columns[field];
    const spec = COLUMN_SPECS[field];
    const column = existing.get(key);
    const label = `column ${key}${key === field ? '' : ` (${field})`}`;
    if (column) {
      const mismatch = columnMismatch(spec, column);
      if (mismatch) report.problems.push(`${label} ${mismatch}`);
      else report.present.push(label);
      if (column.status !== 'available') building.push(key);
      continue;
    }
    try {
      report.created.push(`${label}: ${await maker.create(key, spec)}`);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      report.present.push(label);
    }
    building.push(key);
  }
  return building;
}

/** The index columns under the table's own names. */
export function indexColumns(config: AppwriteConfig, fields: readonly (RecordField | '$createdAt')[]): string[] {
  return fields.map((field) => (field === '$createdAt' ? field : config.columns[field]));
}

async function ensureIndexes(tables: TablesDB, config: AppwriteConfig, report: SetupReport): Promise<void> {
  const ids = { databaseId: config.databaseId, tableId: config.tableId };
  const { indexes } = await tables.listIndexes({ ...ids, queries: [Query.limit(100)] });
  for (const spec of INDEX_SPECS) {
    const columns = indexColumns(config, spec.fields);
    const label = `index ${spec.key} (${columns.join(', ')})`;
    const existing = indexes.find((index) => index.key === spec.key);
    if (existing) {
      if (existing.columns.join(',') === columns.join(',')) report.present.push(label);
      else report.problems.push(`index ${spec.key} exists on (${existing.columns.join(', ')}), expected (${columns.join(', ')})`);
      continue;
    }
    try {
      await tables.createIndex({ ...ids, key: spec.key, type: TablesDBIndexType.Key, columns, orders: columns.map(() => OrderBy.Asc) });
      report.created.push(label);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      report.present.push(label);
    }
  }
}
