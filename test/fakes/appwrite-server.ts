/**
 * A protocol-faithful fake of the Appwrite 1.9 TablesDB API on 127.0.0.1, for the real node-appwrite
 * SDK (which uses its own fetch: nothing can be intercepted, so this is a real HTTP server).
 *
 * Faithful where the daemon depends on it: routes and payloads, `queries[N]` JSON, rows with
 * `$id/$sequence/$createdAt/$updatedAt` in the server's datetime format, JSON error bodies
 * (`{message, code, type, version}`) with the server's types (404 row_not_found, 409
 * row_already_exists / row_update_conflict, 401 general_unauthorized_scope naming the missing
 * scope), `X-Appwrite-Timestamp` conflicts (409 when the row changed after that instant, checked
 * and written atomically), columns that become `available` asynchronously, and signed webhooks.
 * Strict where servers in the wild are: a wrong or revoked key is served as a guest
 * (appwrite-auth.ts), an update is checked against the whole row (a required column left NULL on
 * an old row fails it), columns added to a table with rows are NULL on those rows, counts stop at
 * 5000, and a 1.8 server (`version`) has only `string` columns. With `cachedClaims` on, conditional
 * updates are checked as up to 1.9.0, against a cached copy of the row (appwrite-legacy.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { callerOf, checkWrite, listableRows, readableRow, type Caller } from './appwrite-auth.js';
import { planList, queriesFromSearch, runList } from './appwrite-queries.js';
import { handleSchemaRoute, textParam } from './appwrite-schema-routes.js';
import {
  ApiError,
  appwriteTime,
  buildRow,
  checkWholeRow,
  KEY_PATTERN,
  makeAvailable,
  validateRowData,
  type FakeDatabase,
  type FakeRow,
  type FakeTable,
} from './appwrite-store.js';
import { FakeStorage } from './appwrite-storage.js';
import { deliverWebhooks, type FakeWebhook } from './appwrite-webhooks.js';
import { CachedUpdates, responseWarning } from './appwrite-legacy.js';

export type { FakeWebhook } from './appwrite-webhooks.js';

export const PROJECT = 'vc-test';
/** The server caps every count (`total`) at this many rows. */
export const COUNT_CAP = 5000;
/** A key with every scope the daemon and appwrite:setup use. */
export const FULL_KEY = 'standard_full_access_key';
export const ALL_SCOPES = [
  'databases.read',
  'databases.write',
  'tables.read',
  'tables.write',
  'columns.read',
  'columns.write',
  'indexes.read',
  'indexes.write',
  'rows.read',
  'rows.write',
  'files.read',
  'files.write',
];

/** What the fake does instead of answering (outage simulations). */
export type FakeOutage = { readonly kind: 'status'; readonly status: number } | { readonly kind: 'hang' } | null;

export interface RequestLogEntry {
  readonly method: string;
  readonly path: string;
  /** The query string as sent (`queries[0]=…&total=false`). */
  readonly search: string;
  readonly status: number;
}

type RouteResult = { status: number; json: unknown };

export class FakeAppwrite {
  readonly databases = new Map<string, FakeDatabase>();
  readonly keys = new Map<string, readonly string[]>([[FULL_KEY, ALL_SCOPES]]);
  /** Keys revoked in the console: served as guests (appwrite-auth.ts) until taken out of this set. */
  readonly revoked = new Set<string>();
  readonly requests: RequestLogEntry[] = [];
  /** Every accepted row write: row id and the data as sent. */
  readonly writes: Array<{ rowId: string; data: Record<string, unknown> }> = [];
  readonly webhooks: FakeWebhook[] = [];
  /** Storage buckets and their files (appwrite-storage.ts), and the downloads asked of them. */
  readonly storage = new FakeStorage();
  readonly deliveries: Array<Promise<number>> = [];
  outage: FakeOutage = null;
  /** Runs as each answer is logged, before it is sent: lets a test change the server between two calls. */
  afterAnswer: ((request: { method: string; path: string; status: number }) => void) | null = null;
  /** Runs before each row update is checked: lets a test make an editor save the row at that moment. */
  beforeUpdate: ((row: FakeRow) => void) | null = null;
  /**
   * Awaited before a row update is checked (in ≤ 1.9.0 mode: after the cached copy is read, instead
   * of the usual delay), e.g. to hold a claim until a rival's claim of the row arrives: then a 409
   * for one of them on a server with row locks, a double grant without. Null: not held.
   */
  holdUpdate: ((rowId: string) => Promise<void> | null) | null = null;
  /** Delay before columns created through the API become `available`; null: they stay `processing` until buildColumns(). */
  columnBuildMs: number | null = 30;
  /**
   * The server's version (GET /v1/health/version): a 1.8 server has no varchar/text/mediumtext/longtext
   * column routes (only `string`); one older than the SDK's response format (1.9.5) warns in
   * X-Appwrite-Warning on every answer.
   */
  version = '1.9.5';
  /** Off: ≤ 1.9.0's conditional updates, checked against a cached copy of the row without a lock (appwrite-legacy.ts). */
  readonly cachedUpdates = new CachedUpdates();
  port = 0;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  async start(port = this.port): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Connection refused from now on (until start() again on the same port). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  table(databaseId: string, tableId: string): FakeTable {
    const table = this.databases.get(databaseId)?.tables.get(tableId);
    if (!table) throw new Error(`no table ${databaseId}/${tableId}`);
    return table;
  }

