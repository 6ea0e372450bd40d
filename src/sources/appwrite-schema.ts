import type { RecordField } from '../config/config.js';
import { JOB_STATUSES } from './cms-source.js';
import { RETRY_ERROR_MAX_CHARS } from './appwrite-fields.js';

/** One column of design §2 as appwrite:setup creates it. */
export type ColumnSpec =
  | { readonly kind: 'url'; readonly required: boolean }
  | { readonly kind: 'enum'; readonly elements: readonly string[]; readonly default: string }
  | { readonly kind: 'integer'; readonly min: number; readonly max?: number; readonly default?: number }
  | { readonly kind: 'float' }
  | { readonly kind: 'datetime' }
  | { readonly kind: 'varchar'; readonly size: number; readonly array?: boolean }
  | { readonly kind: 'text' };

/** Design §2, field by field. Only `source_url` is required: a CMS that creates a row sets it and nothing else. */
export const COLUMN_SPECS: Readonly<Record<RecordField, ColumnSpec>> = {
  source_url: { kind: 'url', required: true },
  status: { kind: 'enum', elements: JOB_STATUSES, default: 'pending' },
  priority: { kind: 'integer', min: 1, max: 10, default: 5 },
  title: { kind: 'varchar', size: 255 },
  retry_count: { kind: 'integer', min: 0, max: 1000, default: 0 },
  last_retry_at: { kind: 'datetime' },
  next_attempt_at: { kind: 'datetime' },
  retry_errors: { kind: 'varchar', size: RETRY_ERROR_MAX_CHARS, array: true },
  // text: long messages, and kept out of the row-width budget of varchar columns.
  error: { kind: 'text' },
  error_code: { kind: 'varchar', size: 64 },
  claimed_by: { kind: 'varchar', size: 128 },
  claimed_at: { kind: 'datetime' },
  heartbeat_at: { kind: 'datetime' },
  progress: { kind: 'integer', min: 0, max: 100, default: 0 },
  step: { kind: 'varchar', size: 32 },
  hls_url: { kind: 'url', required: false },
  poster_url: { kind: 'url', required: false },
  renditions: { kind: 'text' },
  duration: { kind: 'float' },
  width: { kind: 'integer', min: 0 },
  height: { kind: 'integer', min: 0 },
  processing_ms: { kind: 'integer', min: 0 },
  output_bytes: { kind: 'integer', min: 0 },
  completed_at: { kind: 'datetime' },
};

/** An index appwrite:setup creates; columns are record fields, or `$createdAt`. */
export interface IndexSpec {
  readonly key: string;
  readonly fields: readonly (RecordField | '$createdAt')[];
}

/** What the poll filters and sorts on: pending by priority then age, due time, expired leases. */
export const INDEX_SPECS: readonly IndexSpec[] = [
  { key: 'vc_poll', fields: ['status', 'priority', '$createdAt'] },
  { key: 'vc_next_attempt', fields: ['next_attempt_at'] },
  { key: 'vc_lease', fields: ['status', 'heartbeat_at'] },
];

/** A column as Appwrite lists it (the fields we look at). */
export interface ListedColumn {
  readonly key: string;
  readonly type: string;
  readonly status: string;
  readonly array?: boolean;
  readonly size?: number;
  readonly format?: string;
  readonly elements?: readonly string[];
}

const STRING_TYPES = new Set(['string', 'varchar', 'text', 'mediumtext', 'longtext']);

/**
 * Why an existing column cannot hold the field, or null if it can. Lenient where it is safe: a
 * table made by hand may use `string` or `text` for our varchar fields (if large enough), a plain
 * string for a URL.
 */
export function columnMismatch(spec: ColumnSpec, column: ListedColumn): string | null {
  const wanted = describeSpec(spec);
  const isString = STRING_TYPES.has(column.type);
  const ok = ((): boolean => {
    switch (spec.kind) {
      case 'url':
      case 'text':
        return isString;
      case 'varchar':
        // text types have no size; a sized column must hold our longest value.
        return isString && (!column.size || column.size >= spec.size);
      case 'enum':
        return isString && (column.format !== 'enum' || spec.elements.every((e) => column.elements?.includes(e)));
      case 'integer':
        return column.type === 'integer';
      case 'float':
        return column.type === 'double' || column.type === 'float';
      case 'datetime':
        return column.type === 'datetime';
    }
  })();
  if (!ok) return `is ${column.type}${column.format ? `/${column.format}` : ''}${column.size ? `(${column.size})` : ''}, expected ${wanted}`;
  const wantArray = spec.kind === 'varchar' && spec.array === true;
  if (Boolean(column.array) !== wantArray) return wantArray ? 'must be an array column' : 'must not be an array column';
  return null;
}

export function describeSpec(spec: ColumnSpec): string {
  switch (spec.kind) {
    case 'varchar':
      return `varchar(${spec.size})${spec.array ? '[]' : ''}`;
    case 'enum':
      return `enum(${spec.elements.join('|')})`;
    default:
      return spec.kind;
  }
}
