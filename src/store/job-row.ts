import {
  RECORD_FIELD_TABLE,
  RECORD_FIELDS,
  camelName,
  renditionsFromJson,
  type FieldSpec,
  type RecordField,
  type RecordFieldValues,
} from '../domain/record-fields.js';
import { jsonArrayOrNull, numberOrNull, textOrNull } from './column-values.js';

export type Raw = Record<string, unknown>;

/** One job of the local source, as stored in `jobs`: every record field (camelCase), parsed. */
export type JobRow = RecordFieldValues & {
  readonly id: string;
  readonly createdAt: string;
  readonly updatedAt: string;
};

/** One column of `jobs` as the field table types it; NOT NULL columns are read without a null. */
function readColumn(field: RecordField, value: unknown): unknown {
  const spec: FieldSpec = RECORD_FIELD_TABLE[field];
  const notNull = spec.required === true || spec.default !== undefined;
  switch (spec.type) {
    case 'integer':
    case 'float':
      return notNull ? Number(value) : numberOrNull(value);
    case 'string[]':
      return (jsonArrayOrNull(value) ?? []).map(String);
    case 'renditions':
      return renditionsFromJson(value);
    default:
      return notNull ? String(value) : textOrNull(value);
  }
}

export function toJobRow(raw: Raw): JobRow {
  const row: Record<string, unknown> = { id: String(raw.id), createdAt: String(raw.created_at), updatedAt: String(raw.updated_at) };
  for (const field of RECORD_FIELDS) row[camelName(field)] = readColumn(field, raw[field]);
  return row as JobRow;
}
