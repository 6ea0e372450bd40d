import type { JobStatus } from '../domain/record.js';
import type { Database } from './database.js';
import { toJobRow, type JobRow, type Raw } from './job-row.js';

/** A page of the dashboard's job table. */
export interface JobSearchQuery {
  readonly status?: JobStatus;
  /** Matches a job id (or its key `local-<id>`) exactly, or a title by substring, case-insensitively. */
  readonly text?: string;
  readonly limit: number;
  readonly offset: number;
}

const WHERE = `WHERE (@status IS NULL OR status = @status)
  AND (@text IS NULL OR id = @text OR id = @id OR title LIKE @like ESCAPE '\\')`;

/** Searches the local store's jobs, newest first (the dashboard's job list). */
export class JobSearch {
  constructor(private readonly db: Database) {}

  search(query: JobSearchQuery): { total: number; jobs: JobRow[] } {
    const text = query.text?.trim() || null;
    const params = {
      status: query.status ?? null,
      text,
      id: text?.replace(/^local-/, '') ?? null,
      // The user's % and _ are literal characters, not wildcards.
      like: text === null ? null : `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
      limit: query.limit,
      offset: query.offset,
    };
    const total = this.db.prepare(`SELECT COUNT(*) FROM jobs ${WHERE}`).pluck().get(params) as number;
    const rows = this.db
      .prepare(`SELECT * FROM jobs ${WHERE} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`)
      .all(params) as Raw[];
    return { total, jobs: rows.map(toJobRow) };
  }
}
