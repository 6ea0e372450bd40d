import type { Logger } from '../logging/logger.js';
import { isAppError, type AppError } from '../errors.js';
import type { VideoRecord } from '../domain/record.js';
import { jobKey } from '../domain/job-key.js';
import { decideFailure, describeSchedule } from './retry-policy.js';
import type { JobOutcome, ProcessVideoDeps } from './process-video.js';

/** Decides and writes what a failed attempt means for the record; returns the ledger outcome. */
export async function settleFailure(o: { record: VideoRecord; error: AppError; deps: ProcessVideoDeps; log: Logger }): Promise<JobOutcome> {
  const { record, error, deps, log } = o;
  try {
    switch (error.code) {
      case 'shutdown':
        await deps.source.release(record.id);
        log.info('job released for another attempt (shutdown)');
        return 'released';
      case 'cancelled':
        log.info('job cancelled');
        deps.events.emit({ type: 'job_cancelled', key: jobKey(record) });
        return 'cancelled';
      case 'lease_expired':
        log.warn('lease lost to another worker; not writing back');
        return 'released';
      default: {
        const decided = decideFailure({ record, error, now: deps.now(), delaysMs: deps.config.retryDelaysMs });
        const schedule = describeSchedule(decided, deps.config.retryDelaysMs);
        // The record's error says what went wrong and what happens next.
        const failure = { ...decided, error: `${decided.error} — ${schedule}` };
        log[failure.status === 'failed' ? 'error' : 'warn'](
          { err: error, code: error.code, context: error.context },
          `job failed: ${schedule}`,
        );
        await deps.source.fail(record.id, failure);
        return failure.status === 'failed' ? 'failed' : 'retrying';
      }
    }
  } catch (writeErr) {
    // Cancelled or deleted in the CMS while this attempt ran (the write found out): there is nothing to write any more.
    if (isAppError(writeErr, 'cancelled')) {
      log.info({ jobError: error.code, reason: writeErr.message }, 'job cancelled in the CMS meanwhile; outcome not written');
      deps.events.emit({ type: 'job_cancelled', key: jobKey(record) });
      return 'cancelled';
    }
    // The record stays "processing"; its lease expires and a later poll retries it.
    log.error(
      { err: writeErr, jobError: error.code },
      'could not write the outcome back to the CMS; the lease will expire and the job will be retried',
    );
    return 'released';
  }
}

/** When the record became due: its retry time, or its creation for a first attempt. */
export function dueSince(record: VideoRecord): string {
  return record.nextAttemptAt !== null && record.nextAttemptAt > record.createdAt ? record.nextAttemptAt : record.createdAt;
}
