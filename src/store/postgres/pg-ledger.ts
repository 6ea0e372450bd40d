import type pg from 'pg';
import type { AttemptOutcome, AttemptStart } from '../../domain/attempt.js';
import type { LedgerEntry, LedgerStats } from '../ledger.js';
import type { LedgerStore } from '../store.js';
import { textOrNull } from '../column-values.js';
import { row, rows, run, type PgOptions } from './pg-db.js';
import { finishParams, toLedgerEntry } from '../ledger.js';

const DAY_MS = 24 * 60 * 60 * 1000;

const SQL = {
  start: `INSERT INTO ledger (job_key, source, record_id, title, worker_id, status, started_at, queued_at)
    VALUES (@key, @source, @recordId, @title, @workerId, 'processing', @now::timestamptz, @queuedAt::timestamptz) RETURNING id`,
  // Without a processing time from the caller, the time between start and finish (ms, rounded).
  finish: `UPDATE ledger SET status = @status, finished_at = @finishedAt::timestamptz,
      processing_ms = COALESCE(@processingMs::bigint,
        round(extract(epoch FROM (@finishedAt::timestamptz - started_at)) * 1000)::bigint),
      source_bytes = @sourceBytes, output_bytes = @outputBytes, duration = @duration,
      error_code = @errorCode, error = @error, log_tail = @logTail::jsonb, conversions = @conversions::jsonb
    WHERE id = @id`,
  stats: `SELECT
      (SELECT COUNT(*) FROM ledger WHERE finished_at >= @today::timestamptz AND status = 'completed') AS completed,
      (SELECT COUNT(*) FROM ledger WHERE finished_at >= @today::timestamptz AND status = 'failed') AS failed,
      (SELECT COUNT(*) FROM ledger WHERE finished_at >= @today::timestamptz AND status = 'retrying') AS retried,
      (SELECT COUNT(*) FROM ledger WHERE status = 'processing') AS processing,
      (SELECT AVG(processing_ms) FROM ledger WHERE finished_at >= @week::timestamptz AND status = 'completed') AS avg_ms,
      (SELECT COUNT(*) FROM ledger WHERE finished_at >= @week::timestamptz AND status = 'completed') AS week_completed,
      (SELECT COUNT(*) FROM ledger WHERE finished_at >= @week::timestamptz AND status = 'failed') AS week_failed,
      (SELECT COALESCE(SUM(output_bytes), 0) FROM ledger WHERE finished_at >= @today::timestamptz AND status = 'completed') AS bytes_today,
      (SELECT MAX(finished_at) FROM ledger WHERE status = 'completed') AS last_completed`,
  // The outer condition is re-checked on a row another transaction changed meanwhile.
  prune: `DELETE FROM ledger WHERE id IN (
      SELECT id FROM ledger WHERE started_at < @before::timestamptz AND status <> 'processing' LIMIT @limit)
    AND status <> 'processing'`,
  workers: `SELECT DISTINCT worker_id FROM ledger WHERE status = 'processing'`,
  interrupted: `UPDATE ledger SET status = 'released', finished_at = @now::timestamptz,
      error = 'interrupted (the worker stopped without finishing)'
    WHERE worker_id = @workerId AND status = 'processing'`,
} as const;

/** The `ledger` table on PostgreSQL, as src/store/ledger.ts: one row per attempt of every job. */
export class PgLedger implements LedgerStore {
  private readonly pool: pg.Pool;
  private readonly now: () => Date;

  constructor({ pool, now }: PgOptions) {
    this.pool = pool;
    this.now = now;
  }

  /** Records the start of an attempt; returns its id for {@link PgLedger.finish}. */
  async start(attempt: AttemptStart): Promise<number> {
    const params = { ...attempt, queuedAt: attempt.queuedAt ?? null, now: this.now().toISOString() };
    return Number((await row(this.pool, SQL.start, params))?.id);
  }

  async finish(id: number, outcome: AttemptOutcome): Promise<void> {
    await run(this.pool, SQL.finish, finishParams(id, outcome, this.now()));
  }

  /** Dashboard and daily-report figures; "today" starts at 00:00 UTC of `now()`. */
  async stats(): Promise<LedgerStats> {
    const now = this.now();
    const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())).toISOString();
    const week = new Date(now.getTime() - 7 * DAY_MS).toISOString();
    const r = (await row(this.pool, SQL.stats, { today, week })) ?? {};
    const [weekCompleted, weekFailed] = [Number(r.week_completed), Number(r.week_failed)];
    const decided = weekCompleted + weekFailed;
    return {
      today: { completed: Number(r.completed), failed: Number(r.failed), retried: Number(r.retried), processing: Number(r.processing) },
      averageProcessingMs: r.avg_ms === null ? null : Math.round(Number(r.avg_ms)),
      successRate: decided === 0 ? null : weekCompleted / decided,
      storageUsedTodayBytes: Number(r.bytes_today),
      lastCompletedAt: textOrNull(r.last_completed),
    };
  }

  /** Newest attempts first, optionally of one job (`<source>-<record id>`). */
  async recent({ limit, key }: { limit: number; key?: string }): Promise<LedgerEntry[]> {
    const where = key === undefined ? '' : 'WHERE job_key = @key';
    return (await rows(this.pool, `SELECT * FROM ledger ${where} ORDER BY id DESC LIMIT @limit`, { key: key ?? null, limit })).map(
      toLedgerEntry,
    );
  }

  /** How many attempts the ledger holds, and when the oldest started (doctor). */
  async extent(): Promise<{ attempts: number; oldestStartedAt: string | null }> {
    const r = await row(this.pool, 'SELECT COUNT(*) AS n, MIN(started_at) AS oldest FROM ledger');
    return { attempts: Number(r?.n ?? 0), oldestStartedAt: textOrNull(r?.oldest) };
  }

  /** Retention: deletes attempts started before `before`, a batch per statement; `processing` ones stay. */
  async prune(before: Date, batchSize = 5000): Promise<number> {
    let removed = 0;
    for (;;) {
      const changes = await run(this.pool, SQL.prune, { before: before.toISOString(), limit: batchSize });
      removed += changes;
      if (changes < batchSize) return removed;
    }
  }

  /** At start-up: attempts left in `processing` by workers that are gone become `released`. */
  async markInterrupted(isGone: (workerId: string) => boolean): Promise<number> {
    const workers = (await rows(this.pool, SQL.workers)).map((r) => String(r.worker_id));
    let changed = 0;
    for (const workerId of workers.filter(isGone)) {
      changed += await run(this.pool, SQL.interrupted, { workerId, now: this.now().toISOString() });
    }
    return changed;
  }
}
