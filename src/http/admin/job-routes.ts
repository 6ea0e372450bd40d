import { Router, type Request } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import type { ActiveJob, WorkerControl } from '../../domain/worker.js';
import { JOB_STATUSES } from '../../domain/record.js';
import { jobKey } from '../../domain/job-key.js';
import type { JobRepository, JobRow } from '../../store/job-repository.js';
import type { JobSearch } from '../../store/job-search.js';
import type { Ledger } from '../../store/ledger.js';
import { jobIdParams, validate } from '../validation.js';
import { safeReturnPath } from './admin-session.js';
import { jobPageView, jobRowView } from './job-model.js';
import { flash, renderPage } from './render-view.js';
import { posterUrlFor } from '../../domain/poster-pick.js';

/** Dependencies of {@link jobRoutes}. */
export interface JobRouteDeps {
  /** Null when the local source is disabled. */
  readonly jobs: JobRepository | null;
  readonly search: JobSearch;
  readonly ledger: Ledger;
  readonly worker: WorkerControl;
  readonly serveHls: boolean;
}

export const PAGE_SIZE = 25;
const ATTEMPTS_SHOWN = 50;

const listQuery = z.object({
  status: z.enum(JOB_STATUSES).optional().catch(undefined),
  q: z.string().max(200).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).default(1).catch(1),
});

/** The poster picker's form: 0 = the ladder's own poster, n = the n-th thumbnail. */
const posterForm = z.object({ poster: z.coerce.number().int().min(0).max(1000) });

/** The job table, a job's page and its JSON (the page's refresh), retry, cancel and the poster pick. Behind the login. */
export function jobRoutes(deps: JobRouteDeps): Router {
  const router = Router();
  const live = (job: JobRow) => deps.worker.snapshot().active.find((a) => a.key === jobKey({ source: 'local', id: job.id })) ?? null;

  router.get('/jobs', async (req, res) => {
    await renderPage(req, res, 'jobs', { ...listModel(deps, req, live), returnTo: req.originalUrl });
  });

  router.get('/jobs/:id', async (req, res) => {
    const job = findJob(deps, req);
    const attempts = deps.ledger.recent({ key: jobKey({ source: 'local', id: job.id }), limit: ATTEMPTS_SHOWN });
    await renderPage(req, res, 'job', {
      job: jobPageView(job, attempts, live(job), { serveHls: deps.serveHls }),
      returnTo: req.originalUrl,
    });
  });

  router.get('/api/jobs/:id', (req, res) => {
    const job = findJob(deps, req);
    const view = jobRowView(job, live(job), { serveHls: deps.serveHls });
    res
      .set('Cache-Control', 'no-store')
      .json({ id: job.id, status: view.status, progress: view.progress, percent: live(job)?.percent ?? job.progress });
  });

  router.post('/jobs/:id/retry', (req, res) => {
    const { id } = validate(jobIdParams, req.params, 'params');
    writable(deps).retry(id);
    deps.worker.pollSoon();
    flash(req, `Job ${id} queued again at priority 1.`);
    res.redirect(303, safeReturnPath((req.body as Record<string, unknown>).returnTo, `/admin/jobs/${id}`));
  });

  router.post('/jobs/:id/cancel', (req, res) => {
    const { id } = validate(jobIdParams, req.params, 'params');
    const job = writable(deps).cancel(id);
    if (job.claimedBy !== null) deps.worker.abortJob(jobKey({ source: 'local', id }), 'cancelled');
    flash(req, `Job ${id} cancelled.`);
    res.redirect(303, safeReturnPath((req.body as Record<string, unknown>).returnTo, `/admin/jobs/${id}`));
  });

  router.post('/jobs/:id/poster', (req, res) => {
    const { id } = validate(jobIdParams, req.params, 'params');
    const { poster } = validate(posterForm, req.body, 'body');
    const repository = writable(deps);
    const job = repository.get(id);
    if (!job) throw new AppError('not_found', `no job ${id}`);
    if (job.hlsUrl === null) throw new AppError('conflict', `job ${id} has no ladder yet`);
    const url = posterUrlFor(poster, { hlsUrl: job.hlsUrl, thumbnailUrls: job.thumbnailUrls });
    if (url === null)
      throw new AppError('invalid_request', `thumbnail ${poster} does not exist: job ${id} has ${job.thumbnailUrls.length}`);
    repository.setPoster(id, url);
    flash(req, poster === 0 ? `Job ${id}: the ladder's own poster again.` : `Job ${id}: thumbnail ${poster} is the poster now.`);
    res.redirect(303, `/admin/jobs/${encodeURIComponent(id)}`);
  });

  return router;
}

/** One page of the job table, with the links of its neighbours (filter and search kept). */
function listModel(deps: JobRouteDeps, req: Request, live: (job: JobRow) => ActiveJob | null): Record<string, unknown> {
  const query = listQuery.parse(req.query);
  const { total, jobs } = deps.search.search({
    status: query.status,
    text: query.q,
    limit: PAGE_SIZE,
    offset: (query.page - 1) * PAGE_SIZE,
  });
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const link = (page: number) =>
    `/admin/jobs?${new URLSearchParams({ ...(query.status ? { status: query.status } : {}), ...(query.q ? { q: query.q } : {}), page: String(page) }).toString()}`;
  return {
    localEnabled: deps.jobs !== null,
    statuses: JOB_STATUSES,
    query: { status: query.status ?? '', q: query.q ?? '', page: query.page },
    total,
    pages,
    rows: jobs.map((job) => jobRowView(job, live(job), { serveHls: deps.serveHls })),
    prevHref: query.page > 1 ? link(query.page - 1) : null,
    nextHref: query.page < pages ? link(query.page + 1) : null,
  };
}

function findJob(deps: JobRouteDeps, req: Request): JobRow {
  const { id } = validate(jobIdParams, req.params, 'params');
  const job = deps.jobs?.get(id) ?? null;
  if (!job) throw new AppError('not_found', `no job ${id}`);
  return job;
}

function writable(deps: JobRouteDeps): JobRepository {
  if (!deps.jobs) throw new AppError('conflict', 'the local source is disabled (SOURCES)');
  return deps.jobs;
}
