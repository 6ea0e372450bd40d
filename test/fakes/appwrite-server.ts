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
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { planList, queriesFromSearch, runList } from './appwrite-queries.js';
import { handleSchemaRoute, textParam } from './appwrite-schema-routes.js';
import {
  ApiError,
  appwriteTime,
  buildRow,
  KEY_PATTERN,
  validateRowData,
  type FakeDatabase,
  type FakeRow,
  type FakeTable,
} from './appwrite-store.js';
import { deliverWebhooks, type FakeWebhook } from './appwrite-webhooks.js';

export type { FakeWebhook } from './appwrite-webhooks.js';

export const PROJECT = 'vc-test';
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

export class FakeAppwrite {
  readonly databases = new Map<string, FakeDatabase>();
  readonly keys = new Map<string, readonly string[]>([[FULL_KEY, ALL_SCOPES]]);
  readonly requests: RequestLogEntry[] = [];
  /** Every accepted row write: row id and the data as sent. */
  readonly writes: Array<{ rowId: string; data: Record<string, unknown> }> = [];
  readonly webhooks: FakeWebhook[] = [];
  readonly deliveries: Array<Promise<number>> = [];
  outage: FakeOutage = null;
  /** Runs before each row update is checked: lets a test make an editor save the row at that moment. */
  beforeUpdate: ((row: FakeRow) => void) | null = null;
  /** Delay before columns created through the API become `available`. */
  columnBuildMs = 30;
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

  /** Accepted writes to a row that set these values (e.g. `{status: 'completed'}`). */
  writesTo(rowId: string, values: Record<string, unknown>): number {
    return this.writes.filter((w) => w.rowId === rowId && Object.entries(values).every(([k, v]) => w.data[k] === v)).length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const log = (status: number): void =>
      void this.requests.push({ method: req.method ?? '', path: url.pathname, search: url.search, status });
    if (this.outage?.kind === 'hang') return; // the socket stays open; the client must give up
    try {
      if (this.outage?.kind === 'status') throw new ApiError(this.outage.status, 'general_server_error', 'Server Error');
      const body = await readJson(req);
      this.authorize(req, scopeOf(req.method ?? 'GET', url.pathname));
      const { status, json } = this.route(req, url, body);
      log(status);
      send(res, status, json);
    } catch (err) {
      const error = err instanceof ApiError ? err : new ApiError(500, 'general_unknown', (err as Error).message);
      log(error.code);
      send(res, error.code, { message: error.message, code: error.code, type: error.type, version: '1.9.0' });
    }
  }

  private authorize(req: IncomingMessage, scope: string): void {
    if (req.headers['x-appwrite-project'] !== PROJECT)
      throw new ApiError(404, 'project_not_found', 'Project with the requested ID could not be found.');
    const key = String(req.headers['x-appwrite-key'] ?? '');
    const scopes = this.keys.get(key);
    if (!scopes) throw new ApiError(401, 'general_unauthorized_scope', `User (role: guests) missing scopes (${JSON.stringify([scope])})`);
    if (!scopes.includes(scope))
      throw new ApiError(
        401,
        'general_unauthorized_scope',
        `app.${PROJECT}@service.127.0.0.1 (role: applications) missing scopes (${JSON.stringify([scope])})`,
      );
  }

  private route(req: IncomingMessage, url: URL, body: Record<string, unknown>): { status: number; json: unknown } {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'v1' || parts[1] !== 'tablesdb')
      throw new ApiError(404, 'general_route_not_found', 'The requested route was not found.');
    const method = req.method ?? 'GET';
    if (parts[5] === 'rows') return this.rowsRoute(method, parts, url, body, req.headers['x-appwrite-timestamp']);
    return handleSchemaRoute(this, method, parts.slice(2), url, body);
  }

  private rowsRoute(
    method: string,
    parts: string[],
    url: URL,
    body: Record<string, unknown>,
    timestamp: string | string[] | undefined,
  ): { status: number; json: unknown } {
    const table = this.existingTable(parts[2] ?? '', parts[4] ?? '');
    const rowId = parts[6];
    const isDatetime = (attribute: string): boolean =>
      attribute === '$createdAt' || attribute === '$updatedAt' || table.columns.some((c) => c.key === attribute && c.type === 'datetime');
    if (method === 'GET' && rowId === undefined) {
      const available = new Map(table.columns.filter((c) => c.status === 'available').map((c) => [c.key, c]));
      const result = runList([...table.rows.values()], planList(queriesFromSearch(url.searchParams), available), isDatetime);
      return { status: 200, json: { total: url.searchParams.get('total') === 'false' ? 0 : result.total, rows: result.rows } };
    }
    if (method === 'POST' && rowId === undefined) {
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
    if (!row) throw new ApiError(404, 'row_not_found', 'Row with the requested ID could not be found.');
    if (method === 'GET') return { status: 200, json: row };
    if (method !== 'PATCH') throw new ApiError(405, 'general_not_implemented', 'Not implemented in the fake');
    return { status: 200, json: this.updateRow(table, row, body, timestamp) };
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

function send(res: ServerResponse, status: number, json: unknown): void {
  const body = JSON.stringify(json);
  res
    .writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'X-Appwrite-Version': '1.9.0',
    })
    .end(body);
}
