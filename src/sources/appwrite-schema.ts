import { RECORD_FIELD_TABLE, RECORD_FIELDS, type FieldSpec, type RecordField } from '../domain/record-fields.js';

/** One record field as appwrite:setup creates its column. */
export type ColumnSpec =
  | { readonly kind: 'url' }
  | { readonly kind: 'enum'; readonly elements: readonly string[]; readonly default: string }
  | { readonly kind: 'integer'; readonly min: number; readonly max?: number; readonly default?: number }
  | { readonly kind: 'float' }
  | { readonly kind: 'datetime' }
  | { readonly kind: 'varchar'; readonly size: number; readonly array?: boolean }
  | { readonly kind: 'text' };

/** One field of the table as an Appwrite column. */
function columnSpecOf(field: RecordField): ColumnSpec {
  const spec: FieldSpec = RECORD_FIELD_TABLE[field];
  switch (spec.type) {
    case 'url':
      // Optional even for source_url: a row may name a Storage file (source_file_id) instead of a URL.
      return { kind: 'url' };
    case 'enum':
      return { kind: 'enum', elements: spec.values ?? [], default: String(spec.default) };
    case 'integer': {
      const { min = 0, max, default: fallback } = spec;
      return {
        kind: 'integer',
        min,
        ...(max === undefined ? {} : { max }),
        ...(typeof fallback === 'number' ? { default: fallback } : {}),
      };
    }
    case 'float':
    case 'datetime':
      return { kind: spec.type };
    case 'string':
      return { kind: 'varchar', size: spec.maxLength ?? 255 };
    case 'string[]':
      return { kind: 'varchar', size: spec.maxLength ?? 255, array: true };
    // text: long messages and JSON, kept out of the row-width budget of varchar columns.
    case 'text':
    case 'renditions':
      return { kind: 'text' };
    default:
      return unreachable(spec.type);
  }
}

function unreachable(type: never): never {
  throw new Error(`no Appwrite column for field type ${String(type)}`);
}

/**
 * The record's fields as appwrite:setup creates them, every one optional: `source_url` too, since a
 * row may name its video by `source_file_id` instead (a file in a Storage bucket).
 */
export const COLUMN_SPECS: Readonly<Record<RecordField, ColumnSpec>> = Object.fromEntries(
  RECORD_FIELDS.map((field) => [field, columnSpecOf(field)]),
) as Record<RecordField, ColumnSpec>;

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
  if (!ok)
    return `is ${column.type}${column.format ? `/${column.format}` : ''}${column.size ? `(${column.size})` : ''}, expected ${wanted}`;
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
