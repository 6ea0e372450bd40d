import type { Models } from 'node-appwrite';
import { isJobStatus, isValidRecordId, type JobStatus, type VideoRecord } from '../domain/record.js';
import type { RecordField } from '../domain/record-fields.js';
import type { RecordRef, SourceJob } from '../domain/source-job.js';
import { storageSource, type StorageConnection } from './appwrite-storage.js';
import { isoOf, jobFromFields, recordFromFields, type FieldValues, type RecordIdentity } from './record-values.js';

/** A row as the SDK returns it: system attributes (`$id`, `$updatedAt`…) plus the table's columns. */
export type AppwriteRow = Models.Row & Readonly<Record<string, unknown>>;

/** Translates between the record fields and the table's column keys (APPWRITE_FIELD_MAP). */
export class FieldMap {
  /** Without `storage`, rows are read as they are (a `source_file_id` is not resolved). */
  constructor(
    private readonly columns: Readonly<Record<RecordField, string>>,
    private readonly storage: StorageConnection | null = null,
  ) {}

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
    // Kept exactly as read: it goes back to Appwrite as X-Appwrite-Timestamp.
    const record = recordFromFields((field) => this.value(row, field), { ...this.identity(row), updatedAt: row.$updatedAt });
    const file = this.storage && storageSource(this.value(row, 'source_file_id'), this.value(row, 'source_bucket_id'), this.storage);
    return file ? { ...record, ...file } : record;
  }

  /** Every field of a row as the operator sees it. */
  toJob(row: AppwriteRow): SourceJob {
    return jobFromFields((field) => this.value(row, field), this.identity(row));
  }

  /** The row's status, or null when the row is not one the source tracks (no status, or one we do not know). */
  status(row: AppwriteRow): JobStatus | null {
    const status = this.value(row, 'status');
    return typeof status === 'string' && isJobStatus(status) ? status : null;
  }

  /** What clean-up needs of a row; null when the row is not tracked. */
  toRef(row: AppwriteRow): RecordRef | null {
    const status = this.status(row);
    const hlsUrl = this.value(row, 'hls_url');
    return status === null ? null : { id: row.$id, status, hlsUrl: typeof hlsUrl === 'string' && hlsUrl !== '' ? hlsUrl : null };
  }

  private identity(row: AppwriteRow): RecordIdentity {
    const sourceUrl = this.value(row, 'source_url');
    const title = this.value(row, 'title');
    return {
      source: 'appwrite',
      id: row.$id,
      // A missing URL still makes a record: the pipeline then fails it with source_url_invalid, visibly.
      sourceUrl: typeof sourceUrl === 'string' ? sourceUrl : '',
      title: typeof title === 'string' ? title : null,
      createdAt: isoOf(row.$createdAt) ?? row.$createdAt,
      updatedAt: isoOf(row.$updatedAt) ?? row.$updatedAt,
    };
  }
}
