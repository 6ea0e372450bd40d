import { Query, Storage } from 'node-appwrite';
import type { AppwriteConfig } from '../config/config.js';
import { APPWRITE_KEY_PATTERN } from '../config/appwrite-field-map.js';
import type { SourceAccess } from '../domain/record.js';
import type { Logger } from '../logging/logger.js';
import { createClient, isNotFound, isUnauthorized, missingScopes, toCmsError } from './appwrite-client.js';

/** What resolving a Storage file needs: where the project is, its key, the default bucket. */
export type StorageConnection = Pick<AppwriteConfig, 'endpoint' | 'projectId' | 'apiKey' | 'sourceBucketId'>;

/** A row's source as a Storage file: the URL the pipeline downloads and what that request needs. */
export interface StorageSource {
  readonly sourceUrl: string;
  readonly sourceAccess: SourceAccess;
}

/** The Storage API's download route of one file (the original bytes, unlike /view or /preview). */
export function storageDownloadUrl(endpoint: string, bucketId: string, fileId: string): string {
  return `${endpoint}/storage/buckets/${encodeURIComponent(bucketId)}/files/${encodeURIComponent(fileId)}/download`;
}

/** A row's Storage file: its ids, or why they cannot name one. */
type StorageFile = { readonly fileId: string; readonly bucketId: string } | { readonly problem: string };

/** The row's `source_file_id` and bucket (its `source_bucket_id`, else the default); null when the row names no file. */
function storageFile(fileId: unknown, bucketId: unknown, defaultBucket: string | null): StorageFile | null {
  if (typeof fileId !== 'string' || fileId.trim() === '') return null;
  const file = fileId.trim();
  const bucket = typeof bucketId === 'string' && bucketId.trim() !== '' ? bucketId.trim() : defaultBucket;
  if (bucket === null)
    return { problem: `The row names the Storage file ${file} but no bucket: set its source_bucket_id, or APPWRITE_SOURCE_BUCKET_ID.` };
  if (!APPWRITE_KEY_PATTERN.test(file) || !APPWRITE_KEY_PATTERN.test(bucket))
    return { problem: 'The row’s source_file_id or source_bucket_id is not an Appwrite id (letters, digits, . _ -, up to 36).' };
  return { fileId: file, bucketId: bucket };
}

/**
 * The row's `source_file_id` (bucket: its `source_bucket_id`, else APPWRITE_SOURCE_BUCKET_ID) as a
 * download, or null when the row names no file (its `source_url` is then the source). A row naming
 * a file wins over its `source_url`: an app that uploads to Storage may keep another link there.
 * A file that cannot be fetched (no bucket, or ids that are not Appwrite ids) still makes a
 * source, with a `problem` the download fails with for good: the row ends failed and says why.
 */
export function storageSource(fileId: unknown, bucketId: unknown, connection: StorageConnection): StorageSource | null {
  const file = storageFile(fileId, bucketId, connection.sourceBucketId);
  if (file === null) return null;
  if ('problem' in file) return { sourceUrl: '', sourceAccess: storageAccess(connection, file.problem) };
  return { sourceUrl: storageDownloadUrl(connection.endpoint, file.bucketId, file.fileId), sourceAccess: storageAccess(connection, null) };
}

/**
 * APPWRITE_DELETE_SOURCE_AFTER: deletes the Storage file a completed row names. Called once the
 * ladder is published and verified and the result written back, so the original is no longer
 * needed. Never throws: the job is done whatever happens here; a failure is logged for the operator.
 */
export async function deleteSourceFile(config: AppwriteConfig, fileId: unknown, bucketId: unknown, log: Logger): Promise<void> {
  const file = config.deleteSourceAfter ? storageFile(fileId, bucketId, config.sourceBucketId) : null;
  if (file === null || 'problem' in file) return;
  try {
    await new Storage(createClient(config)).deleteFile({ bucketId: file.bucketId, fileId: file.fileId });
    log.info({ bucketId: file.bucketId, fileId: file.fileId }, 'source file deleted from Appwrite Storage');
  } catch (err) {
    // Gone already (deleted by the app, or by an earlier run of this write-back): nothing left to do.
    if (isNotFound(err, 'storage_file_not_found')) return;
    const { message } = toCmsError(err, `deleting the source file ${file.fileId} of bucket ${file.bucketId}`);
    log.warn({ bucketId: file.bucketId, fileId: file.fileId }, `${message}; the file stays in the bucket`);
  }
}

/**
 * The key travels in headers, never in the URL (which is logged, redacted or not). `headers` is
 * not enumerable: a record logged or serialised anywhere leaves the key out.
 */
function storageAccess(connection: StorageConnection, problem: string | null): SourceAccess {
  const access = { trustedHost: new URL(connection.endpoint).hostname, problem } as SourceAccess;
  Object.defineProperty(access, 'headers', {
    value: Object.freeze({ 'X-Appwrite-Project': connection.projectId, 'X-Appwrite-Key': connection.apiKey }),
    enumerable: false,
  });
  return access;
}

/** One line of the doctor's report (the shape of AppwriteCheck). */
export interface StorageCheck {
  readonly level: 'ok' | 'warn' | 'fail';
  readonly name: string;
  readonly detail: string;
}

/**
 * With APPWRITE_SOURCE_BUCKET_ID set: the bucket exists and the key may read its files (files.read);
 * with APPWRITE_DELETE_SOURCE_AFTER too, that it may delete them (files.write). Reads only: the
 * delete probe targets a file id that does not exist, and the server checks the scope first.
 */
export async function checkStorage(config: AppwriteConfig): Promise<StorageCheck[]> {
  const bucketId = config.sourceBucketId;
  if (bucketId === null) return [];
  const name = 'appwrite storage';
  const storage = new Storage(createClient(config));
  try {
    await storage.listFiles({ bucketId, queries: [Query.limit(1)], total: false });
  } catch (err) {
    return [{ level: 'fail', name, detail: storageRefusal(err, bucketId, 'read', 'files.read') }];
  }
  const read: StorageCheck = { level: 'ok', name, detail: `bucket ${bucketId} readable: rows may name their video by source_file_id` };
  if (!config.deleteSourceAfter) return [read];
  try {
    await storage.deleteFile({ bucketId, fileId: 'vc-doctor-probe' });
    return [read, { level: 'warn', name, detail: `a file vc-doctor-probe existed in bucket ${bucketId} and was deleted` }];
  } catch (err) {
    if (isNotFound(err, 'storage_file_not_found')) return [read, { level: 'ok', name, detail: 'the key may delete source files' }];
    return [read, { level: 'fail', name, detail: storageRefusal(err, bucketId, 'delete', 'files.write') }];
  }
}

function storageRefusal(err: unknown, bucketId: string, verb: string, scope: string): string {
  if (!isUnauthorized(err)) return toCmsError(err, `trying to ${verb} the files of bucket ${bucketId}`).message;
  const scopes = missingScopes(err);
  return `the API key may not ${verb} the files of bucket ${bucketId}: grant it ${scopes.length > 0 ? scopes.join(', ') : scope}`;
}
