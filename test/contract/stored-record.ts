import {
  camelName,
  RECORD_FIELD_TABLE,
  RECORD_FIELDS,
  renditionsFromJson,
  type FieldSpec,
  type RecordField,
  type RecordFieldValues,
} from '../../src/domain/record-fields.js';
import { isoOf } from '../../src/sources/record-values.js';

/**
 * A record as a CMS stores it (Appwrite columns, WordPress meta), read into the record's own
 * field values the way the local store reads its columns: datetimes as toISOString(), renditions
 * parsed, an unset value ('' or missing) as null.
 */
export function storedFromFields(get: (field: RecordField) => unknown): RecordFieldValues {
  const values: Record<string, unknown> = {};
  for (const field of RECORD_FIELDS) values[camelName(field)] = readField(field, get(field));
  return values as RecordFieldValues;
}

function readField(field: RecordField, raw: unknown): unknown {
  const spec: FieldSpec = RECORD_FIELD_TABLE[field];
  const unset = raw === null || raw === undefined || raw === '';
  switch (spec.type) {
    case 'integer':
    case 'float':
      return unset ? (spec.default ?? null) : Number(raw);
    case 'string[]':
      return Array.isArray(raw) ? raw.map(String) : [];
    case 'renditions':
      return unset ? null : renditionsFromJson(raw);
    case 'datetime':
      return unset ? null : isoOf(raw);
    default:
      return unset ? (spec.default ?? null) : typeof raw === 'string' ? raw : JSON.stringify(raw);
  }
}