  row(databaseId: string, tableId: string, id: string): FakeRow {
    const row = this.table(databaseId, tableId).rows.get(id);
    if (!row) throw new Error(`no row ${id}`);
    return row;
  }

  /** Inserts like a CMS would (defaults applied, validated); `createdAt` lets a test control age. */
  insertRow(databaseId: string, tableId: string, id: string, data: Record<string, unknown>, createdAt = new Date()): FakeRow {
    const table = this.table(databaseId, tableId);
    if (table.rows.has(id)) throw new Error(`row ${id} exists`);
    const row = buildRow(table, id, data, createdAt);
    table.rows.set(id, row);
    return row;
  }

  /**
   * Changes a row behind the API. With `touch` it is an edit (new `$updatedAt`); without, it stands
   * for time passing (e.g. a heartbeat growing old), which does not change the row's version.
   */
  patchRow(databaseId: string, tableId: string, id: string, changes: Record<string, unknown>, touch = false): FakeRow {
    const row = this.row(databaseId, tableId, id);
    Object.assign(row, validateRowData(this.table(databaseId, tableId), changes));
    if (touch) row.$updatedAt = nextVersion(row);
    return row;
  }

  /** Makes columns still `processing` available (those of `keys`, or all): the server's worker finishing. */
  buildColumns(keys?: readonly string[]): void {
    for (const database of this.databases.values())
      for (const table of database.tables.values())
        for (const column of table.columns)
          if (column.status === 'processing' && (keys === undefined || keys.includes(column.key))) makeAvailable(table, column);
  }

  /** ≤ 1.9.0 mode: two claims arriving together can both be granted. */
  /**
   * Between tests of one file: every table's rows gone, every switch back to a healthy, current
   * server (no outage or hooks, row locks, 1.9.5, no revoked key), the logs emptied. The schema stays.
   */
  reset(): void {
    for (const database of this.databases.values()) for (const table of database.tables.values()) table.rows.clear();
    this.revoked.clear();
    this.requests.length = 0;
    this.writes.length = 0;
    this.outage = null;
    this.beforeUpdate = null;
    this.afterAnswer = null;
    this.holdUpdate = null;
    this.version = '1.9.5';
    this.cachedClaims = false;
    this.cachedUpdates.grants.length = 0;
    this.storage.reset();
  }

  get cachedClaims(): boolean {
    return this.cachedUpdates.enabled;
  }

  set cachedClaims(on: boolean) {
    this.cachedUpdates.enabled = on;
  }

  /** Conditional updates granted (in ≤ 1.9.0 mode) that a server with row locks would have refused. */
  get doubleGrants(): number {
    return this.cachedUpdates.grants.length;
  }

  /** Accepted writes to a row that set these values (e.g. `{status: 'completed'}`). */
  writesTo(rowId: string, values: Record<string, unknown>): number {
    return this.writes.filter((w) => w.rowId === rowId && Object.entries(values).every(([k, v]) => w.data[k] === v)).length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const log = (status: number): void => {
      this.requests.push({ method: req.method ?? '', path: url.pathname, search: url.search, status });
      this.afterAnswer?.({ method: req.method ?? '', path: url.pathname, status });
    };
    if (this.outage?.kind === 'hang') return; // the socket stays open; the client must give up
    const warning = responseWarning(req.headers['x-appwrite-response-format'], this.version);
    try {
      if (this.outage?.kind === 'status') throw new ApiError(this.outage.status, 'general_server_error', 'Server Error');
      if (url.pathname.startsWith('/v1/storage/')) {
        // Binary answers: the storage routes write the response themselves.
        const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
        return log(this.storage.handle(req, res, parts, this.authorize(req, scopeOf(req.method ?? 'GET', url.pathname))));
      }
      const body = await readJson(req);
      // Public: no key, no project needed.
      const { status, json } =
        req.method === 'GET' && url.pathname === '/v1/health/version'
          ? { status: 200, json: { version: this.version } }
          : await this.route(req, url, body, this.authorize(req, scopeOf(req.method ?? 'GET', url.pathname)));
      log(status);
      send(res, status, json, this.version, warning);
    } catch (err) {
      const error = err instanceof ApiError ? err : new ApiError(500, 'general_unknown', (err as Error).message);
      log(error.code);
      send(res, error.code, { message: error.message, code: error.code, type: error.type, version: this.version }, this.version, warning);
    }
  }

