import { setTimeout as delay } from 'node:timers/promises';
import { Query, type TablesDB } from 'node-appwrite';
import type { AppwriteConfig } from '../config/config.js';
import { AppError } from '../errors.js';
import { isNotFound } from './appwrite-client.js';
import { describeSpec, type ColumnSpec, type ListedColumn } from './appwrite-schema.js';

/** The wait's clock and pause: real ones, unless a test passes its own. */
export interface SetupClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const REAL_CLOCK: SetupClock = { now: () => Date.now(), sleep: (ms) => delay(ms) };

/**
 * A `string` column's size when a 1.8 server has no text route: above 16383 characters the server
 * stores it as TEXT, out of the row-width budget, as a text column would be.
 */
export const TEXT_AS_STRING_SIZE = 65_535;

type TableIds = { readonly databaseId: string; readonly tableId: string };

/** The table's columns by key. */
export async function listColumns(tables: TablesDB, config: AppwriteConfig): Promise<Map<string, ListedColumn>> {
  const { columns } = await tables.listColumns({ databaseId: config.databaseId, tableId: config.tableId, queries: [Query.limit(100)] });
  return new Map((columns as ListedColumn[]).map((c) => [c.key, c]));
}

/**
 * Creates columns from their specs, every one optional: rows already there hold NULL in a new
 * column (the default is not back-filled) and the server validates the whole row on every update,
 * so a required column added to a table with rows would make every update of an old row fail
 * (400 row_invalid_structure); and `source_url` may be empty when a row names a Storage file.
 * A 1.8 server has only `string` columns (no varchar/text routes): once one of those routes
 * answers 404, every string column is created as a `string` of the same size.
 */
export class ColumnMaker {
  private stringOnly = false;

  constructor(
    private readonly tables: TablesDB,
    private readonly ids: TableIds,
  ) {}

  /** Creates the column; says what it created (`varchar(255)`, or `string(255)` on a 1.8 server). */
  async create(key: string, spec: ColumnSpec): Promise<string> {
    if (spec.kind === 'varchar' || spec.kind === 'text') {
      if (!this.stringOnly) {
        try {
          await this.createTyped(key, spec);
          return describeSpec(spec);
        } catch (err) {
          if (!isNotFound(err, 'general_route_not_found')) throw err;
          this.stringOnly = true;
        }
      }
      const size = spec.kind === 'varchar' ? spec.size : TEXT_AS_STRING_SIZE;
      const array = spec.kind === 'varchar' && spec.array === true;
      await this.tables.createStringColumn({ ...this.ids, key, size, required: false, array });
      return `string(${size})${array ? '[]' : ''}`;
    }
    await this.createTyped(key, spec);
    return describeSpec(spec);
  }

  private createTyped(key: string, spec: ColumnSpec): Promise<unknown> {
    const ids = { ...this.ids, key };
    switch (spec.kind) {
      case 'url':
        return this.tables.createUrlColumn({ ...ids, required: false });
      case 'enum':
        return this.tables.createEnumColumn({ ...ids, elements: [...spec.elements], required: false, xdefault: spec.default });
      case 'integer':
        return this.tables.createIntegerColumn({ ...ids, required: false, min: spec.min, max: spec.max, xdefault: spec.default });
      case 'float':
        return this.tables.createFloatColumn({ ...ids, required: false });
      case 'datetime':
        return this.tables.createDatetimeColumn({ ...ids, required: false });
      case 'varchar':
        return this.tables.createVarcharColumn({ ...ids, size: spec.size, required: false, array: spec.array ?? false });
      case 'text':
        return this.tables.createTextColumn({ ...ids, required: false });
    }
  }
}

/**
 * Waits until every one of `keys` is `available`: columns are built asynchronously, and an index
 * on a column still `processing` is refused (400 column_not_available). `keys` includes columns an
 * earlier, interrupted run created, so a rerun resumes where it stopped. Bounded by `timeoutMs`.
 */
export async function waitForColumns(
  tables: TablesDB,
  config: AppwriteConfig,
  keys: readonly string[],
  o: { timeoutMs: number; pollMs: number; clock: SetupClock },
): Promise<void> {
  const deadline = o.clock.now() + o.timeoutMs;
  let pending = [...keys];
  while (pending.length > 0) {
    await o.clock.sleep(o.pollMs);
    const columns = await listColumns(tables, config);
    const failed = pending.filter((key) => ['failed', 'stuck'].includes(columns.get(key)?.status ?? ''));
    if (failed.length > 0)
      throw new AppError(
        'cms_error',
        `Appwrite could not build the column(s) ${failed.join(', ')}: delete them in the console and run appwrite:setup again`,
      );
    pending = pending.filter((key) => columns.get(key)?.status !== 'available');
    if (pending.length > 0 && o.clock.now() > deadline)
      throw new AppError(
        'cms_error',
        `columns still not available after ${o.timeoutMs / 1000} s: ${pending.join(', ')}; run appwrite:setup again later (it resumes)`,
      );
  }
}
