import type { Models } from 'node-appwrite';
import { isValidRecordId, type VideoRecord } from '../domain/record.js';
import type { RecordField } from '../domain/record-fields.js';
import { isoOf, recordFromFields, type FieldValues } from './record-values.js';

/** A row as the SDK returns it: system attributes (`$id`, `$updatedAt`…) plus the table's columns. */
export type AppwriteRow = Models.Row & Readonly<Record<string, unknown>>;

/** Translates between the record fields and the table's column keys (APPWRITE_FIELD_MAP). */
export class FieldMap {
  constructor(private readonly columns: Readonly<Record<RecordField, string>>) {}

  column(field: RecordField): string {
    return this.columns[field];
  }

  value(row: AppwriteRow, field: RecordField): unknown {
    return row[this.columns[field]];
  }

  toColumns(values: FieldValues): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(values)) out[this.columns[field as RecordField]] = value;
    return out;
  }

  /** Our own shape of a row; null when the row cannot be a job (an id unfit for a path). */
  toRecord(row: AppwriteRow): VideoRecord | null {
    if (!isValidRecordId(row.$id)) return null;
    const get = (field: RecordField): unknown => this.value(row, field);
    const sourceUrl = get('source_url');
    const title = get('title');
    return recordFromFields(get, {
      source: 'appwrite',
      id: row.$id,
      // A missing URL still makes a record: the pipeline then fails it with source_url_invalid, visibly.
      sourceUrl: typeof sourceUrl === 'string' ? sourceUrl : '',
      title: typeof title === 'string' ? title : null,
      createdAt: isoOf(row.$createdAt) ?? row.$createdAt,
      // Kept exactly as read: it goes back to Appwrite as X-Appwrite-Timestamp.
      updatedAt: row.$updatedAt,
    });
  }
}