  private authorize(req: IncomingMessage, scope: string): Caller {
    if (req.headers['x-appwrite-project'] !== PROJECT)
      throw new ApiError(404, 'project_not_found', 'Project with the requested ID could not be found.');
    return callerOf(this.keys, this.revoked, String(req.headers['x-appwrite-key'] ?? ''), scope);
  }

  private route(req: IncomingMessage, url: URL, body: Record<string, unknown>, caller: Caller): RouteResult | Promise<RouteResult> {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'v1' || parts[1] !== 'tablesdb')
      throw new ApiError(404, 'general_route_not_found', 'The requested route was not found.');
    const method = req.method ?? 'GET';
    if (parts[5] === 'rows') return this.rowsRoute(method, parts, url, body, req.headers['x-appwrite-timestamp'], caller);
    return handleSchemaRoute(this, method, parts.slice(2), url, body);
  }

  private rowsRoute(
    method: string,
    parts: string[],
    url: URL,
    body: Record<string, unknown>,
    timestamp: string | string[] | undefined,
    caller: Caller,
  ): RouteResult | Promise<RouteResult> {
    const table = this.existingTable(parts[2] ?? '', parts[4] ?? '');
    const rowId = parts[6];
    const isDatetime = (attribute: string): boolean =>
      attribute === '$createdAt' || attribute === '$updatedAt' || table.columns.some((c) => c.key === attribute && c.type === 'datetime');
    if (method === 'GET' && rowId === undefined) {
      const available = new Map(table.columns.filter((c) => c.status === 'available').map((c) => [c.key, c]));
      const result = runList(listableRows(caller, table), planList(queriesFromSearch(url.searchParams), available), isDatetime);
      const total = url.searchParams.get('total') === 'false' ? 0 : Math.min(result.total, COUNT_CAP);
      return { status: 200, json: { total, rows: result.rows } };
    }
    if (method === 'POST' && rowId === undefined) {
      checkWrite(caller, table, 'create');
      const id = textParam(body.rowId, '');
      if (!KEY_PATTERN.test(id))
        throw new ApiError(
          400,
          'general_argument_invalid',
          "Invalid `rowId` param: Parameter must contain at most 36 chars. Valid chars are a-z, A-Z, 0-9, period, hyphen, and underscore. Can't start with a special char",
        );
      if (table.rows.has(id))
        throw new ApiError(
          409,
          'row_already_exists',
          'Row with the requested ID already exists. Try again with a different ID or use ID.unique() to generate a unique ID.',
        );
      const data = (body.data ?? {}) as Record<string, unknown>;
      const row = buildRow(table, id, data, new Date());
      table.rows.set(id, row);
      this.writes.push({ rowId: id, data });
      this.deliveries.push(...deliverWebhooks(this.webhooks, PROJECT, table, row, 'create'));
      return { status: 201, json: row };
    }
    const row = rowId === undefined ? undefined : table.rows.get(rowId);
    const found = method === 'GET' ? readableRow(caller, table, row) : row;
    if (!found) throw new ApiError(404, 'row_not_found', 'Row with the requested ID could not be found.');
    if (method === 'GET') return { status: 200, json: found };
    if (method !== 'PATCH') throw new ApiError(405, 'general_not_implemented', 'Not implemented in the fake');
    checkWrite(caller, table, 'update', found);
    if (this.cachedUpdates.enabled && typeof timestamp === 'string') return this.updateCached(table, found, body, timestamp);
    const hold = this.holdUpdate?.(found.$id) ?? null;
    if (hold) return this.updateHeld(table, found, body, timestamp, hold);
    return { status: 200, json: this.updateRow(table, found, body, timestamp) };
  }

  private async updateHeld(
    table: FakeTable,
    row: FakeRow,
    body: Record<string, unknown>,
    timestamp: string | string[] | undefined,
    hold: Promise<void>,
  ): Promise<RouteResult> {
    await hold;
    if (table.rows.get(row.$id) !== row) throw new ApiError(404, 'row_not_found', 'Row with the requested ID could not be found.');
    return { status: 200, json: this.updateRow(table, row, body, timestamp) };
  }

  /** ≤ 1.9.0: the timestamp checked against the row as read before an await, then the row written without a lock. */
  private async updateCached(table: FakeTable, row: FakeRow, body: Record<string, unknown>, timestamp: string): Promise<RouteResult> {
    const hold = this.holdUpdate?.(row.$id) ?? null;
    const since = await this.cachedUpdates.check(row, timestamp, () => table.rows.get(row.$id) === row, hold);
    // Decided in the same synchronous step as the write: would a server with row locks have refused it?
    const refusedByLock = Date.parse(row.$updatedAt) > since;
    const written = this.updateRow(table, row, body, undefined);
    if (refusedByLock) this.cachedUpdates.grants.push({ rowId: row.$id, data: (body.data ?? {}) as Record<string, unknown> });
    return { status: 200, json: written };
  }

  /** Check and write in one synchronous step: the row is locked for the duration, as in the server. */
  private updateRow(table: FakeTable, row: FakeRow, body: Record<string, unknown>, timestamp: string | string[] | undefined): FakeRow {
    this.beforeUpdate?.(row);
    if (typeof timestamp === 'string') {
      const since = Date.parse(timestamp);
      if (Number.isNaN(since)) throw new ApiError(400, 'general_argument_invalid', 'Invalid X-Appwrite-Timestamp header value');
      if (Date.parse(row.$updatedAt) > since) throw new ApiError(409, 'row_update_conflict', 'Remote document is newer than local.');
    }
    const data = (body.data ?? {}) as Record<string, unknown>;
    if (Object.keys(data).length === 0 && body.permissions === undefined)
      throw new ApiError(
        400,
        'row_missing_payload',
        'The row data and permissions are missing. You must provide either row data or permissions to be updated.',
      );
    const changes = validateRowData(table, data);
    // The server validates the whole row as it would be, not only the columns sent.
    checkWholeRow(table, { ...row, ...changes });
    const changed = Object.entries(changes).some(([k, v]) => JSON.stringify(row[k]) !== JSON.stringify(v));
    Object.assign(row, changes);
    // Like the server, an update that changes nothing leaves the row's version alone.
    if (changed) row.$updatedAt = nextVersion(row);
    this.writes.push({ rowId: row.$id, data });
    this.deliveries.push(...deliverWebhooks(this.webhooks, PROJECT, table, row, 'update'));
    return row;
  }

  existingTable(databaseId: string, tableId: string): FakeTable {
    const database = this.databases.get(databaseId);
    if (!database) throw new ApiError(404, 'database_not_found', 'Database not found');
    const table = database.tables.get(tableId);
    if (!table) throw new ApiError(404, 'table_not_found', 'Table with the requested ID could not be found.');
    return table;
  }
}

