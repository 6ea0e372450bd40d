import type { RecordField } from '../config/config.js';
import type { FieldValues } from './appwrite-fields.js';
import { isoOf } from './appwrite-fields.js';
import { isValidRecordId, JOB_STATUSES, type JobStatus, type VideoRecord } from './cms-source.js';

/** Attachment meta keys are the record fields with this prefix (the plugin registers them). */
export const META_PREFIX = 'vc_';

/** The fields of a media item the daemon reads (`_fields=` keeps the answers small). */
export const MEDIA_FIELDS = 'id,date_gmt,modified_gmt,source_url,title,mime_type,meta';

/** A media item of `/wp/v2/media`, as far as the daemon reads it. */
export interface MediaItem {
  readonly id: number;
  readonly date_gmt?: string;
  readonly modified_gmt?: string;
  readonly source_url?: string;
  readonly mime_type?: string;
  readonly title?: { readonly rendered?: string; readonly raw?: string };
  readonly meta?: Readonly<Record<string, unknown>>;
}

const DEFAULT_PRIORITY = 5;

/** A meta value; WordPress answers '' (or 0) for an unset one, which means null here. */
export function metaValue(item: MediaItem, field: RecordField): unknown {
  const value = item.meta?.[META_PREFIX + field];
  return value === '' || value === undefined ? null : value;
}

/** `{ meta: { vc_status: … } }` for POST /wp/v2/media/<id>; null deletes the meta (WordPress's rule). */
export function toMeta(values: FieldValues): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([field, value]) => [META_PREFIX + field, value ?? null]));
}

/** WordPress's `*_gmt` dates have no zone: they are UTC. */
function gmt(value: string | undefined): string | null {
  return value ? isoOf(`${value}Z`) : null;
}

/** Our own shape of a media item; null when the id cannot name a storage directory. */
export function toRecord(item: MediaItem): VideoRecord | null {
  const id = String(item.id);
  if (!isValidRecordId(id)) return null;
  const get = (field: RecordField): unknown => metaValue(item, field);
  const status = String(get('status') ?? 'pending');
  const title = get('title') ?? item.title?.raw ?? item.title?.rendered ?? null;
  const created = gmt(item.date_gmt) ?? new Date(0).toISOString();
  return {
    source: 'wordpress',
    id,
    // The attachment's own file: what the editor uploaded.
    sourceUrl: typeof item.source_url === 'string' ? item.source_url : '',
    status: (JOB_STATUSES as readonly string[]).includes(status) ? (status as JobStatus) : 'pending',
    priority: typeof get('priority') === 'number' && (get('priority') as number) > 0 ? (get('priority') as number) : DEFAULT_PRIORITY,
    title: typeof title === 'string' && title !== '' ? title : null,
    retryCount: typeof get('retry_count') === 'number' ? (get('retry_count') as number) : 0,
    retryErrors: Array.isArray(get('retry_errors')) ? (get('retry_errors') as unknown[]).map(String) : [],
    createdAt: created,
    updatedAt: gmt(item.modified_gmt) ?? created,
    nextAttemptAt: isoOf(get('next_attempt_at')),
    claimedBy: typeof get('claimed_by') === 'string' ? (get('claimed_by') as string) : null,
    heartbeatAt: isoOf(get('heartbeat_at')),
  };
}
