import type { JobStatus } from '../../domain/record.js';
import { emptyCounts, type JobChanges, type JobQuery, type RecordRef } from '../../domain/source-job.js';
import { textOrNull } from '../column-values.js';
import { toJobRow, type JobRow } from '../job-row.js';
import { searchParams } from '../job-search.js';
import { row, rows, run, type Queryable } from './pg-db.js';

/**
 * The operator's writes to the `jobs` table beyond retry and cancel, and the search, on
 * PostgreSQL: src/store/job-edits.ts and job-search.ts, statement for statement. A null answer
 * means no row matched.
 */

const CLEAR_OUTPUTS = `UPDATE jobs SET hls_url = NULL, poster_url = NULL, renditions = NULL, thumbnail_urls = '[]',
    storyboard_url = NULL, preview_url = NULL, metadata_url = NULL, processing_ms = NULL, output_bytes = NULL,
    completed_at = NULL, updated_at = @now::timestamptz
  WHERE id = @id AND status <> 'processing' RETURNING *`;

const UPDATE = `UPDATE jobs SET priority = COALESCE(@priority::integer, priority), ladder = COALESCE(@ladder::jsonb, ladder),
    poster_url = COALESCE(@posterUrl::text, poster_url), updated_at = @now::timestamptz
  WHERE id = @id RETURNING *`;

// The outer conditions repeat the subquery's: under READ COMMITTED a row changed by another
// transaction meanwhile is re-checked against them before it is deleted.
const TRIM = `DELETE FROM jobs WHERE id IN (SELECT id FROM jobs
    WHERE status IN ('completed', 'failed', 'cancelled') AND updated_at < @before::timestamptz LIMIT @limit)
  AND status IN ('completed', 'failed', 'cancelled') AND updated_at < @before::timestamptz`;

export async function updateJob(db: Queryable, id: string, changes: JobChanges, now: string): Promise<JobRow | null> {
  const raw = await row(db, UPDATE, {
    id,
    now,
    priority: changes.priority ?? null,
    posterUrl: changes.posterUrl ?? null,
    ladder: changes.ladder === undefined ? null : JSON.stringify(changes.ladder),
  });
  return raw ? toJobRow(raw) : null;
}

export async function clearJobOutputs(db: Queryable, id: string, now: string): Promise<JobRow | null> {
  const raw = await row(db, CLEAR_OUTPUTS, { id, now });
  return raw ? toJobRow(raw) : null;
}

/** Deletes a job that is not being processed; false when none matched. */
export async function deleteJob(db: Queryable, id: string): Promise<boolean> {
  return (await run(db, "DELETE FROM jobs WHERE id = @id AND status <> 'processing'", { id })) === 1;
}

export async function listJobRefs(db: Queryable): Promise<RecordRef[]> {
  const refs = await rows(db, 'SELECT id, status, hls_url FROM jobs');
  return refs.map((r) => ({ id: String(r.id), status: r.status as RecordRef['status'], hlsUrl: textOrNull(r.hls_url) }));
}

/**
 * JOB_RETENTION_DAYS: jobs that ended before `before` are deleted, `batchSize` per statement;
 * each DELETE is its own transaction (autocommit), so a daemon's writes wait for one batch at most.
 */
export async function trimEndedJobs(db: Queryable, before: string, batchSize = 500): Promise<number> {
  let removed = 0;
  for (;;) {
    const changed = await run(db, TRIM, { before, limit: batchSize });
    removed += changed;
    if (changed < batchSize) return removed;
  }
}

// ILIKE for SQLite's LIKE, which ignores case; the user's % and _ are escaped to literal characters.
const WHERE = `WHERE (@status::text IS NULL OR status = @status::text)
  AND (@text::text IS NULL OR id = @text::text OR id = @id::text OR title ILIKE @like::text ESCAPE '\\')`;

/**
 * A page of the jobs, newest first: the status filter, the text matched against the id (or its key
 * `local-<id>`) exactly or the title by substring (case-insensitively), and the count by status.
 */
export async function searchJobs(
  db: Queryable,
  query: JobQuery,
): Promise<{ total: number; counts: Record<JobStatus, number>; jobs: JobRow[] }> {
  const params = searchParams(query);

  const total = Number((await row(db, `SELECT COUNT(*) AS n FROM jobs ${WHERE}`, params))?.n);
  const page = await rows(db, `SELECT * FROM jobs ${WHERE} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`, params);
  const counts = emptyCounts();
  for (const r of await rows(db, 'SELECT status, COUNT(*) AS n FROM jobs GROUP BY status')) counts[r.status as JobStatus] = Number(r.n);
  return { total, counts, jobs: page.map(toJobRow) };
}
