import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import type { WorkerControl } from '../../domain/worker.js';
import { JOB_STATUSES, MAX_PRIORITY, MIN_PRIORITY, SOURCE_KINDS } from '../../domain/record.js';
import type { LedgerStore } from '../../store/store.js';
import type { JobOperations } from '../../pipeline/job-operations.js';
import { jobKeyParams, validate } from '../validation.js';
import type { CallbackRegistry } from '../routes/jobs.js';
import { safeReturnPath } from './admin-session.js';
import { jobPageView, jobRowView } from './job-model.js';
import { flash, renderPage } from './render-view.js';
import { posterUrlFor } from '../../domain/poster-pick.js';

/** Dependencies of {@link jobRoutes}. */
export interface JobRouteDeps {
  readonly operations: JobOperations;
  readonly ledger: Pick<LedgerStore, 'recent'>;
  readonly worker: WorkerControl;
  readonly serveHls: boolean;
  readonly callbacks?: CallbackRegistry | null;
}

export const PAGE_SIZE = 25;
const ATTEMPTS_SHOWN = 50;

const listQuery = z.object({
  source: z.enum(SOURCE_KINDS).optional().catch(undefined),
  status: z.enum(JOB_STATUSES).optional().catch(undefined),
  q: z.string().trim().max(200).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(400).default(1).catch(1),
});

/** The poster picker's form: 0 = the ladder's own poster, n = the n-th thumbnail. */
const posterForm = z.object({ poster: z.coerce.number().int().min(0).max(1000) });
const priorityForm = z.object({ priority: z.coerce.number().int().min(MIN_PRIORITY).max(MAX_PRIORITY) });
/** Deleting needs the second button of the confirmation, which sends confirm=yes. */
const deleteForm = z.object({ confirm: z.literal('yes', 'confirm the deletion') });
const sourceForm = z.object({ source: z.enum(SOURCE_KINDS) });

/**
 * The job table of every source, a job's page and its JSON (the page's refresh), and the
 * operator's actions: retry (one, or every failed job of a source), cancel, priority, delete,
 * poster. Behind the login; jobs are addressed by key `<source>-<id>`.
 */
export function jobRoutes(deps: JobRouteDeps): Router {
  const router = Router();
  const { operations } = deps;
  const playback = { serveHls: deps.serveHls };
  const keyOf = (req: Request) => validate(jobKeyParams, req.params, 'params').key;

  router.get('/jobs', async (req, res) => {
    await renderPage(req, res, 'jobs', { ...(await listModel(deps, req)), returnTo: req.originalUrl });
  });

  router.get('/jobs/:key', async (req, res) => {
    const key = keyOf(req);
    const { job, live } = await operations.get(key);
    const [attempts, callbacks] = await Promise.all([
      deps.ledger.recent({ key, limit: ATTEMPTS_SHOWN }),
      deps.callbacks?.deliveriesJson(key) ?? [],
    ]);
    await renderPage(req, res, 'job', { job: jobPageView(job, attempts, live, playback), callbacks, returnTo: req.originalUrl });
  });

  router.get('/api/jobs/:key', async (req, res) => {
    const { job, live } = await operations.get(keyOf(req));
    const view = jobRowView(job, live, playback);
    res
      .set('Cache-Control', 'no-store')
      .json({ key: view.key, status: view.status, progress: view.progress, percent: live?.percent ?? job.progress });
  });

  router.use(jobActions(deps));
  return router;
}

