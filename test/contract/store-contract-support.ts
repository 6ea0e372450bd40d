import { isAppError } from '../../src/errors.js';
import type { Failure } from '../../src/domain/record.js';
import type { JobRow } from '../../src/store/job-row.js';
import type { Store } from '../../src/store/store.js';

/** What each part of the contract works with: the store under test (fresh per test) and its fake clock. */
export interface StoreHarness {
  readonly store: Store;
  now(): Date;
  /** Moves the clock forward (1 s by default). */
  tick(ms?: number): void;
  /** Sets the clock. */
  at(iso: string): void;
}

/** The AppError code a promise rejects with ('no error' when it resolves); other errors are rethrown. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isAppError(err)) return err.code;
    throw err;
  }
  return 'no error';
}

/** The AppError a promise rejects with. */
export async function errorOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    if (isAppError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a rejection');
}

/** The lease of every claim in the contract, in seconds. */
export const LEASE = 300;

/** A new pending job, then the clock moves on 1 s so creation order is time order. */
export async function addJob(h: StoreHarness, priority = 5, title: string | null = null, ladder?: readonly string[]): Promise<JobRow> {
  const job = await h.store.jobs.create({ sourceUrl: 'https://example.test/v.mp4', priority, title, ...(ladder ? { ladder } : {}) });
  h.tick();
  return job;
}

/** Claims `job` as listed, for `worker`. */
export async function claimJob(h: StoreHarness, job: JobRow, worker = 'w1'): Promise<JobRow | null> {
  return h.store.jobs.claim(job.id, worker, job, LEASE);
}

/** A job claimed by `worker`, as the claim returned it. */
export async function runningJob(h: StoreHarness, worker = 'w1', priority = 5): Promise<JobRow> {
  const claimed = await claimJob(h, await addJob(h, priority), worker);
  if (!claimed) throw new Error('claim refused');
  return claimed;
}

/** A failure as the retry policy decides it: pending again in an hour unless told otherwise. */
export function failureAt(h: StoreHarness, fields: Partial<Failure> = {}): Failure {
  return {
    status: 'pending',
    error: 'boom',
    errorCode: 'source_network_error',
    retryCount: 1,
    retryErrors: ['boom'],
    lastRetryAt: h.now().toISOString(),
    nextAttemptAt: new Date(h.now().getTime() + 3600_000).toISOString(),
    ...fields,
  };
}