/**
 * The `$updatedAt` of a row's next version: the server's time, and always later than the version
 * before. The server stamps milliseconds; two writes within one millisecond would give two versions
 * the same stamp and let a stale X-Appwrite-Timestamp through, so how fast the machine is would
 * decide a race test. The fake never does that.
 */
function nextVersion(row: FakeRow): string {
  return appwriteTime(Math.max(Date.now(), Date.parse(row.$updatedAt) + 1));
}

function scopeOf(method: string, path: string): string {
  const parts = path.split('/').filter(Boolean);
  if (parts[1] === 'storage') return `files.${method === 'GET' ? 'read' : 'write'}`;
  const resource =
    parts.length <= 3
      ? 'databases'
      : parts[5] === 'columns'
        ? 'columns'
        : parts[5] === 'indexes'
          ? 'indexes'
          : parts[5] === 'rows'
            ? 'rows'
            : 'tables';
  return `${resource}.${method === 'GET' ? 'read' : 'write'}`;
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? (JSON.parse(text) as Record<string, unknown>) : {});
      } catch {
        reject(new ApiError(400, 'general_argument_invalid', 'Invalid JSON body'));
      }
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, json: unknown, version: string, warning: string | null = null): void {
  const body = JSON.stringify(json);
  res
    .writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'X-Appwrite-Version': version,
      ...(warning === null ? {} : { 'X-Appwrite-Warning': warning }),
    })
    .end(body);
}
