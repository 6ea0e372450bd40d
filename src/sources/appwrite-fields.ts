import type { Models } from 'node-appwrite';
import type { RecordField } from '../config/config.js';
import { MAX_RETRY_ERRORS } from '../pipeline/retry-policy.js';
import { renditionToJson } from '../store/job-row.js';
import { isValidRecordId, JOB_STATUSES, type Failure, type JobStatus, type Progress, type PublishResult, type VideoRecord } from './cms-source.js';

/** A row as the SDK returns it: system attributes (`$id`, `$updatedAt`…) plus the table's columns. */
export type AppwriteRow = Models.Row & Readonly<Record<string, unknown>>;

/** Values by record field; turned into column keys by {@link FieldMap.toColumns}. */
export type FieldValues = Partial<Record<RecordField, unknown>>;

/** Column sizes of appwrite:setup; longer values are cut so a write never fails on length. */
export const ERROR_MAX_CHARS = 4000;
export const RETRY_ERROR_MAX_CHARS = 1000;

const DEFAULT_PRIORITY = 5;

/** Translates between the record fields of design §2 and the table's column keys (APPWRITE_FIELD_MAP). */
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
    const status = String(get('status') ?? 'pending');
    return {
      source: 'appwrite',
      id: row.$id,
      // A missing URL still makes a record: the pipeline then fails it with source_url_invalid, visibly.
      sourceUrl: typeof get('source_url') === 'string' ? (get('source_url') as string) : '',
      status: (JOB_STATUSES as readonly string[]).includes(status) ? (status as JobStatus) : 'pending',
      priority: typeof get('priority') === 'number' ? (get('priority') as number) : DEFAULT_PRIORITY,
      title: typeof get('title') === 'string' ? (get('title') as string) : null,
      retryCount: typeof get('retry_count') === 'number' ? (get('retry_count') as number) : 0,
      retryErrors: Array.isArray(get('retry_errors')) ? (get('retry_errors') as unknown[]).map(String) : [],
      createdAt: isoOf(row.$createdAt) ?? row.$createdAt,
      // Kept exactly as read: it goes back to Appwrite as X-Appwrite-Timestamp.
      updatedAt: row.$updatedAt,
      nextAttemptAt: isoOf(get('next_attempt_at')),
      claimedBy: typeof get('claimed_by') === 'string' ? (get('claimed_by') as string) : null,
      heartbeatAt: isoOf(get('heartbeat_at')),
    };
  }
}

/** Appwrite answers `2024-05-01T10:00:00.000+00:00`; the rest of the daemon compares `…Z` strings. */
export function isoOf(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

const CLEARED_CLAIM: FieldValues = { claimed_by: null, claimed_at: null, heartbeat_at: null };

/** The claim's write. Reclaiming an expired lease counts the lost attempt, as the local source does. */
export function claimValues(record: VideoRecord, workerId: string, nowIso: string): FieldValues {
  const values: FieldValues = { status: 'processing', claimed_by: workerId, claimed_at: nowIso, heartbeat_at: nowIso, progress: 0, step: 'claimed' };
  if (record.status !== 'processing') return values;
  const lost = `${nowIso} lease_expired: lease expired (worker ${record.claimedBy ?? '?'} stopped heart-beating)`;
  return { ...values, retry_count: record.retryCount + 1, retry_errors: [...record.retryErrors, lost].slice(-MAX_RETRY_ERRORS), last_retry_at: nowIso };
}

export function heartbeatValues(progress: Progress, nowIso: string): FieldValues {
  return { progress: Math.min(100, Math.max(0, Math.round(progress.percent))), step: progress.step, heartbeat_at: nowIso };
}

export function completeValues(result: PublishResult): FieldValues {
  return {
    status: 'completed',
    hls_url: result.hlsUrl,
    poster_url: result.posterUrl,
    renditions: JSON.stringify(result.renditions.map(renditionToJson)),
    duration: result.duration,
    width: result.width,
    height: result.height,
    processing_ms: Math.round(result.processingMs),
    output_bytes: result.outputBytes,
    completed_at: result.completedAt,
    progress: 100,
    step: null,
    error: null,
    error_code: null,
    next_attempt_at: null,
  };
}

export function failValues(failure: Failure): FieldValues {
  return {
    status: failure.status,
    error: cut(failure.error, ERROR_MAX_CHARS),
    error_code: failure.errorCode,
    retry_count: failure.retryCount,
    retry_errors: failure.retryErrors.map((line) => cut(line, RETRY_ERROR_MAX_CHARS)),
    last_retry_at: failure.lastRetryAt,
    next_attempt_at: failure.nextAttemptAt,
    progress: 0,
    step: null,
    ...CLEARED_CLAIM,
  };
}

/** Graceful shutdown: due again at once, no attempt counted. */
export function releaseValues(nowIso: string): FieldValues {
  return { status: 'pending', next_attempt_at: nowIso, progress: 0, step: null, ...CLEARED_CLAIM };
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
