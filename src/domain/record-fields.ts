import { renditionFromJson, renditionToJson, type Rendition } from './rendition.js';
import { JOB_STATUSES, JOB_STEPS, type JobStatus, type JobStep } from './record.js';

/**
 * The record's fields, once. Every store and CMS derives its shape from this table: the local
 * `jobs` table's columns (checked by a test against the migrations), the API's JSON, Appwrite's
 * columns and field map, WordPress's `vcmp_` meta (and the plugin's PHP list, checked by a test).
 * Adding a field here is the whole change for the mappings; each store then needs its migration.
 */
export type FieldType =
  | 'url'
  | 'enum'
  | 'integer'
  | 'float'
  | 'datetime'
  /** A bounded string (Appwrite varchar). */
  | 'string'
  /** A list of bounded strings. */
  | 'string[]'
  /** An unbounded string (Appwrite text, outside the row-width budget). */
  | 'text'
  /** `[{name, width, height, bandwidth, average_bandwidth, codecs, playlist_url}]`, stored as JSON text. */
  | 'renditions';

export interface FieldSpec {
  readonly type: FieldType;
  /** Every record has it (a CMS that creates a record sets this and nothing else). */
  readonly required?: boolean;
  readonly default?: string | number;
  /** The allowed values of an `enum`, or the values a `string` takes in practice (typing only). */
  readonly values?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** Longer values are cut on write so a CMS column never refuses one. */
  readonly maxLength?: number;
}

/** The field table. Order is the order of the API's JSON and of `appwrite:setup`. */
export const RECORD_FIELD_TABLE = {
  source_url: { type: 'url', required: true },
  status: { type: 'enum', values: JOB_STATUSES, default: 'pending' },
  priority: { type: 'integer', min: 1, max: 10, default: 5 },
  title: { type: 'string', maxLength: 255 },
  retry_count: { type: 'integer', min: 0, max: 1000, default: 0 },
  last_retry_at: { type: 'datetime' },
  next_attempt_at: { type: 'datetime' },
  retry_errors: { type: 'string[]', maxLength: 1000 },
  error: { type: 'text', maxLength: 4000 },
  error_code: { type: 'string', maxLength: 64 },
  claimed_by: { type: 'string', maxLength: 128 },
  claimed_at: { type: 'datetime' },
  heartbeat_at: { type: 'datetime' },
  progress: { type: 'integer', min: 0, max: 100, default: 0 },
  step: { type: 'string', maxLength: 32, values: JOB_STEPS },
  hls_url: { type: 'url' },
  poster_url: { type: 'url' },
  renditions: { type: 'renditions' },
  duration: { type: 'float' },
  width: { type: 'integer', min: 0 },
  height: { type: 'integer', min: 0 },
  processing_ms: { type: 'integer', min: 0 },
  output_bytes: { type: 'integer', min: 0 },
  completed_at: { type: 'datetime' },
  /** Previews (PREVIEWS=on): evenly spaced stills, the seek-bar storyboard (WebVTT), a short silent loop. */
  thumbnail_urls: { type: 'string[]', maxLength: 2048 },
  storyboard_url: { type: 'url' },
  preview_url: { type: 'url' },
  /** metadata.json: source facts, conversions, renditions, previews; written with every ladder. */
  metadata_url: { type: 'url' },
  /** The rungs of LADDER this record wants (`["high","low"]`); empty = the whole ladder. Validated against LADDER. */
  ladder: { type: 'string[]', maxLength: 32 },
  /**
   * A fresh random token written with every claim (Appwrite): a worker proceeds only while the row
   * still holds its own, so a double claim granted by a server without row locks costs at most some
   * duplicate encoding, never two publishes or two write-backs.
   */
  claim_token: { type: 'string', maxLength: 64 },
  /**
   * An Appwrite Storage file as the source, instead of `source_url` (Appwrite apps upload there and
   * keep the file's id): downloaded through the Storage API with the daemon's key. The bucket
   * defaults to APPWRITE_SOURCE_BUCKET_ID. Other sources keep the fields but read `source_url` only.
   */
  source_file_id: { type: 'string', maxLength: 36 },
  source_bucket_id: { type: 'string', maxLength: 36 },
} as const satisfies Readonly<Record<string, FieldSpec>>;

