import type { JobChanges, RecordRef } from '../domain/source-job.js';
import type { Database } from './database.js';
import { toJobRow, type JobRow, type Raw } from './job-row.js';

/**
 * The operator's writes to the local `jobs` table beyond retry and cancel (src/store/job-repository.ts
 * calls these): priority and ladder, clearing a deleted ladder's fields, deleting, trimming old
 * jobs. Each is one statement; a null answer means no row matched.
 */

const CLEAR_OUTPUTS = `UPDATE jobs SET hls_url = NULL, poster_url = NULL, renditions = NULL, thumbnail_urls = '[]',
    storyboard_url = NULL, preview_url = NULL, metadata_url = NULL, processing_ms = NULL, output_bytes = NULL,
    completed_at = NULL, updated_at = @now
  WHERE id = @id AND status != 'processing' RETURNING *`;

export function updateJob(db: Database, id: string, changes: JobChanges, now: string): JobRow | null {
  const raw = db
    .prepare(
      `UPDATE jobs SET priority = COALESCE(@priority, priority), ladder = COALESCE(@ladder, ladder),
         poster_url = COALESCE(@posterUrl, poster_url), updated_at = @now
       WHERE id = @id RETURNING *`,
    )
    .get({
      id,
      now,
      priority: changes.priority ?? null,
      posterUrl: changes.posterUrl ?? null,
      ladder: changes.ladder === undefined ? null : JSON.stringify(changes.ladder),
    }) as Raw | undefined;
  return raw ? toJobRow(raw) : null;
}

export function clearJobOutputs(db: Database, id: string, now: string): JobRow | null {
  const raw = db.prepare(CLEAR_OUTPUTS).get({ id, now }) as Raw | undefined;
  return raw ? toJobRow(raw) : null;
}

/** Deletes a job that is not being processed; false when none matched. */
export function deleteJob(db: Database, id: string): boolean {
  return db.prepare("DELETE FROM jobs WHERE id = ? AND status != 'processing'").run(id).changes === 1;
}

export function listJobRefs(db: Database): RecordRef[] {
  const rows = db.prepare('SELECT id, status, hls_url FROM jobs').all() as {
    id: string;
    status: RecordRef['status'];
    hls_url: string | null;
  }[];
  return rows.map((row) => ({ id: row.id, status: row.status, hlsUrl: row.hls_url }));
}

/**
 * JOB_RETENTION_DAYS: jobs that ended (completed, failed, cancelled) before `before` are deleted,
 * `batchSize` per transaction; their ladders stay on disk. Returns how many went.
 */
export function trimEndedJobs(db: Database, before: string, batchSize = 500): number {
  const trim = db.prepare(
    `DELETE FROM jobs WHERE id IN (SELECT id FROM jobs
       WHERE status IN ('completed', 'failed', 'cancelled') AND updated_at < ? LIMIT ?)`,
  );
  let removed = 0;
  for (;;) {
    const changed = db.transaction(() => trim.run(before, batchSize).changes).immediate();
    removed += changed;
    if (changed < batchSize) return removed;
  }
}
