import type { RequeueOptions, RequeueResult, RequeueScope } from '../domain/requeue.js';
import type { Database } from './database.js';

const STATUSES: Record<RequeueScope, readonly ('failed' | 'completed')[]> = {
  failed: ['failed'],
  completed: ['completed'],
  all: ['failed', 'completed'],
};

/** The statuses of a scope as an SQL list (both stores); the values come from the constant above, never from input. */
export function inList(scope: RequeueScope): string {
  return STATUSES[scope].map((status) => `'${status}'`).join(', ');
}

// Outputs (the files are gone or about to be replaced) and the last error are cleared, the retry
// budget starts again; retry_errors stays as the record's history, as for a manual retry.
// No ORDER BY: the poller orders due records itself, so which rows a batch takes does not matter,
// and the status prefix of jobs_poll_idx finds them without sorting the whole table per batch.
const requeueSql = (
  scope: RequeueScope,
  where = `id IN (SELECT id FROM jobs WHERE status IN (${inList(scope)}) LIMIT @limit)`,
): string => `UPDATE jobs SET
    status = 'pending', priority = @priority, retry_count = 0, last_retry_at = NULL, next_attempt_at = NULL,
    error = NULL, error_code = NULL,
    hls_url = NULL, poster_url = NULL, renditions = NULL, processing_ms = NULL, output_bytes = NULL, completed_at = NULL,
    thumbnail_urls = '[]', storyboard_url = NULL, preview_url = NULL, metadata_url = NULL,
    progress = 0, step = NULL, claimed_by = NULL, claimed_at = NULL, heartbeat_at = NULL, updated_at = @now
  WHERE ${where}`;

/**
 * Storage-lost (or bulk-retry) recovery of the local source: failed and/or completed jobs back to
 * pending, one transaction per `batchSize` rows so a daemon sharing state.db waits for at most one
 * batch. Jobs in `processing` are never touched. Stops after the number of rows that matched at
 * the start, so jobs failing again while the requeue runs cannot keep it going.
 */
export function requeueJobs(db: Database, now: () => Date, options: RequeueOptions): RequeueResult {
  if (options.ids !== undefined) return requeueListed(db, now, options, [...options.ids]);
  const counts = db.prepare('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status').all() as { status: string; n: number }[];
  const count = (status: string): number => counts.find((c) => c.status === status)?.n ?? 0;
  const matched = {
    failed: options.scope === 'completed' ? 0 : count('failed'),
    completed: options.scope === 'failed' ? 0 : count('completed'),
  };
  const result = { matched, processing: count('processing') };
  const total = matched.failed + matched.completed;
  if (options.dryRun || total === 0) return { ...result, requeued: 0, batches: 0 };

  const update = db.prepare(requeueSql(options.scope));
  const batch = db.transaction((limit: number) => update.run({ priority: options.priority, now: now().toISOString(), limit }).changes);
  let requeued = 0;
  let batches = 0;
  while (requeued < total) {
    const changed = batch.immediate(Math.min(options.batchSize, total - requeued));
    if (changed === 0) break;
    requeued += changed;
    batches += 1;
    options.onBatch?.(requeued);
  }
  return { ...result, requeued, batches };
}

/** The same for listed ids only (`requeue --missing-ladder`): each id still has to match the scope. */
function requeueListed(db: Database, now: () => Date, options: RequeueOptions, ids: readonly string[]): RequeueResult {
  const statusOf = db.prepare('SELECT status FROM jobs WHERE id = ?').pluck();
  const statuses = ids.map((id) => statusOf.get(id) as string | undefined);
  const count = (status: string): number => statuses.filter((s) => s === status).length;
  const matched = {
    failed: options.scope === 'completed' ? 0 : count('failed'),
    completed: options.scope === 'failed' ? 0 : count('completed'),
  };
  const result = { matched, processing: count('processing') };
  if (options.dryRun) return { ...result, requeued: 0, batches: 0 };
  const update = db.prepare(requeueSql(options.scope, `id = @id AND status IN (${inList(options.scope)})`));
  let requeued = 0;
  let batches = 0;
  for (let start = 0; start < ids.length; start += options.batchSize) {
    const slice = ids.slice(start, start + options.batchSize);
    const stamp = now().toISOString();
    requeued += db
      .transaction(() => slice.reduce((n, id) => n + update.run({ id, priority: options.priority, now: stamp }).changes, 0))
      .immediate();
    batches += 1;
    options.onBatch?.(requeued);
  }
  return { ...result, requeued, batches };
}
