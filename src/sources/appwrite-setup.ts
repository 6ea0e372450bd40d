import { setTimeout as delay } from 'node:timers/promises';
import { OrderBy, Query, TablesDBIndexType, type TablesDB } from 'node-appwrite';
import type { AppwriteConfig } from '../config/config.js';
import type { RecordField } from '../domain/record-fields.js';
import { RECORD_FIELDS } from '../domain/record-fields.js';
import { AppError } from '../errors.js';
import { createTables, isAlreadyExists, isNotFound, toCmsError } from './appwrite-client.js';
import { COLUMN_SPECS, columnMismatch, describeSpec, INDEX_SPECS, type ColumnSpec, type ListedColumn } from './appwrite-schema.js';

/** What `appwrite:setup` did: a second run on the same project creates nothing. */
export interface SetupReport {
  readonly created: string[];
  readonly present: string[];
  /** Existing columns or indexes that do not fit; setup never alters or drops them. */
  readonly problems: string[];
}

export interface SetupOptions {
  readonly config: AppwriteConfig;
  /** How long to wait for new columns to become `available` before creating the indexes. */
  readonly columnTimeoutMs?: number;
  readonly pollMs?: number;
}

/**
 * Creates the database, the table, every record field's column (under APPWRITE_FIELD_MAP's names)
 * and the indexes the poll needs, each only if missing. Appwrite builds columns asynchronously, so
 * it waits for them before indexing them.
 */
export async function setupAppwrite({ config, columnTimeoutMs = 60_000, pollMs = 250 }: SetupOptions): Promise<SetupReport> {
  const tables = createTables(config);
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
    const createdColumns = await ensureColumns(tables, config, report);
    await waitForColumns(tables, config, createdColumns, columnTimeoutMs, pollMs);
    await ensureIndexes(tables, config, report);
  } catch (err) {
    throw toCmsError(err, 'setting up the Appwrite table');
  }
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

/** The table's columns by key. */
export async function listColumns(tables: TablesDB, config: AppwriteConfig): Promise<Map<string, ListedColumn>> {
  const { columns } = await tables.listColumns({ databaseId: config.databaseId, tableId: config.tableId, queries: [Query.limit(100)] });
  return new Map((columns as ListedColumn[]).map((c) => [c.key, c]));
}

async function ensureColumns(tables: TablesDB, config: AppwriteConfig, report: SetupReport): Promise<string[]> {
  const existing = await listColumns(tables, config);
  const created: string[] = [];
  for (const field of RECORD_FIELDS) {
    const key = config.columns[field];
    const spec = COLUMN_SPECS[field];
    const column = existing.get(key);
    const label = `column ${key}${key === field ? '' : ` (${field})`}`;
    if (column) {
      const mismatch = columnMismatch(spec, column);
      if (mismatch) report.problems.push(`${label} ${mismatch}`);
      else report.present.push(label);
      continue;
    }
    try {
      await createColumn(tables, { databaseId: config.databaseId, tableId: config.tableId, key }, spec);
      report.created.push(`${label}: ${describeSpec(spec)}`);
      created.push(key);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      report.present.push(label);
    }
  }
  return created;
}

function createColumn(tables: TablesDB, ids: { databaseId: string; tableId: string; key: string }, spec: ColumnSpec): Promise<unknown> {
  switch (spec.kind) {
    case 'url':
      return tables.createUrlColumn({ ...ids, required: spec.required });
    case 'enum':
      return tables.createEnumColumn({ ...ids, elements: [...spec.elements], required: false, xdefault: spec.default });
    case 'integer':
      return tables.createIntegerColumn({ ...ids, required: false, min: spec.min, max: spec.max, xdefault: spec.default });
    case 'float':
      return tables.createFloatColumn({ ...ids, required: false });
    case 'datetime':
      return tables.createDatetimeColumn({ ...ids, required: false });
    case 'varchar':
      return tables.createVarcharColumn({ ...ids, size: spec.size, required: false, array: spec.array ?? false });
    case 'text':
      return tables.createTextColumn({ ...ids, required: false });
  }
}

async function waitForColumns(
  tables: TablesDB,
  config: AppwriteConfig,
  keys: readonly string[],
  timeoutMs: number,
  pollMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = [...keys];
  while (pending.length > 0) {
    const columns = await listColumns(tables, config);
    const failed = pending.filter((key) => ['failed', 'stuck'].includes(columns.get(key)?.status ?? ''));
    if (failed.length > 0)
      throw new AppError('cms_error', `Appwrite could not create the column(s) ${failed.join(', ')}; see the table in the console`);
    pending = pending.filter((key) => columns.get(key)?.status !== 'available');
    if (pending.length === 0) return;
    if (Date.now() > deadline)
      throw new AppError(
        'cms_error',
        `columns still not available after ${timeoutMs / 1000} s: ${pending.join(', ')}; run appwrite:setup again later`,
      );
    await delay(pollMs);
  }
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