/** The forms that change a job: retry (one, or every failed job of a source), cancel, priority, delete, poster. */
function jobActions(deps: JobRouteDeps): Router {
  const router = Router();
  const { operations } = deps;
  const back = (req: Request, res: Response, fallback: string) =>
    res.redirect(303, safeReturnPath((req.body as Record<string, unknown>).returnTo, fallback));
  const keyOf = (req: Request) => validate(jobKeyParams, req.params, 'params').key;

  router.post('/jobs/:key/retry', async (req, res) => {
    const key = keyOf(req);
    await operations.retry(key);
    flash(req, `Job ${key} queued again at priority 1.`);
    back(req, res, `/admin/jobs/${key}`);
  });

  router.post('/jobs/:key/cancel', async (req, res) => {
    const key = keyOf(req);
    await operations.cancel(key);
    flash(req, `Job ${key} cancelled.`);
    back(req, res, `/admin/jobs/${key}`);
  });

  router.post('/jobs/:key/priority', async (req, res) => {
    const key = keyOf(req);
    const { priority } = validate(priorityForm, req.body, 'body');
    await operations.update(key, { priority });
    flash(req, `Job ${key}: priority ${priority}.`);
    back(req, res, `/admin/jobs/${key}`);
  });

  router.post('/jobs/:key/delete', async (req, res) => {
    const key = keyOf(req);
    validate(deleteForm, req.body, 'body');
    const outcome = await operations.delete(key);
    const message = {
      deleted: `Job ${key} deleted, with its ladder.`,
      cleared: `Job ${key}: ladder deleted and its URLs cleared in the CMS (the record stays).`,
      absent: `Job ${key}: ladder deleted.`,
    }[outcome.record];
    flash(req, message);
    res.redirect(303, '/admin/jobs');
  });

  router.post('/jobs/retry-failed', async (req, res) => {
    const { source } = validate(sourceForm, req.body, 'body');
    const retried = await operations.retryAllFailed(source);
    flash(req, `${source}: ${retried} failed job${retried === 1 ? '' : 's'} queued again at priority 1.`);
    back(req, res, '/admin/jobs');
  });

  router.post('/jobs/:key/poster', async (req, res) => {
    const key = keyOf(req);
    const { poster } = validate(posterForm, req.body, 'body');
    const { job } = await operations.get(key);
    if (job.hlsUrl === null || job.status !== 'completed') throw new AppError('conflict', `job ${key} has no ladder yet`);
    const url = posterUrlFor(poster, { hlsUrl: job.hlsUrl, thumbnailUrls: job.thumbnailUrls });
    if (url === null)
      throw new AppError('invalid_request', `thumbnail ${poster} does not exist: job ${key} has ${job.thumbnailUrls.length}`);
    await operations.update(key, { posterUrl: url });
    flash(req, poster === 0 ? `Job ${key}: the ladder's own poster again.` : `Job ${key}: thumbnail ${poster} is the poster now.`);
    res.redirect(303, `/admin/jobs/${encodeURIComponent(key)}`);
  });

  return router;
}

/** One page of the job table across sources, with the links of its neighbours (filters kept). */
async function listModel(deps: JobRouteDeps, req: Request): Promise<Record<string, unknown>> {
  const query = listQuery.parse(req.query);
  const list = await deps.operations.list({
    source: query.source,
    status: query.status,
    text: query.q,
    page: query.page,
    perPage: PAGE_SIZE,
  });
  const pages = Math.max(1, Math.ceil(list.total / PAGE_SIZE));
  const filters = {
    ...(query.source ? { source: query.source } : {}),
    ...(query.status ? { status: query.status } : {}),
    ...(query.q ? { q: query.q } : {}),
  };
  const link = (page: number) => `/admin/jobs?${new URLSearchParams({ ...filters, page: String(page) }).toString()}`;
  return {
    sources: deps.operations.kinds(),
    statuses: JOB_STATUSES,
    priorities: Array.from({ length: MAX_PRIORITY - MIN_PRIORITY + 1 }, (_, i) => MIN_PRIORITY + i),
    query: { source: query.source ?? '', status: query.status ?? '', q: query.q ?? '', page: query.page },
    total: list.total,
    totals: list.sources,
    errors: list.errors,
    pages,
    rows: list.jobs.map((job) => jobRowView(job, liveOf(deps.worker, job.source, job.id), { serveHls: deps.serveHls })),
    prevHref: query.page > 1 ? link(query.page - 1) : null,
    nextHref: query.page < pages ? link(query.page + 1) : null,
  };
}

function liveOf(worker: WorkerControl, source: string, id: string) {
  return worker.snapshot().active.find((a) => a.key === `${source}-${id}`) ?? null;
}
