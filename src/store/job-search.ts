import type { JobStatus } from '../domain/record.js';
import { emptyCounts, type JobQuery } from '../domain/source-job.js';
import type { Database } from './database.js';
import { toJobRow, type JobRow, type Raw } from './job-row.js';

const WHERE = `WHERE (@status IS NULL OR status = @status)
  AND (@text IS NULL OR id = @text OR id = @id OR title LIKE @like ESCAPE '\\')`;

/** The parameters of both stores' search: the text as an exact id (or key) and as a LIKE pattern. */
export function searchParams(query: JobQuery): Record<string, unknown> {
  const text = query.text?.trim() || null;
  return {
    status: query.status ?? null,
    text,
    id: text?.replace(/^local-/, '') ?? null,
    // The user's % and _ are literal characters, not wildcards.
    like: text === null ? null : `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
    limit: query.limit,
    offset: query.offset,
  };
}

/**
 * A page of the local store's jobs, newest first: the status filter, the text matched against the
 * id (or its key `local-<id>`) exactly or the title by substring (case-insensitively), and the
 * count of every job by status.
 */
export function searchJobs(db: Database, query: JobQuery): { total: number; counts: Record<JobStatus, number>; jobs: JobRow[] } {
  const params = searchParams(query);
  const total = db.prepare(`SELECT COUNT(*) FROM jobs ${WHERE}`).pluck().get(params) as number;
  const rows = db.prepare(`SELECT * FROM jobs ${WHERE} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`).all(params) as Raw[];
  const counts = emptyCounts();
  for (const row of db.prepare('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status').all() as { status: JobStatus; n: number }[])
    counts[row.status] = row.n;
  return { total, counts, jobs: rows.map(toJobRow) };
}
