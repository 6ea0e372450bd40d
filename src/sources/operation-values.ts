import { URGENT_PRIORITY, type JobStatus } from '../domain/record.js';
import type { JobChanges } from '../domain/source-job.js';
import type { FieldValues } from './record-values.js';

/**
 * What the operator's actions write, by record field, for the CMS sources (the local store has the
 * same rules as SQL in src/store/job-repository.ts). Each action also names the statuses it may
 * start from; a source checks the record's status before it writes.
 */

/** Every output field of a published ladder, cleared. */
export const CLEARED_OUTPUTS: FieldValues = {
  hls_url: null,
  poster_url: null,
  renditions: null,
  thumbnail_urls: [],
  storyboard_url: null,
  preview_url: null,
  metadata_url: null,
  processing_ms: null,
  output_bytes: null,
  completed_at: null,
};

const CLEARED_CLAIM: FieldValues = { claimed_by: null, claimed_at: null, heartbeat_at: null };

export const RETRY_FROM: readonly JobStatus[] = ['failed', 'cancelled'];
export const CANCEL_FROM: readonly JobStatus[] = ['pending', 'processing'];
export const REQUEUE_FROM: readonly JobStatus[] = ['failed', 'completed'];

/** Retry now: pending at priority 1, a fresh retry budget; retry_errors stays as the record's history. */
export function retryValues(): FieldValues {
  return {
    status: 'pending',
    priority: URGENT_PRIORITY,
    retry_count: 0,
    error: null,
    error_code: null,
    last_retry_at: null,
    next_attempt_at: null,
    progress: 0,
    step: null,
    ...CLEARED_CLAIM,
  };
}

/** Cancel: claimed_by is kept so the holder's heartbeat sees its record was cancelled, not taken. */
export function cancelValues(): FieldValues {
  return { status: 'cancelled', next_attempt_at: null, step: null };
}

/** Disaster recovery: as a retry, at the given priority, with the outputs cleared too. */
export function requeueValues(priority: number): FieldValues {
  return { ...retryValues(), priority, ...CLEARED_OUTPUTS };
}

export function changeValues(changes: JobChanges): FieldValues {
  const values: FieldValues = {};
  if (changes.priority !== undefined) values.priority = changes.priority;
  if (changes.ladder !== undefined) values.ladder = [...changes.ladder];
  if (changes.posterUrl !== undefined) values.poster_url = changes.posterUrl;
  return values;
}
