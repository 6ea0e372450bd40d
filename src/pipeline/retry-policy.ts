import type { AppError } from '../errors.js';
import { MAX_RETRY_ERRORS, type Failure, type VideoRecord } from '../domain/record.js';

/** Longer messages (FFmpeg stderr tails, HTML bodies) are cut in `retry_errors` entries. */
export const MAX_RETRY_ERROR_MESSAGE_CHARS = 500;

export interface DecideFailureInput {
  /** The record as claimed: its `retryCount` counts the retries already scheduled. */
  readonly record: Pick<VideoRecord, 'retryCount' | 'retryErrors'>;
  readonly error: AppError;
  readonly now: Date;
  /** RETRY_DELAYS: the delay before retry n+1 is `delaysMs[n]`. */
  readonly delaysMs: readonly number[];
}

/**
 * Decides what a failed attempt means for the record (pure).
 *
 * A retryable error with retries left schedules the next one: `pending`, `retryCount + 1`,
 * `nextAttemptAt = now + delaysMs[retryCount]`. Anything else is `failed` for good, with
 * `retryCount` unchanged and no next attempt. Either way the attempt is appended to
 * `retryErrors` as `"<ISO time> <code>: <message>"`.
 */
export function decideFailure({ record, error, now, delaysMs }: DecideFailureInput): Failure {
  const nowIso = now.toISOString();
  const retryErrors = [...record.retryErrors, formatRetryError(nowIso, error)].slice(-MAX_RETRY_ERRORS);
  const delay = delaysMs[record.retryCount];
  const common = { error: error.message, errorCode: error.code, retryErrors, lastRetryAt: nowIso };
  if (error.retryable && record.retryCount >= 0 && delay !== undefined) {
    return {
      ...common,
      status: 'pending',
      retryCount: record.retryCount + 1,
      nextAttemptAt: new Date(now.getTime() + delay).toISOString(),
    };
  }
  return { ...common, status: 'failed', retryCount: record.retryCount, nextAttemptAt: null };
}

/** Attempts a record gets in all: the first one plus one per configured delay. */
export function maxAttempts(delaysMs: readonly number[]): number {
  return delaysMs.length + 1;
}

/**
 * One sentence for logs and the dashboard, e.g.
 * "will retry at 2026-03-01T10:00:00.000Z (attempt 2 of 4)" or "failed permanently: not retryable".
 */
export function describeSchedule(failure: Failure, delaysMs: readonly number[]): string {
  const total = maxAttempts(delaysMs);
  if (failure.status === 'pending' && failure.nextAttemptAt !== null) {
    return `will retry at ${failure.nextAttemptAt} (attempt ${failure.retryCount + 1} of ${total})`;
  }
  // Retries left yet failed: the error itself was permanent.
  if (failure.retryCount < delaysMs.length) return `failed permanently: not retryable (${failure.errorCode})`;
  return `failed permanently: gave up after ${total} attempts`;
}

function formatRetryError(nowIso: string, error: AppError): string {
  // One line per attempt: stored as an array element and shown in a list.
  const oneLine = error.message.replace(/\s+/g, ' ').trim();
  const message = oneLine.length > MAX_RETRY_ERROR_MESSAGE_CHARS ? `${oneLine.slice(0, MAX_RETRY_ERROR_MESSAGE_CHARS - 1)}…` : oneLine;
  return `${nowIso} ${error.code}: ${message}`;
}
