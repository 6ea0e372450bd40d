import { AppwriteException, Client, TablesDB } from 'node-appwrite';
import type { AppwriteConfig } from '../config/config.js';
import { AppError } from '../errors.js';
import type { ServerWarnings } from './appwrite-warnings.js';

/** What a client needs to reach the project; the key never leaves this slice. */
export type AppwriteConnection = Pick<AppwriteConfig, 'endpoint' | 'projectId' | 'apiKey' | 'timeoutMs'>;

/** How a client talks to the server beyond the connection. */
export interface ClientOptions {
  /** Sent as X-Appwrite-Timestamp with every request: see {@link createTables}. */
  readonly ifUnmodifiedSince?: string;
  /** Where the server's X-Appwrite-Warning headers go; without it the SDK prints them (the CLI commands). */
  readonly warnings?: ServerWarnings;
}

/**
 * The SDK's fetch has no deadline of its own (undici waits minutes for headers), so every request
 * gets an abort signal: a hung Appwrite must look like an outage, not a stuck poll.
 */
class TimedClient extends Client {
  constructor(
    private readonly timeoutMs: number,
    private readonly warnings: ServerWarnings | undefined,
  ) {
    super();
  }

  override prepareRequest(...args: Parameters<Client['prepareRequest']>): ReturnType<Client['prepareRequest']> {
    const prepared = super.prepareRequest(...args);
    prepared.options.signal = AbortSignal.timeout(this.timeoutMs);
    if (this.warnings) prepared.options.dispatcher = this.warnings.dispatcher(prepared.options.dispatcher);
    return prepared;
  }
}

/** A client of the project: with the key unless `withKey` is false (routes every visitor may call). */
export function createClient(connection: AppwriteConnection, options: ClientOptions = {}, withKey = true): Client {
  const client = new TimedClient(connection.timeoutMs, options.warnings).setEndpoint(connection.endpoint).setProject(connection.projectId);
  if (withKey) client.setKey(connection.apiKey);
  if (options.ifUnmodifiedSince !== undefined) client.addHeader('X-Appwrite-Timestamp', options.ifUnmodifiedSince);
  return client;
}

/**
 * A TablesDB service on its own client. With `ifUnmodifiedSince` (a row's `$updatedAt` as read)
 * every write sends `X-Appwrite-Timestamp`, and the server answers 409 `row_update_conflict` if the
 * row changed since: the optimistic lock behind claims. The header applies to every request of a
 * client, hence one client per conditional write, never the shared one.
 */
export function createTables(connection: AppwriteConnection, options: ClientOptions = {}): TablesDB {
  return new TablesDB(createClient(connection, options));
}

/** Another worker (or an editor) wrote the row after we read it. */
export function isUpdateConflict(err: unknown): boolean {
  return (
    err instanceof AppwriteException && err.code === 409 && (err.type === 'row_update_conflict' || err.type === 'document_update_conflict')
  );
}

/** 404 of one kind (`row_not_found`, `database_not_found`, `table_not_found`, `column_not_found`…). */
export function isNotFound(err: unknown, type: string): boolean {
  return err instanceof AppwriteException && err.code === 404 && err.type === type;
}

/** 400: the row was written with a column the table does not have (a table set up before the column existed). */
export function isUnknownColumn(err: unknown, column: string): boolean {
  return (
    err instanceof AppwriteException &&
    err.code === 400 &&
    (err.type === 'row_invalid_structure' || err.type === 'document_invalid_structure') &&
    err.message.includes(`Unknown attribute: "${column}"`)
  );
}

/** 409 `*_already_exists`: someone (a previous run) created it first. */
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof AppwriteException && err.code === 409 && err.type.endsWith('_already_exists');
}

export function isUnauthorized(err: unknown): err is AppwriteException {
  return err instanceof AppwriteException && (err.code === 401 || err.code === 403);
}

/**
 * The scopes a 401 names: Appwrite says `… (role: applications) missing scopes (["rows.read"])`.
 * Read only to tell the operator what to grant; nothing branches on it.
 */
export function missingScopes(err: AppwriteException): string[] {
  // Older servers write `missing scope (rows.read)`, newer ones a JSON array.
  const match = /missing scopes? \((.*)\)/.exec(err.message);
  const listed = match?.[1]?.trim() ?? '';
  if (!listed.startsWith('['))
    return listed
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  try {
    const scopes: unknown = JSON.parse(listed);
    return Array.isArray(scopes) ? scopes.map(String) : [];
  } catch {
    return [];
  }
}

/**
 * Classifies whatever the SDK threw (at the edge, by HTTP status, `type` and system error code)
 * into the retryable `cms_error` of the CmsSource contract, with a message an operator can act on.
 */
export function toCmsError(err: unknown, doing: string): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof AppwriteException) return fromAppwriteException(err, doing);
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new AppError('cms_error', `Appwrite did not answer in time while ${doing}`, { cause: err });
  }
  // undici's fetch fails with a TypeError whose cause carries the system error code.
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return new AppError('cms_error', `Appwrite is unreachable while ${doing} (${code ?? cause.message})`, {
      cause: err,
      context: { code: code ?? null },
    });
  }
  return new AppError('cms_error', `Appwrite request failed while ${doing}: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
  });
}

function fromAppwriteException(err: AppwriteException, doing: string): AppError {
  const context = { status: err.code, type: err.type };
  if (err.code === 401 || err.code === 403) {
    const scopes = missingScopes(err);
    const what = scopes.length > 0 ? `the API key lacks the scope ${scopes.join(', ')}` : 'the API key or project id is wrong';
    return new AppError(
      'cms_unauthorized',
      `Appwrite refused the request while ${doing}: ${what} (${err.code} ${err.type}: ${err.message})`,
      {
        cause: err,
        context: { ...context, missingScopes: scopes },
      },
    );
  }
  if (err.code === 404 && (err.type === 'database_not_found' || err.type === 'table_not_found')) {
    return new AppError(
      'cms_error',
      `Appwrite has no such ${err.type.split('_')[0]} while ${doing}: run \`video-compressor appwrite:setup\` or check APPWRITE_DATABASE_ID / APPWRITE_TABLE_ID`,
      {
        cause: err,
        context,
      },
    );
  }
  const status = err.code === 0 ? 'no HTTP status' : `HTTP ${err.code}`;
  // A proxy's error page can be the whole message: keep the start.
  const message = err.message.length > 300 ? `${err.message.slice(0, 299)}…` : err.message;
  return new AppError('cms_error', `Appwrite failed while ${doing} (${status}${err.type ? ` ${err.type}` : ''}: ${message})`, {
    cause: err,
    context,
  });
}
