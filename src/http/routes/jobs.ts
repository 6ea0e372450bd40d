import { Router } from 'express';
import { AppError } from '../../errors.js';
import type { WorkerControl } from '../../domain/worker.js';
import { jobKey } from '../../domain/job-key.js';
import { sourceJobToJson, type SourceJob } from '../../domain/source-job.js';
import type { ActiveJob } from '../../domain/worker.js';
import type { z } from 'zod';
import type { JobRow } from '../../store/job-repository.js';
import type { LedgerEntry } from '../../store/ledger.js';
import type { JobStore, LedgerStore } from '../../store/store.js';
import type { JobOperations } from '../../pipeline/job-operations.js';
import { createJobBody, jobKeyParams, listJobsQuery, patchJobBody, validate } from '../validation.js';

/** What the jobs API needs of the completion callbacks (src/callbacks). */
export interface CallbackRegistry {
  /** Remembers a job's own callback URL (validated: http(s)). */
  register(key: string, url: string): Promise<void>;
  /** Deliveries of one job, newest first, as JSON. */
  deliveriesJson(key: string): Promise<Record<string, unknown>[]>;
}

/** Dependencies of {@link jobsRouter}. */
export interface JobsRouteDeps {
  /** Null when the local source is disabled (SOURCES without `local`): nothing can be submitted. */
  readonly jobs: JobStore | null;
  readonly operations: JobOperations;
  readonly ledger: Pick<LedgerStore, 'recent'>;
  readonly worker: WorkerControl;
  /** LADDER's rung names: what a per-job `ladder` may name. */
  readonly ladderNames: readonly string[];
  readonly callbacks: CallbackRegistry | null;
}

const ATTEMPTS_SHOWN = 50;

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
export function jobJson(job: SourceJob, live: ActiveJob | null): Record<string, unknown> {
  const json = sourceJobToJson(job);
  return live ? { ...json, progress: live.percent, step: live.step, rung: live.rung, eta_seconds: live.etaSeconds } : json;
}

/**
 * /api/jobs…: submit (local source), and list, inspect, retry, cancel, change and delete the jobs
 * of every configured source, each addressed by its key `<source>-<id>`.
 */
export function jobsRouter(deps: JobsRouteDeps): Router {
  const { jobs, operations, ledger, worker } = deps;
  const router = Router();
  const createBody = createJobBody(deps.ladderNames);
  const patchBody = patchJobBody(deps.ladderNames);

  router.post('/jobs', async (req, res) => {
    const job = await submit(jobs, deps.callbacks, validate(createBody, req.body, 'body'));
    res.status(202).json({ id: job.id, key: jobKey({ source: 'local', id: job.id }), status: job.status });
    worker.pollSoon();
  });

  router.get('/jobs', async (req, res) => {
    const query = validate(listJobsQuery, req.query, 'query');
    const list = await operations.list(query);
    res.json({
      total: list.total,
      page: query.page,
      per_page: query.perPage,
      jobs: list.jobs.map((job) => jobJson(job, liveOf(job, worker))),
      sources: list.sources,
      errors: list.errors,
    });
  });

  router.get('/jobs/:key', async (req, res) => {
    const { key } = validate(jobKeyParams, req.params, 'params');
    const { job, live } = await operations.get(key);
    const [attempts, callbacks] = await Promise.all([
      ledger.recent({ key, limit: ATTEMPTS_SHOWN }),
      deps.callbacks?.deliveriesJson(key) ?? [],
    ]);
    // What the ladder on show was made with: the newest completed attempt's conversions.
    const conversions = attempts.find((a) => a.status === 'completed')?.conversions ?? null;
    res.json({
      ...jobJson(job, live),
      conversions,
      attempts: attempts.map(attemptToJson),
      callbacks,
    });
  });

  router.post('/jobs/:key/retry', async (req, res) => {
    const { key } = validate(jobKeyParams, req.params, 'params');
    res.json(sourceJobToJson(await operations.retry(key)));
  });

  router.post('/jobs/:key/cancel', async (req, res) => {
    const { key } = validate(jobKeyParams, req.params, 'params');
    res.json(sourceJobToJson(await operations.cancel(key)));
  });

  router.patch('/jobs/:key', async (req, res) => {
    const { key } = validate(jobKeyParams, req.params, 'params');
    const changes = validate(patchBody, req.body, 'body');
    res.json(sourceJobToJson(await operations.update(key, changes)));
  });

  router.delete('/jobs/:key', async (req, res) => {
    const { key } = validate(jobKeyParams, req.params, 'params');
    const outcome = await operations.delete(key);
    res.json({ key: outcome.key, record: outcome.record, ladder_removed: outcome.ladderRemoved });
  });

  return router;
}

/** A new local job, and its own callback URL. */
async function submit(
  jobs: JobStore | null,
  callbacks: CallbackRegistry | null,
  body: z.output<ReturnType<typeof createJobBody>>,
): Promise<JobRow> {
  if (!jobs) throw new AppError('conflict', 'the local source is disabled (SOURCES): submit videos through the CMS');
  if (body.callback_url !== undefined && !callbacks) throw new AppError('internal_error', 'callbacks are not available');
  const job = await jobs.create({ sourceUrl: body.source_url, priority: body.priority, title: body.title, ladder: body.ladder });
  if (body.callback_url !== undefined) await callbacks?.register(jobKey({ source: 'local', id: job.id }), body.callback_url);
  return job;
}

function liveOf(job: SourceJob, worker: WorkerControl): ActiveJob | null {
  if (job.status !== 'processing') return null;
  return worker.snapshot().active.find((a) => a.key === jobKey(job)) ?? null;
}
