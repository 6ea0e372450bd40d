/**
 * The statements of the PostgreSQL `jobs` repository, one for one with src/store/job-repository.ts.
 * Parameters are named as there (see numbered() in pg-db.ts); times are cast to timestamptz, JSON
 * arrays to jsonb, so PostgreSQL never has to guess a parameter's type.
 */

const NOW = '@now::timestamptz';
/** Rows still due: pending and past their retry time, or processing with a stale heartbeat. */
const DUE_PENDING = `status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ${NOW})`;
const DUE_STALE = `status = 'processing' AND (heartbeat_at IS NULL OR heartbeat_at < @stale::timestamptz)`;
const CLEAR_CLAIM = `claimed_by = NULL, claimed_at = NULL, heartbeat_at = NULL`;
const ORDER = `ORDER BY priority ASC, created_at ASC, id ASC`;
const OWNED = `WHERE id = @id AND claimed_by = @workerId AND status = 'processing'`;

export const JOB_SQL = {
  insert: `INSERT INTO jobs (id, source_url, priority, title, ladder, created_at, updated_at)
    VALUES (@id, @sourceUrl, @priority, @title, @ladder::jsonb, ${NOW}, ${NOW}) RETURNING *`,
  get: `SELECT * FROM jobs WHERE id = @id`,
  // Each branch walks jobs_poll_idx in order and stops after one page; only the merge is sorted.
  listDue: `(SELECT * FROM jobs WHERE ${DUE_PENDING} ${ORDER} LIMIT @limit)
    UNION ALL
    (SELECT * FROM jobs WHERE ${DUE_STALE} ${ORDER} LIMIT @limit)
    ${ORDER} LIMIT @limit`,
  countDue: `SELECT (SELECT COUNT(*) FROM jobs WHERE ${DUE_PENDING}) + (SELECT COUNT(*) FROM jobs WHERE ${DUE_STALE}) AS n`,
  // One conditional UPDATE: under READ COMMITTED a second claimer waits for the first's row lock,
  // then re-checks the WHERE against the row the first wrote (updated_at moved on) and matches nothing.
  // A stale reclaim counts one attempt: the previous worker's run is lost.
  claim: `UPDATE jobs SET
      retry_count = CASE WHEN status = 'processing' THEN retry_count + 1 ELSE retry_count END,
      retry_errors = CASE WHEN status = 'processing'
        THEN retry_errors || jsonb_build_array('lease expired (worker ' || COALESCE(claimed_by, '?') || ')')
        ELSE retry_errors END,
      last_retry_at = CASE WHEN status = 'processing' THEN ${NOW} ELSE last_retry_at END,
      status = 'processing', claimed_by = @workerId, claimed_at = ${NOW}, heartbeat_at = ${NOW},
      progress = 0, step = 'claimed', updated_at = ${NOW}
    WHERE id = @id AND status = @status AND updated_at = @updatedAt::timestamptz AND ((${DUE_PENDING}) OR (${DUE_STALE}))
    RETURNING *`,
  heartbeat: `UPDATE jobs SET progress = @progress, step = @step, heartbeat_at = ${NOW}, updated_at = ${NOW} ${OWNED}`,
  complete: `UPDATE jobs SET status = 'completed', hls_url = @hlsUrl, poster_url = @posterUrl,
      renditions = @renditions::jsonb, thumbnail_urls = @thumbnailUrls::jsonb, storyboard_url = @storyboardUrl,
      preview_url = @previewUrl, metadata_url = @metadataUrl, duration = @duration, width = @width, height = @height,
      processing_ms = @processingMs, output_bytes = @outputBytes, completed_at = @completedAt::timestamptz,
      progress = 100, step = NULL, error = NULL, error_code = NULL, next_attempt_at = NULL, updated_at = ${NOW}
    ${OWNED}`,
  fail: `UPDATE jobs SET status = @status, error = @error, error_code = @errorCode, retry_count = @retryCount,
      retry_errors = @retryErrors::jsonb, last_retry_at = @lastRetryAt::timestamptz, next_attempt_at = @nextAttemptAt::timestamptz,
      progress = 0, step = NULL, ${CLEAR_CLAIM}, updated_at = ${NOW}
    ${OWNED}`,
  release: `UPDATE jobs SET status = 'pending', next_attempt_at = ${NOW}, progress = 0, step = NULL,
      ${CLEAR_CLAIM}, updated_at = ${NOW}
    ${OWNED}`,
  processingWorkers: `SELECT DISTINCT claimed_by FROM jobs WHERE status = 'processing' AND claimed_by IS NOT NULL`,
  expireLease: `UPDATE jobs SET heartbeat_at = '1970-01-01T00:00:00.000Z' WHERE status = 'processing' AND claimed_by = @workerId`,
  // claimed_by is kept so the caller can tell a running job (to abort) from a queued one.
  cancel: `UPDATE jobs SET status = 'cancelled', next_attempt_at = NULL, step = NULL, updated_at = ${NOW}
    WHERE id = @id AND status IN ('pending', 'processing') RETURNING *`,
  retry: `UPDATE jobs SET status = 'pending', priority = 1, retry_count = 0, error = NULL, error_code = NULL,
      last_retry_at = NULL, next_attempt_at = NULL, progress = 0, step = NULL, ${CLEAR_CLAIM}, updated_at = ${NOW}
    WHERE id = @id AND status IN ('failed', 'cancelled') RETURNING *`,
  setPoster: `UPDATE jobs SET poster_url = @posterUrl, updated_at = ${NOW} WHERE id = @id AND status = 'completed' RETURNING *`,
  countByStatus: `SELECT status, COUNT(*) AS n FROM jobs GROUP BY status`,
} as const;
