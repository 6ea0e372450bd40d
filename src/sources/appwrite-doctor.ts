import { Query, type TablesDB } from 'node-appwrite';
import type { AppwriteConfig } from '../config/config.js';
import { RECORD_FIELDS } from '../domain/record-fields.js';
import { createTables, isNotFound, isUnauthorized, toCmsError } from './appwrite-client.js';
import { COLUMN_SPECS, columnMismatch, INDEX_SPECS } from './appwrite-schema.js';
import { indexColumns, listColumns } from './appwrite-setup.js';
import { checkStorage } from './appwrite-storage.js';
import { checkVersion } from './appwrite-version.js';
import { ServerWarnings } from './appwrite-warnings.js';

/** One line of the doctor's report. */
export interface AppwriteCheck {
  readonly level: 'ok' | 'warn' | 'fail';
  readonly name: string;
  readonly detail: string;
}

/**
 * The endpoint answers, the key may read and write rows (the daemon's scopes), the table has every
 * column (and the poll's indexes), the webhook can be verified, the key may read the files of
 * APPWRITE_SOURCE_BUCKET_ID (when set; delete them with APPWRITE_DELETE_SOURCE_AFTER), the server's version locks claims
 * (and what else it warns about). Reads only: the write probe targets a row id that does not exist.
 */
export async function checkAppwrite(config: AppwriteConfig): Promise<AppwriteCheck[]> {
  // The server's X-Appwrite-Warning headers become lines of the report, instead of the SDK printing one per request.
  const warnings = new ServerWarnings(() => undefined);
  const tables = createTables(config, { warnings });
  const read = await checkRead(tables, config);
  if (read.level === 'fail') return [read];
  const checks = [read, await checkWrite(tables, config), ...(await checkSchema(tables, config)), checkWebhook(config)];
  checks.push(...(await checkStorage(config)));
  // A server up to 1.9.0 may grant one claim twice: the claim token copes, but the operator should know.
  const version = await checkVersion(config, warnings);
  return [...checks, version, ...warnings.messages.map((detail): AppwriteCheck => ({ level: 'warn', name: 'appwrite warning', detail }))];
}

async function checkRead(tables: TablesDB, config: AppwriteConfig): Promise<AppwriteCheck> {
  const name = 'appwrite rows';
  const refused = await keyRefused(tables, config);
  if (refused) return { level: 'fail', name, detail: refused };
  try {
    const { total } = await tables.listRows({
      databaseId: config.databaseId,
      tableId: config.tableId,
      queries: [Query.equal(config.columns.status, 'pending'), Query.limit(1)],
    });
    return { level: 'ok', name, detail: `${config.endpoint} ${config.databaseId}/${config.tableId} readable (${total} pending)` };
  } catch (err) {
    return { level: 'fail', name, detail: toCmsError(err, 'reading rows').message };
  }
}

/**
 * Why Appwrite does not take the key as the project's, or null. A wrong or revoked key is served as a
 * guest, and a guest may list a table whose permissions let guests read: the rows probe alone would
 * pass. Reading the table's definition needs the key (guests never hold tables.read): a refusal
 * that names the guests role means the key was not recognised; one that names the applications
 * role is a key that only lacks that doctor-only scope (the columns check says so).
 */
async function keyRefused(tables: TablesDB, config: AppwriteConfig): Promise<string | null> {
  try {
    await tables.getTable({ databaseId: config.databaseId, tableId: config.tableId });
    return null;
  } catch (err) {
    // The role is only in the message: `User (role: guests) missing scopes (["tables.read"])`.
    if (!isUnauthorized(err) || !/\(role: guests?\)/i.test(err.message)) return null;
    return `Appwrite does not recognise APPWRITE_API_KEY (wrong, revoked or of another project) and serves it as a guest (${err.code} ${err.type})`;
  }
}

/** Appwrite checks the key's scopes before the row's existence: 404 proves rows.write, 401 denies it. */
async function checkWrite(tables: TablesDB, config: AppwriteConfig): Promise<AppwriteCheck> {
  const name = 'appwrite write';
  try {
    await tables.updateRow({
      databaseId: config.databaseId,
      tableId: config.tableId,
      rowId: 'vc-doctor-probe',
      data: { [config.columns.step]: null },
    });
    return { level: 'warn', name, detail: 'a row with the id vc-doctor-probe exists and was touched' };
  } catch (err) {
    if (isNotFound(err, 'row_not_found')) return { level: 'ok', name, detail: 'the key may update rows' };
    return { level: 'fail', name, detail: toCmsError(err, 'probing write access').message };
  }
}

async function checkSchema(tables: TablesDB, config: AppwriteConfig): Promise<AppwriteCheck[]> {
  let columns;
  try {
    columns = await listColumns(tables, config);
  } catch (err) {
    const level = isUnauthorized(err) ? 'warn' : 'fail';
    return [{ level, name: 'appwrite columns', detail: `cannot list the columns: ${toCmsError(err, 'listing columns').message}` }];
  }
  const missing: string[] = [];
  const wrong: string[] = [];
  const building: string[] = [];
  for (const field of RECORD_FIELDS) {
    const key = config.columns[field];
    const column = columns.get(key);
    const mismatch = column ? columnMismatch(COLUMN_SPECS[field], column) : null;
    if (!column) missing.push(key);
    else if (mismatch) wrong.push(`${key} ${mismatch}`);
    else if (column.status !== 'available') building.push(`${key} (${column.status})`);
  }
  const checks: AppwriteCheck[] = [];
  if (missing.length > 0)
    checks.push({
      level: 'fail',
      name: 'appwrite columns',
      detail: `missing: ${missing.join(', ')} — run \`video-compressor appwrite:setup\` or map them (APPWRITE_FIELD_MAP)`,
    });
  if (wrong.length > 0) checks.push({ level: 'fail', name: 'appwrite columns', detail: `wrong type: ${wrong.join('; ')}` });
  if (building.length > 0) checks.push({ level: 'warn', name: 'appwrite columns', detail: `not available yet: ${building.join(', ')}` });
  if (checks.length === 0) checks.push({ level: 'ok', name: 'appwrite columns', detail: `all ${RECORD_FIELDS.length} present` });
  return [...checks, await checkIndexes(tables, config)];
}

async function checkIndexes(tables: TablesDB, config: AppwriteConfig): Promise<AppwriteCheck> {
  const name = 'appwrite indexes';
  try {
    const { indexes } = await tables.listIndexes({ databaseId: config.databaseId, tableId: config.tableId, queries: [Query.limit(100)] });
    const have = new Set(indexes.map((index) => index.columns.join(',')));
    const missing = INDEX_SPECS.filter((spec) => !have.has(indexColumns(config, spec.fields).join(',')));
    return missing.length === 0
      ? { level: 'ok', name, detail: 'the poll is indexed' }
      : {
          level: 'warn',
          name,
          detail: `missing ${missing.map((s) => s.key).join(', ')}: polls slow down as the table grows (appwrite:setup adds them)`,
        };
  } catch (err) {
    return { level: 'warn', name, detail: `cannot list the indexes: ${toCmsError(err, 'listing indexes').message}` };
  }
}

function checkWebhook(config: AppwriteConfig): AppwriteCheck {
  return config.webhookSecret
    ? { level: 'ok', name: 'appwrite webhook', detail: `signatures verified for ${config.webhookUrl}` }
    : {
        level: 'warn',
        name: 'appwrite webhook',
        detail: 'APPWRITE_WEBHOOK_SECRET unset: webhooks refused, new rows wait for the next poll',
      };
}
