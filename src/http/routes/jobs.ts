import { Router } from 'express';
import { AppError } from '../../errors.js';
import type { WorkerControl } from '../../domain/worker.js';
import { jobKey } from '../../domain/job-key.js';
import type { JobRepository, JobRow } from '../../store/job-repository.js';
import { recordFieldsToJson } from '../../domain/record-fields.js';
import type { Ledger, LedgerEntry } from '../../store/ledger.js';
import { createJobBody, jobIdParams, listJobsQuery, validate } from '../validation.js';

/** Dependencies of {@link jobsRouter}. */
export interface JobsRouteDeps {
  /** Null when the local source is disabled (SOURCES without `local`). */
  readonly jobs: JobRepository | null;
  readonly ledger: Ledger;
  readonly worker: WorkerControl;
}

const ATTEMPTS_SHOWN = 50;

/** A job as the API shows it: every record field by its snake_case name (the field table's JSON). */
export function jobToJson(job: JobRow): Record<string, unknown> {
  return { id: job.id, source: 'local', ...recordFieldsToJson(job), created_at: job.createdAt, updated_at: job.updatedAt };
}

export function attemptToJson(entry: LedgerEntry): Record<string, unknown> {
  return {
    id: entry.id,
    worker_id: entry.workerId,
    status: entry.status,
    started_at: entry.startedAt,
    finished_at: entry.finishedAt,
    processing_ms: entry.processingMs,
    source_bytes: entry.sourceBytes,
    output_bytes: entry.outputBytes,
    duration: entry.duration,
    error_code: entry.errorCode,
    error: entry.error,
    log_tail: entry.logTail,
    conversions: entry.conversions,
  };
}

/**
 * The store has the progress of the last heartbeat (every HEARTBEAT_SECONDS); a job this daemon is
 * running right now shows its live percent, step, rung and ETA instead.
 */
function withLiveProgress(job: JobRow, worker: WorkerControl): Record<string, unknown> {
  const json = jobToJson(job);
  const active =
    job.status === 'processing' ? worker.snapshot().active.find((a) => a.key === jobKey({ source: 'local', id: job.id })) : undefined;
  return active ? { ...json, progress: active.percent, step: active.step, rung: active.rung, eta_seconds: active.etaSeconds } : json;
}

function writable(jobs: JobRepository | null): JobRepository {
  if (!jobs) throw new AppError('conflict', 'the local source is disabled (SOURCES)');
  return jobs;
}

/** /api/jobs…: submit, list, inspect, retry and cancel jobs of the local source. */
export function jobsRouter({ jobs, ledger, worker }: JobsRouteDeps): Router {
  const router = Router();

  router.post('/jobs', (req, res) => {
    const repo = writable(jobs);
    const body = validate(createJobBody, req.body, 'body');
    const job = repo.create({ sourceUrl: body.source_url, priority: body.priority, title: body.title });
    res.status(202).json({ id: job.id, status: job.status });
    worker.pollSoon();
  });

  router.get('/jobs', (req, res) => {
    const query = validate(listJobsQuery, req.query, 'query');
    // Only the local source keeps its records here; other sources' records live in their CMS.
    if (!jobs || (query.source !== undefined && query.source !== 'local')) {
      res.json({ total: 0, jobs: [] });
      return;
    }
    const { total, jobs: rows } = jobs.list({ status: query.status, limit: query.limit, offset: query.offset });
    res.json({ total, jobs: rows.map((row) => withLiveProgress(row, worker)) });
  });

  router.get('/jobs/:id', (req, res) => {
    const { id } = validate(jobIdParams, req.params, 'params');
    const job = jobs?.get(id) ?? null;
    if (!job) throw new AppError('not_found', `no job ${id}`);
    const attempts = ledger.recent({ key: jobKey({ source: 'local', id }), limit: ATTEMPTS_SHOWN });
    // What the ladder on show was made with: the newest completed attempt's conversions.
    const conversions = attempts.find((a) => a.status === 'completed')?.conversions ?? null;
    res.json({ ...withLiveProgress(job, worker), conversions, attempts: attempts.map(attemptToJson) });
  });

  router.post('/jobs/:id/retry', (req, res) => {
    const { id } = validate(jobIdParams, req.params, 'params');
    const job = writable(jobs).retry(id);
    res.json(jobToJson(job));
    worker.pollSoon();
  });

  router.post('/jobs/:id/cancel', (req, res) => {
    const { id } = validate(jobIdParams, req.params, 'params');
    const job = writable(jobs).cancel(id);
    // A cancelled row keeps claimed_by only if a worker held it: stop it if it is ours; other
    // daemons learn at their next heartbeat.
    if (job.claimedBy !== null) worker.abortJob(jobKey({ source: 'local', id }), 'cancelled');
    res.json(jobToJson(job));
  });

  return router;
}
