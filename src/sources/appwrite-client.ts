import { AppwriteException, Client, TablesDB } from 'node-appwrite';
import type { AppwriteConfig } from '../config/config.js';
import { AppError } from '../errors.js';

/** What a client needs to reach the project; the key never leaves this slice. */
export type AppwriteConnection = Pick<AppwriteConfig, 'endpoint' | 'projectId' | 'apiKey' | 'timeoutMs'>;

/**
 * The SDK's fetch has no deadline of its own (undici waits minutes for headers), so every request
 * gets an abort signal: a hung Appwrite must look like an outage, not a stuck poll.
 */
class TimedClient extends Client {
  constructor(private readonly timeoutMs: number) {
    super();
  }

  override prepareRequest(...args: Parameters<Client['prepareRequest']>): ReturnType<Client['prepareRequest']> {
    const prepared = super.prepareRequest(...args);
    prepared.options.signal = AbortSignal.timeout(this.timeoutMs);
    return prepared;
  }
}

/**
 * A TablesDB service on its own client. With `ifUnmodifiedSince` (a row's `$updatedAt` as read)
 * every write sends `X-Appwrite-Timestamp`, and the server answers 409 `row_update_conflict` if the
 * row changed since: the optimistic lock behind claims. The header applies to every request of a
 * client, hence one client per conditional write, never the shared one.
 */
export function createTables(connection: AppwriteConnection, ifUnmodifiedSince?: string): TablesDB {
  const client = new TimedClient(connection.timeoutMs)
    .setEndpoint(connection.endpoint)
    .setProject(connection.projectId)
    .setKey(connection.apiKey);
  if (ifUnmodifiedSince !== undefined) client.addHeader('X-Appwrite-Timestamp', ifUnmodifiedSince);
  return new TablesDB(client);
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
    return new AppError('cms_error', `Appwrite refused the request while ${doing}: ${what} (${err.code} ${err.type}: ${err.message})`, {
      cause: err,
      context: { ...context, missingScopes: scopes },
    });
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
