import { isValidRecordId, type VideoRecord } from '../domain/record.js';
import { RECORD_FIELDS, wordpressMetaType, type RecordField } from '../domain/record-fields.js';
import type { SourceJob } from '../domain/source-job.js';
import { isoOf, jobFromFields, recordFromFields, type FieldValues, type RecordIdentity } from './record-values.js';

/** Attachment meta keys are the record fields with this prefix (the plugin registers them). */
export const META_PREFIX = 'vcmp_';

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

/** `register_post_meta` types of the plugin's `vcmp_` meta, derived from the field table (the PHP list is checked against it). */
export const META_TYPES: Readonly<Record<RecordField, string>> = Object.fromEntries(
  RECORD_FIELDS.map((f) => [f, wordpressMetaType(f)]),
) as Record<RecordField, string>;

/** A meta value; WordPress answers '' (or 0) for an unset one, which means null here. */
export function metaValue(item: MediaItem, field: RecordField): unknown {
  const value = item.meta?.[META_PREFIX + field];
  return value === '' || value === undefined ? null : value;
}

/** `{ meta: { vcmp_status: … } }` for POST /wp/v2/media/<id>; null deletes the meta (WordPress's rule). */
export function toMeta(values: FieldValues): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([field, value]) => [META_PREFIX + field, value ?? null]));
}

/** WordPress's `*_gmt` dates have no zone: they are UTC. */
function gmt(value: string | undefined): string | null {
  return value ? isoOf(`${value}Z`) : null;
}

/** What WordPress knows of the video outside its meta; null when the id cannot name a storage directory. */
function identityOf(item: MediaItem): RecordIdentity | null {
  const id = String(item.id);
  if (!isValidRecordId(id)) return null;
  const title = metaValue(item, 'title') ?? item.title?.raw ?? item.title?.rendered ?? null;
  const created = gmt(item.date_gmt) ?? new Date(0).toISOString();
  return {
    source: 'wordpress',
    id,
    // The attachment's own file: what the editor uploaded.
    sourceUrl: typeof item.source_url === 'string' ? item.source_url : '',
    title: typeof title === 'string' && title !== '' ? title : null,
    createdAt: created,
    updatedAt: gmt(item.modified_gmt) ?? created,
  };
}

/** Our own shape of a media item; null when the id cannot name a storage directory. */
export function toRecord(item: MediaItem): VideoRecord | null {
  const identity = identityOf(item);
  return identity && recordFromFields((field) => metaValue(item, field), identity);
}

/** The video as the operator sees it; null for an attachment the daemon does not track (no vcmp_status) or whose id is unusable. */
export function toJob(item: MediaItem): SourceJob | null {
  const identity = identityOf(item);
  if (!identity || metaValue(item, 'status') === null) return null;
  return jobFromFields((field) => metaValue(item, field), identity);
}
