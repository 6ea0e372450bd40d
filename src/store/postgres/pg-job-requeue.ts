import type { RequeueOptions, RequeueResult, RequeueScope } from '../../domain/requeue.js';
import { inList } from '../job-requeue.js';
import { rows, run, type Queryable } from './pg-db.js';

// As src/store/job-requeue.ts: outputs and the last error cleared, a fresh retry budget,
// retry_errors kept as history. The outer status condition is re-checked by READ COMMITTED on a row
// another transaction changed meanwhile, so a job claimed since the subquery read it is never touched.
const requeueSql = (scope: RequeueScope, which: string): string => `UPDATE jobs SET
    status = 'pending', priority = @priority, retry_count = 0, last_retry_at = NULL, next_attempt_at = NULL,
    error = NULL, error_code = NULL,
    hls_url = NULL, poster_url = NULL, renditions = NULL, processing_ms = NULL, output_bytes = NULL, completed_at = NULL,
    thumbnail_urls = '[]', storyboard_url = NULL, preview_url = NULL, metadata_url = NULL,
    progress = 0, step = NULL, claimed_by = NULL, claimed_at = NULL, heartbeat_at = NULL, updated_at = @now::timestamptz
  WHERE ${which} AND status IN (${inList(scope)})`;

const bySubquery = (scope: RequeueScope): string =>
  requeueSql(scope, `id IN (SELECT id FROM jobs WHERE status IN (${inList(scope)}) LIMIT @limit)`);
const byIds = (scope: RequeueScope): string => requeueSql(scope, 'id = ANY(@ids::text[])');

type Matched = Pick<RequeueResult, 'matched' | 'processing'>;

function matchedOf(options: RequeueOptions, count: (status: string) => number): Matched {
  return {
    matched: {
      failed: options.scope === 'completed' ? 0 : count('failed'),
      completed: options.scope === 'failed' ? 0 : count('completed'),
    },
    processing: count('processing'),
  };
}

/**
 * Storage-lost (or bulk-retry) recovery: failed and/or completed jobs back to pending, one
 * statement (so one transaction) per `batchSize` rows. Jobs in `processing` are never touched.
 * Stops after the number of rows that matched at the start, as the SQLite store does.
 */
export async function requeueJobs(db: Queryable, now: () => Date, options: RequeueOptions): Promise<RequeueResult> {
  if (options.ids !== undefined) return requeueListed(db, now, options, [...options.ids]);
  const counts = await rows(db, 'SELECT status, COUNT(*) AS n FROM jobs GROUP BY status');
  const result = matchedOf(options, (status) => Number(counts.find((c) => c.status === status)?.n ?? 0));
  const total = result.matched.failed + result.matched.completed;
  if (options.dryRun || total === 0) return { ...result, requeued: 0, batches: 0 };

  const sql = bySubquery(options.scope);
  let requeued = 0;
  let batches = 0;
  while (requeued < total) {
    const limit = Math.min(options.batchSize, total - requeued);
    const changed = await run(db, sql, { priority: options.priority, now: now().toISOString(), limit });
    if (changed === 0) break;
    requeued += changed;
    batches += 1;
    options.onBatch?.(requeued);
  }
  return { ...result, requeued, batches };
}

/** The same for listed ids only (`requeue --missing-ladder`): each id still has to match the scope. */
async function requeueListed(db: Queryable, now: () => Date, options: RequeueOptions, ids: readonly string[]): Promise<RequeueResult> {
  const found = await rows(db, 'SELECT id, status FROM jobs WHERE id = ANY(@ids::text[])', { ids });
  const statusOf = new Map(found.map((r) => [String(r.id), String(r.status)]));
  const statuses = ids.map((id) => statusOf.get(id));
  const result = matchedOf(options, (status) => statuses.filter((s) => s === status).length);
  if (options.dryRun) return { ...result, requeued: 0, batches: 0 };
  const sql = byIds(options.scope);
  let requeued = 0;
  let batches = 0;
  for (let start = 0; start < ids.length; start += options.batchSize) {
    const slice = ids.slice(start, start + options.batchSize);
    requeued += await run(db, sql, { ids: slice, priority: options.priority, now: now().toISOString() });
    batches += 1;
    options.onBatch?.(requeued);
  }
  return { ...result, requeued, batches };
}
