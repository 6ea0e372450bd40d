import { RECORD_FIELDS, type RecordField } from '../domain/record-fields.js';
import { parseSourceList } from './parsers.js';
import type { RawEnv } from './schema.js';

/** Where and how to reach the Appwrite table (`SOURCES=appwrite`, `appwrite:setup`). */
export interface AppwriteConfig {
  /** With the `/v1` suffix, no trailing slash. */
  readonly endpoint: string;
  readonly projectId: string;
  readonly apiKey: string;
  readonly databaseId: string;
  readonly tableId: string;
  /** null: webhooks are refused (the poll still runs). */
  readonly webhookSecret: string | null;
  /** The URL exactly as configured on the Appwrite webhook: the first half of the signed message. */
  readonly webhookUrl: string;
  /** Contract field name → column key; identity unless APPWRITE_FIELD_MAP renames it. */
  readonly columns: Readonly<Record<RecordField, string>>;
  /** Every request to Appwrite is aborted after this long. */
  readonly timeoutMs: number;
  /** The Storage bucket of rows naming a `source_file_id` without a `source_bucket_id`; null: such rows must name one. */
  readonly sourceBucketId: string | null;
  /** Delete a row's Storage file once its ladder is published and the result written back. */
  readonly deleteSourceAfter: boolean;
}

const REQUIRED = ['APPWRITE_ENDPOINT', 'APPWRITE_PROJECT_ID', 'APPWRITE_API_KEY', 'APPWRITE_DATABASE_ID'] as const;

/**
 * Variables that `SOURCES=appwrite` needs and that have no default. Checked on the raw environment
 * (before parsing), so these problems are listed together with every other one.
 */
export function missingAppwriteVariables(env: Readonly<Record<string, string>>): string[] {
  if (!parseSourceList(env.SOURCES ?? '').kinds.includes('appwrite')) return [];
  return REQUIRED.filter((name) => !env[name]).map((name) => `${name}: is required when SOURCES includes appwrite`);
}

/** The Appwrite slice, or null when the connection variables are not all set. */
export function buildAppwriteConfig(raw: RawEnv, publicBaseUrl: string): AppwriteConfig | null {
  const { APPWRITE_ENDPOINT: endpoint, APPWRITE_PROJECT_ID: projectId, APPWRITE_API_KEY: apiKey, APPWRITE_DATABASE_ID: databaseId } = raw;
  if (!endpoint || !projectId || !apiKey || !databaseId) return null;
  const columns = Object.fromEntries(RECORD_FIELDS.map((field) => [field, raw.APPWRITE_FIELD_MAP[field] ?? field])) as Record<
    RecordField,
    string
  >;
  return {
    endpoint: endpoint.replace(/\/+$/, ''),
    projectId,
    apiKey,
    databaseId,
    tableId: raw.APPWRITE_TABLE_ID,
    webhookSecret: raw.APPWRITE_WEBHOOK_SECRET ?? null,
    webhookUrl: raw.APPWRITE_WEBHOOK_URL ?? `${publicBaseUrl}/api/webhooks/appwrite`,
    columns,
    timeoutMs: raw.APPWRITE_TIMEOUT,
    sourceBucketId: raw.APPWRITE_SOURCE_BUCKET_ID ?? null,
    deleteSourceAfter: raw.APPWRITE_DELETE_SOURCE_AFTER,
  };
}
