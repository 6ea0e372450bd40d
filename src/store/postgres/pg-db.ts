import type pg from 'pg';
import { AppError } from '../../errors.js';
import type { Raw } from '../job-row.js';

export type { Raw } from '../job-row.js';

/** What every PostgreSQL repository is built from: the shared pool and the injected clock. */
export interface PgOptions {
  readonly pool: pg.Pool;
  /** The clock; every timestamp written comes from here, never from the server's now(). */
  readonly now: () => Date;
}

/** A pool (one statement, autocommit) or a client checked out for a transaction. */
export type Queryable = pg.Pool | pg.PoolClient;
export type Params = Readonly<Record<string, unknown>>;

/**
 * The SQLite statements name their parameters (`@id`); node-postgres numbers them (`$1`). This
 * rewrites the first into the second so both backends' SQL reads alike. A name used twice is one
 * parameter. Only names present in the SQL are sent; a name missing from `params` is a bug.
 */
export function numbered(sql: string, params: Params): { text: string; values: unknown[] } {
  const order: string[] = [];
  const text = sql.replace(/@([A-Za-z]\w*)/g, (_, name: string) => {
    if (!Object.hasOwn(params, name)) throw new AppError('internal_error', `SQL parameter @${name} has no value`);
    const index = order.indexOf(name);
    if (index >= 0) return `$${index + 1}`;
    order.push(name);
    return `$${order.length}`;
  });
  return { text, values: order.map((name) => params[name] ?? null) };
}

/** Runs one statement and answers its rows; connection failures become the store's retryable error. */
export async function rows(db: Queryable, sql: string, params: Params = {}): Promise<Raw[]> {
  return (await execute(db, sql, params)).rows;
}

/** The first row, or null. */
export async function row(db: Queryable, sql: string, params: Params = {}): Promise<Raw | null> {
  return (await rows(db, sql, params))[0] ?? null;
}

/** Runs one statement and answers how many rows it changed. */
export async function run(db: Queryable, sql: string, params: Params = {}): Promise<number> {
  return (await execute(db, sql, params)).rowCount ?? 0;
}

async function execute(db: Queryable, sql: string, params: Params): Promise<pg.QueryResult<Raw>> {
  const { text, values } = numbered(sql, params);
  try {
    return await db.query<Raw>(text, values);
  } catch (err) {
    throw storeError(err);
  }
}

/**
 * Runs `work` in one transaction on one client of the pool: COMMIT when it resolves, ROLLBACK when
 * it throws (the rejection is kept). A client whose connection broke is discarded, not returned.
 */
export async function transaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await connect(pool);
  let broken: Error | undefined;
  try {
    await run(client, 'BEGIN');
    const result = await work(client);
    await run(client, 'COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

async function connect(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (err) {
    throw storeError(err);
  }
}

/** SQLSTATE classes and codes meaning "the server cannot be used right now", not "the statement is wrong". */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '3D000']);
const UNAVAILABLE_CLASSES = ['08', '28'];
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ECONNRESET',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);
/** node-postgres reports a dropped socket or a connect timeout without a code. */
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i;

/** True when `err` says the database cannot be reached or used (refused, unknown host, shut down, login refused). */
export function isUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code)) return true;
    if (code.length === 5 && UNAVAILABLE_CLASSES.includes(code.slice(0, 2))) return true;
  }
  if (err instanceof AggregateError) return err.errors.some(isUnavailable);
  return err instanceof Error && UNAVAILABLE_MESSAGES.test(err.message);
}

/**
 * The one place that decides which AppError an unreachable store raises: `store_unavailable`,
 * retryable, so the poll and the API try again later instead of failing a job for good. Other
 * errors (constraint violations, bugs) pass through.
 */
export function storeError(err: unknown): unknown {
  if (err instanceof AppError || !isUnavailable(err)) return err;
  const code = (err as { code?: unknown }).code;
  const reason = err instanceof Error && err.message ? err.message : String(code ?? err);
  return new AppError('store_unavailable', `The PostgreSQL store cannot be reached: ${reason}`, {
    cause: err,
    context: { store: 'postgres', code: typeof code === 'string' ? code : null },
  });
}
