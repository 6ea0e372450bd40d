/** Database, table, column and index routes of the fake Appwrite server (what appwrite:setup and doctor use). */
import type { FakeAppwrite } from './appwrite-server.js';
import { planList, queriesFromSearch } from './appwrite-queries.js';
import {
  ApiError,
  appwriteTime,
  columnJson,
  columnShape,
  indexJson,
  KEY_PATTERN,
  makeAvailable,
  tableJson,
  type FakeColumn,
} from './appwrite-store.js';

type Reply = { status: number; json: unknown };

/** Column routes a 1.8 server does not have: it makes every string a `string` column. */
const SINCE_1_9 = new Set(['varchar', 'text', 'mediumtext', 'longtext']);

/** A request's string (or number) parameter as text; anything else is `fallback`. */
export function textParam(value: unknown, fallback: string): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : fallback;
}

function checkId(value: unknown, name: string): string {
  const id = textParam(value, '');
  if (!KEY_PATTERN.test(id))
    throw new ApiError(
      400,
      'general_argument_invalid',
      `Invalid \`${name}\` param: Parameter must contain at most 36 chars. Valid chars are a-z, A-Z, 0-9, period, hyphen, and underscore. Can't start with a special char`,
    );
  return id;
}

/** Pages a listing with the limit/offset queries, counting everything. */
function page<T>(items: T[], url: URL): { total: number; items: T[] } {
  const listed = { type: 'string', array: false };
  const plan = planList(queriesFromSearch(url.searchParams), new Map(['key', 'type', 'status'].map((key) => [key, listed])));
  return { total: items.length, items: items.slice(plan.offset, plan.offset + plan.limit) };
}

/** `parts` is the path after `/v1/tablesdb`. */
export function handleSchemaRoute(fake: FakeAppwrite, method: string, parts: string[], url: URL, body: Record<string, unknown>): Reply {
  const [databaseId, tables, tableId, sub, kind] = parts;
  const now = appwriteTime();
  if (databaseId === undefined && method === 'POST') {
    const id = checkId(body.databaseId, 'databaseId');
    if (fake.databases.has(id)) throw new ApiError(409, 'database_already_exists', 'Database already exists');
    fake.databases.set(id, { $id: id, name: textParam(body.name, id), tables: new Map(), $createdAt: now, $updatedAt: now });
    return { status: 201, json: { $id: id, name: body.name, $createdAt: now, $updatedAt: now, enabled: true, type: 'tablesdb' } };
  }
  const database = databaseId === undefined ? undefined : fake.databases.get(databaseId);
  if (!database) throw new ApiError(404, 'database_not_found', 'Database not found');
  if (tables === undefined && method === 'GET') {
    return {
      status: 200,
      json: {
        $id: database.$id,
        name: database.name,
        $createdAt: database.$createdAt,
        $updatedAt: database.$updatedAt,
        enabled: true,
        type: 'tablesdb',
      },
    };
  }
  if (tables !== 'tables') throw new ApiError(404, 'general_route_not_found', 'The requested route was not found.');
  if (tableId === undefined && method === 'POST') {
    const id = checkId(body.tableId, 'tableId');
    if (database.tables.has(id)) throw new ApiError(409, 'table_already_exists', 'A table with the requested ID already exists.');
    const table = {
      $id: id,
      name: textParam(body.name, id),
      databaseId: database.$id,
      permissions: (body.permissions as string[]) ?? [],
      rowSecurity: body.rowSecurity === true,
      columns: [],
      indexes: [],
      rows: new Map(),
      sequence: 0,
      $createdAt: now,
      $updatedAt: now,
    };
    database.tables.set(id, table);
    return { status: 201, json: tableJson(table) };
  }
  const table = fake.existingTable(database.$id, tableId ?? '');
  if (sub === undefined && method === 'GET') return { status: 200, json: tableJson(table) };
  if (sub === 'columns' && kind === undefined && method === 'GET') {
    const { total, items } = page(table.columns, url);
    return { status: 200, json: { total, columns: items.map(columnJson) } };
  }
  if (sub === 'columns' && kind !== undefined && method === 'POST') {
    if (SINCE_1_9.has(kind) && fake.version.startsWith('1.8.'))
      throw new ApiError(404, 'general_route_not_found', 'The requested route was not found.');
    const key = checkId(body.key, 'key');
    if (table.columns.some((c) => c.key === key))
      throw new ApiError(
        409,
        'column_already_exists',
        'Column with the requested key already exists. Column keys must be unique, try again with a different key.',
      );
    const required = body.required === true;
    if (required && body.default !== undefined && body.default !== null)
      throw new ApiError(400, 'column_default_unsupported', 'Cannot set default value for required column');
    const column: FakeColumn = {
      key,
      ...columnShape(kind, body),
      status: 'processing',
      required,
      array: body.array === true,
      default: body.default ?? null,
      $createdAt: now,
      $updatedAt: now,
    };
    table.columns.push(column);
    // The server's database worker builds the column in the background.
    if (fake.columnBuildMs !== null) setTimeout(() => makeAvailable(table, column), fake.columnBuildMs).unref();
    return { status: 202, json: columnJson(column) };
  }
  if (sub === 'indexes' && method === 'GET') {
    const { total, items } = page(table.indexes, url);
    return { status: 200, json: { total, indexes: items.map(indexJson) } };
  }
  if (sub === 'indexes' && method === 'POST') {
    const key = checkId(body.key, 'key');
    if (table.indexes.some((i) => i.key === key))
      throw new ApiError(409, 'index_already_exists', 'Index with the requested key already exists. Try again with a different key.');
    const columns = (body.columns as string[]) ?? [];
    for (const name of columns) {
      if (name.startsWith('$')) continue;
      const column = table.columns.find((c) => c.key === name);
      if (!column)
        throw new ApiError(
          400,
          'column_unknown',
          `The column '${name}' required for the index could not be found. Please confirm all your columns are in the available state.`,
        );
      if (column.status !== 'available')
        throw new ApiError(400, 'column_not_available', 'The requested column is not yet available. Please try again later.');
    }
    const index = { key, type: textParam(body.type, 'key'), columns, orders: (body.orders as string[]) ?? [], $createdAt: now };
    table.indexes.push(index);
    return { status: 202, json: indexJson(index) };
  }
  throw new ApiError(404, 'general_route_not_found', 'The requested route was not found.');
}
