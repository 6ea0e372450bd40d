/**
 * Who the fake Appwrite server takes a request for, as the server does. A known key is the
 * project's application, with that key's scopes, and passes every permission. A wrong, revoked or
 * missing key is not refused at the door: the request goes on as a guest, whose role has the rows
 * and files scopes (and no schema scope), and the table's permissions (or, under row security, the row's)
 * then decide. So a guest's listing or update of a table without guest permissions answers 401
 * `user_unauthorized`, and its getRow answers 404 `row_not_found`, exactly as for a deleted row.
 */
import { ApiError, type FakeRow, type FakeTable } from './appwrite-store.js';

export type Caller = 'application' | 'guest';
export type RowAction = 'read' | 'create' | 'update';

/** The scopes of the guests role among those the fake knows. */
export const GUEST_SCOPES: readonly string[] = ['rows.read', 'rows.write', 'files.read'];

function missingScope(role: string, who: string, scope: string): ApiError {
  return new ApiError(401, 'general_unauthorized_scope', `${who} (role: ${role}) missing scopes (${JSON.stringify([scope])})`);
}

/**
 * The caller behind `key` for a request that needs `scope`; 401 general_unauthorized_scope, naming
 * the role, when that role lacks the scope.
 */
export function callerOf(keys: ReadonlyMap<string, readonly string[]>, revoked: ReadonlySet<string>, key: string, scope: string): Caller {
  const scopes = revoked.has(key) ? undefined : keys.get(key);
  if (scopes === undefined) {
    if (!GUEST_SCOPES.includes(scope)) throw missingScope('guests', 'User', scope);
    return 'guest';
  }
  if (!scopes.includes(scope)) throw missingScope('applications', 'app.vc-test@service.127.0.0.1', scope);
  return 'application';
}

/** `write` stands for create, update and delete, as in the server's permission strings. */
function grants(permissions: readonly unknown[], action: RowAction): boolean {
  const verbs = action === 'read' ? ['read'] : [action, 'write'];
  return permissions.some((p) => verbs.some((verb) => p === `${verb}("any")` || p === `${verb}("guests")`));
}

function mayOnRow(table: FakeTable, action: RowAction, row: FakeRow | undefined): boolean {
  if (grants(table.permissions, action)) return true;
  return table.rowSecurity && row !== undefined && Array.isArray(row.$permissions) && grants(row.$permissions, action);
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'user_unauthorized', 'The current user is not authorized to perform the requested action.');
}

/** The rows a listing may show: all of them to the application; to a guest, per the permissions. */
export function listableRows(caller: Caller, table: FakeTable): FakeRow[] {
  const rows = [...table.rows.values()];
  if (caller === 'application' || grants(table.permissions, 'read')) return rows;
  if (!table.rowSecurity) throw unauthorized();
  return rows.filter((row) => mayOnRow(table, 'read', row));
}

/** A row the caller may not see is a row that does not exist. */
export function readableRow(caller: Caller, table: FakeTable, row: FakeRow | undefined): FakeRow | undefined {
  return row !== undefined && (caller === 'application' || mayOnRow(table, 'read', row)) ? row : undefined;
}

/** Throws 401 user_unauthorized when a guest may not create or update (the row, for an update). */
export function checkWrite(caller: Caller, table: FakeTable, action: 'create' | 'update', row?: FakeRow): void {
  if (caller === 'guest' && !mayOnRow(table, action, row)) throw unauthorized();
}