type Table = typeof RECORD_FIELD_TABLE;
export type RecordField = keyof Table;

export const RECORD_FIELDS = Object.keys(RECORD_FIELD_TABLE) as readonly RecordField[];

export function isRecordField(name: string): name is RecordField {
  return Object.hasOwn(RECORD_FIELD_TABLE, name);
}

export function fieldSpec(field: RecordField): FieldSpec {
  return RECORD_FIELD_TABLE[field];
}

/** `retry_count` → `retryCount`: the property name in our records and rows. */
type Camel<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;

export function camelName<F extends string>(field: F): Camel<F> {
  return field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as Camel<F>;
}

type BaseValue<S> = S extends { readonly type: 'integer' | 'float' }
  ? number
  : S extends { readonly type: 'string[]' }
    ? readonly string[]
    : S extends { readonly type: 'renditions' }
      ? readonly Rendition[]
      : S extends { readonly values: readonly (infer V)[] }
        ? V
        : string;

/** Lists are never null (an empty list); a field with a default or marked required is never null. */
type FieldValue<S> = S extends { readonly type: 'string[]' } | { readonly required: true } | { readonly default: unknown }
  ? BaseValue<S>
  : BaseValue<S> | null;

/** Every record field, under its camelCase name, with its TypeScript type. */
export type RecordFieldValues = { readonly [F in RecordField as Camel<F>]: FieldValue<Table[F]> };

/** True when A and B are the same type (compile-time check). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// The derived types are the record's own: these lines stop compiling if the table drifts from them.
const statusIsJobStatus: Same<RecordFieldValues['status'], JobStatus> = true;
const stepIsJobStep: Same<RecordFieldValues['step'], JobStep | null> = true;
const renditionsAreRenditions: Same<RecordFieldValues['renditions'], readonly Rendition[] | null> = true;
void [statusIsJobStatus, stepIsJobStep, renditionsAreRenditions];

/** A record field's value as JSON (the API, Appwrite's and WordPress's writes): snake_case inside renditions too. */
export function fieldToJson(field: RecordField, value: unknown): unknown {
  if (value === undefined) return null;
  if (RECORD_FIELD_TABLE[field].type === 'renditions' && Array.isArray(value)) return (value as Rendition[]).map(renditionToJson);
  return value;
}

/** Every field of `values` in the API's snake_case JSON, in the table's order. */
export function recordFieldsToJson(values: RecordFieldValues): Record<RecordField, unknown> {
  const json = {} as Record<RecordField, unknown>;
  for (const field of RECORD_FIELDS) json[field] = fieldToJson(field, values[camelName(field)]);
  return json;
}

/** Renditions as read back from a JSON cell or a CMS column; null when absent or damaged. */
export function renditionsFromJson(value: unknown): readonly Rendition[] | null {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      return null;
    }
  }
  return Array.isArray(parsed) ? parsed.map((r) => renditionFromJson(r as Record<string, unknown>)) : null;
}

/** Cuts text to the field's maxLength (with an ellipsis), so a write never fails on length. */
export function fitToField(field: RecordField, text: string): string {
  const max = (RECORD_FIELD_TABLE[field] as FieldSpec).maxLength;
  return max !== undefined && text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The REST type WordPress registers each `vcmp_` meta with (`register_post_meta`). */
export function wordpressMetaType(field: RecordField): 'string' | 'integer' | 'number' | 'array' {
  switch (RECORD_FIELD_TABLE[field].type) {
    case 'integer':
      return 'integer';
    case 'float':
      return 'number';
    case 'string[]':
      return 'array';
    default:
      return 'string';
  }
}

/** The SQLite column type of each field in the local `jobs` table. */
export function sqliteColumnType(field: RecordField): 'INTEGER' | 'REAL' | 'TEXT' {
  const { type } = RECORD_FIELD_TABLE[field];
  return type === 'integer' ? 'INTEGER' : type === 'float' ? 'REAL' : 'TEXT';
}
