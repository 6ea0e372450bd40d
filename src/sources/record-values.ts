import type { Failure, Progress, SourceKind, VideoRecord } from '../domain/record.js';
import { DEFAULT_PRIORITY, isJobStatus, MAX_RETRY_ERRORS } from '../domain/record.js';
import {
  RECORD_FIELD_TABLE,
  RECORD_FIELDS,
  camelName,
  fieldToJson,
  fitToField,
  renditionsFromJson,
  type FieldSpec,
  type RecordField,
} from '../domain/record-fields.js';
import type { SourceJob } from '../domain/source-job.js';
import type { PublishResult } from '../domain/rendition.js';

/**
 * What every CMS source writes, by record field: the claim, heartbeat and write-backs as values,
 * and a record read back from a CMS's fields. Appwrite turns these into columns (its field map),
 * WordPress into `vcmp_` meta.
 */
export type FieldValues = Partial<Record<RecordField, unknown>>;

/** CMSs answer `2024-05-01T10:00:00.000+00:00`; the rest of the daemon compares `…Z` strings. */
export function isoOf(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** What a CMS knows of a record outside its fields (its id, its own file and dates). */
export interface RecordIdentity {
  readonly source: SourceKind;
  readonly id: string;
  readonly sourceUrl: string;
  readonly title: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Our own record from a CMS's field values; unknown or unset values take their defaults. */
export function recordFromFields(get: (field: RecordField) => unknown, identity: RecordIdentity): VideoRecord {
  const status = get('status');
  const priority = get('priority');
  const retryCount = get('retry_count');
  const retryErrors = get('retry_errors');
  const claimedBy = get('claimed_by');
  return {
    ...identity,
    status: typeof status === 'string' && isJobStatus(status) ? status : 'pending',
    priority: typeof priority === 'number' && priority > 0 ? priority : DEFAULT_PRIORITY,
    retryCount: typeof retryCount === 'number' ? retryCount : 0,
    retryErrors: Array.isArray(retryErrors) ? retryErrors.map(String) : [],
    nextAttemptAt: isoOf(get('next_attempt_at')),
    claimedBy: typeof claimedBy === 'string' ? claimedBy : null,
    heartbeatAt: isoOf(get('heartbeat_at')),
    ladder: stringList(get('ladder')),
  };
}

function stringList(value: unknown): readonly string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Every field of a CMS record as the operator sees it, typed by the field table; unset values take their defaults. */
export function jobFromFields(get: (field: RecordField) => unknown, identity: RecordIdentity): SourceJob {
  const record = recordFromFields(get, identity);
  const job: Record<string, unknown> = {
    source: identity.source,
    id: identity.id,
    createdAt: identity.createdAt,
    updatedAt: identity.updatedAt,
  };
  for (const field of RECORD_FIELDS) job[camelName(field)] = fieldFromCms(field, get(field));
  return {
    ...(job as SourceJob),
    sourceUrl: record.sourceUrl,
    title: record.title,
    status: record.status,
    priority: record.priority,
    retryCount: record.retryCount,
    retryErrors: record.retryErrors,
    ladder: record.ladder,
  };
}

function fieldFromCms(field: RecordField, value: unknown): unknown {
  const spec: FieldSpec = RECORD_FIELD_TABLE[field];
  if (value === null || value === undefined || value === '') return spec.type === 'string[]' ? [] : (spec.default ?? null);
  switch (spec.type) {
    case 'integer':
    case 'float':
      return typeof value === 'number' ? value : Number.isFinite(Number(value)) ? Number(value) : null;
    case 'datetime':
      return isoOf(value);
    case 'string[]':
      return stringList(value);
    case 'renditions':
      return renditionsFromJson(value);
    default:
      return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;
  }
}

const CLEARED_CLAIM: FieldValues = { claimed_by: null, claimed_at: null, heartbeat_at: null };

/** The claim's write. Reclaiming an expired lease counts the lost attempt, as the local source does. */
export function claimValues(record: VideoRecord, workerId: string, nowIso: string): FieldValues {
  const values: FieldValues = {
    status: 'processing',
    claimed_by: workerId,
    claimed_at: nowIso,
    heartbeat_at: nowIso,
    progress: 0,
    step: 'claimed',
  };
  if (record.status !== 'processing') return values;
  const lost = `${nowIso} lease_expired: lease expired (worker ${record.claimedBy ?? '?'} stopped heart-beating)`;
  return {
    ...values,
    retry_count: record.retryCount + 1,
    retry_errors: [...record.retryErrors, lost].slice(-MAX_RETRY_ERRORS),
    last_retry_at: nowIso,
  };
}

export function heartbeatValues(progress: Progress, nowIso: string): FieldValues {
  return { progress: Math.min(100, Math.max(0, Math.round(progress.percent))), step: progress.step, heartbeat_at: nowIso };
}

export function completeValues(result: PublishResult): FieldValues {
  return {
    status: 'completed',
    hls_url: result.hlsUrl,
    poster_url: result.posterUrl,
    // A text column in every CMS: JSON with the API's snake_case names.
    renditions: JSON.stringify(fieldToJson('renditions', result.renditions)),
    thumbnail_urls: [...result.thumbnailUrls],
    storyboard_url: result.storyboardUrl,
    preview_url: result.previewUrl,
    metadata_url: result.metadataUrl,
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
    error: fitToField('error', failure.error),
    error_code: failure.errorCode,
    retry_count: failure.retryCount,
    retry_errors: failure.retryErrors.map((line) => fitToField('retry_errors', line)),
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
