import type { SourceKind } from '../domain/record.js';
import type { Database } from './database.js';
import type { AttemptStart, AttemptOutcome } from '../domain/attempt.js';
import { jsonArrayOrNull, numberOrNull, textOrNull } from './column-values.js';

export const LEDGER_STATUSES = ['processing', 'completed', 'failed', 'retrying', 'released', 'cancelled'] as const;
/** Outcome of one attempt: `retrying` = failed but another attempt is scheduled; `released` = handed back (shutdown, crash). */
export type LedgerStatus = (typeof LEDGER_STATUSES)[number];

/** One attempt of one job, from any source. */
export interface LedgerEntry {
  readonly id: number;
  readonly key: string;
  readonly source: SourceKind;
  readonly recordId: string;
  readonly title: string | null;
  readonly workerId: string;
  readonly status: LedgerStatus;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly processingMs: number | null;
  readonly sourceBytes: number | null;
  readonly outputBytes: number | null;
  readonly duration: number | null;
  readonly errorCode: string | null;
  readonly error: string | null;
  readonly logTail: readonly string[] | null;
  /** What a completed attempt did to the source (deinterlaced, tonemapped, …); null before v4 or when not recorded. */
  readonly conversions: readonly string[] | null;
}

/** What {@link Ledger.start} records, and how an attempt ended: the pipeline's contract. */
export type { AttemptStart, AttemptOutcome };

/** Dashboard and daily-report figures. "Today" starts at 00:00 UTC of `now()`. */
export interface LedgerStats {
  readonly today: { readonly completed: number; readonly failed: number; readonly retried: number; readonly processing: number };
  /** Mean processing time of attempts completed in the last 7 days; null if none. */
  readonly averageProcessingMs: number | null;
  /** completed / (completed + failed) over the last 7 days, 0-1; null if neither happened. */
  readonly successRate: number | null;
  /** Output bytes of the attempts completed today. */
  readonly storageUsedTodayBytes: number;
  readonly lastCompletedAt: string | null;
}

/** Construction options of {@link Ledger}. */
export interface LedgerOptions {
  readonly db: Database;
  readonly now: () => Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;

const STATS_SQL = `SELECT
    (SELECT COUNT(*) FROM ledger WHERE finished_at >= @today AND status = 'completed') AS completed,
    (SELECT COUNT(*) FROM ledger WHERE finished_at >= @today AND status = 'failed') AS failed,
    (SELECT COUNT(*) FROM ledger WHERE finished_at >= @today AND status = 'retrying') AS retried,
    (SELECT COUNT(*) FROM ledger WHERE status = 'processing') AS processing,
    (SELECT AVG(processing_ms) FROM ledger WHERE finished_at >= @week AND status = 'completed') AS avg_ms,
    (SELECT COUNT(*) FROM ledger WHERE finished_at >= @week AND status = 'completed') AS week_completed,
    (SELECT COUNT(*) FROM ledger WHERE finished_at >= @week AND status = 'failed') AS week_failed,
    (SELECT COALESCE(SUM(output_bytes), 0) FROM ledger WHERE finished_at >= @today AND status = 'completed') AS bytes_today,
    (SELECT MAX(finished_at) FROM ledger WHERE status = 'completed') AS last_completed`;

interface StatsRow {
  completed: number;
  failed: number;
  retried: number;
  processing: number;
  avg_ms: number | null;
  week_completed: number;
  week_failed: number;
  bytes_today: number;
  last_completed: string | null;
}

/** The `ledger` table: one row per attempt of every job, whatever its source. */
export class Ledger {
  private readonly db: Database;
  private readonly now: () => Date;

  constructor({ db, now }: LedgerOptions) {
    this.db = db;
    this.now = now;
  }

  /** Records the start of an attempt; returns its id for {@link Ledger.finish}. */
  start(attempt: AttemptStart): number {
    const result = this.db
      .prepare(
        `INSERT INTO ledger (job_key, source, record_id, title, worker_id, status, started_at, queued_at)
         VALUES (@key, @source, @recordId, @title, @workerId, 'processing', @now, @queuedAt)`,
      )
      .run({ ...attempt, queuedAt: attempt.queuedAt ?? null, now: this.now().toISOString() });
    return Number(result.lastInsertRowid);
  }

  finish(id: number, outcome: AttemptOutcome): void {
    const now = this.now();
    this.db
      .prepare(
        `UPDATE ledger SET status = @status, finished_at = @finishedAt,
           processing_ms = COALESCE(@processingMs, CAST(ROUND((julianday(@finishedAt) - julianday(started_at)) * 86400000) AS INTEGER)),
           source_bytes = @sourceBytes, output_bytes = @outputBytes, duration = @duration,
           error_code = @errorCode, error = @error, log_tail = @logTail, conversions = @conversions
         WHERE id = @id`,
      )
      .run(finishParams(id, outcome, now));
  }

  stats(): LedgerStats {
    const now = this.now();
    const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())).toISOString();
    const week = new Date(now.getTime() - 7 * DAY_MS).toISOString();
    const row = this.db.prepare(STATS_SQL).get({ today, week }) as StatsRow;
    const decided = row.week_completed + row.week_failed;
    return {
      today: { completed: row.completed, failed: row.failed, retried: row.retried, processing: row.processing },
      averageProcessingMs: row.avg_ms === null ? null : Math.round(row.avg_ms),
      successRate: decided === 0 ? null : row.week_completed / decided,
      storageUsedTodayBytes: row.bytes_today,
      lastCompletedAt: row.last_completed,
    };
  }

  /** Newest attempts first, optionally of one job (`<source>-<record id>`). */
  recent({ limit, key }: { limit: number; key?: string }): LedgerEntry[] {
    const where = key === undefined ? '' : 'WHERE job_key = @key';
    const rows = this.db.prepare(`SELECT * FROM ledger ${where} ORDER BY id DESC LIMIT @limit`).all({ key: key ?? null, limit }) as Record<
      string,
      unknown
    >[];
    return rows.map(toLedgerEntry);
  }

  /** How many attempts the ledger holds, and when the oldest started (doctor). */
  extent(): { attempts: number; oldestStartedAt: string | null } {
    const r = this.db.prepare('SELECT COUNT(*) AS n, MIN(started_at) AS oldest FROM ledger').get() as { n: number; oldest: string | null };
    return { attempts: r.n, oldestStartedAt: r.oldest };
  }

  /**
   * Retention (daily cleanup): deletes attempts that started before `before`, a batch per
   * statement so a worker writing to the ledger never waits long. Attempts still in `processing`
   * are kept whatever their age.
   */
  prune(before: Date, batchSize = 5000): number {
    const remove = this.db.prepare(
      `DELETE FROM ledger WHERE id IN (
         SELECT id FROM ledger WHERE started_at < @before AND status <> 'processing' LIMIT @limit)`,
    );
    let removed = 0;
    for (;;) {
      const { changes } = remove.run({ before: before.toISOString(), limit: batchSize });
      removed += changes;
      if (changes < batchSize) return removed;
    }
  }

  /**
   * At start-up: attempts left in `processing` by workers that are gone (crash, kill -9) become
   * `released`. `isGone` decides per worker id (a dead pid on this host, or our own pinned WORKER_ID).
   */
  markInterrupted(isGone: (workerId: string) => boolean): number {
    const workers = this.db.prepare("SELECT DISTINCT worker_id FROM ledger WHERE status = 'processing'").pluck().all() as string[];
    const update = this.db.prepare(
      `UPDATE ledger SET status = 'released', finished_at = @now, error = 'interrupted (the worker stopped without finishing)'
       WHERE worker_id = @workerId AND status = 'processing'`,
    );
    let changed = 0;
    for (const workerId of workers.filter(isGone)) changed += update.run({ workerId, now: this.now().toISOString() }).changes;
    return changed;
  }
}

/** The parameters of both stores' `finish` statement; a null processingMs is computed from the row's times. */
export function finishParams(id: number, outcome: AttemptOutcome, now: Date): Record<string, unknown> {
  return {
    id,
    status: outcome.status,
    finishedAt: now.toISOString(),
    processingMs: outcome.processingMs === undefined ? null : Math.round(outcome.processingMs),
    sourceBytes: outcome.sourceBytes ?? null,
    outputBytes: outcome.outputBytes ?? null,
    duration: outcome.duration ?? null,
    errorCode: outcome.errorCode ?? null,
    error: outcome.error ?? null,
    logTail: outcome.logTail === undefined ? null : JSON.stringify(outcome.logTail),
    conversions: outcome.conversions === undefined ? null : JSON.stringify(outcome.conversions),
  };
}

/** A `ledger` row (SQLite's, or PostgreSQL's made SQLite-shaped by its type parsers) as an entry. */
export function toLedgerEntry(raw: Record<string, unknown>): LedgerEntry {
  return {
    id: Number(raw.id),
    key: String(raw.job_key),
    source: raw.source as SourceKind,
    recordId: String(raw.record_id),
    title: textOrNull(raw.title),
    workerId: String(raw.worker_id),
    status: raw.status as LedgerStatus,
    startedAt: String(raw.started_at),
    finishedAt: textOrNull(raw.finished_at),
    processingMs: numberOrNull(raw.processing_ms),
    sourceBytes: numberOrNull(raw.source_bytes),
    outputBytes: numberOrNull(raw.output_bytes),
    duration: numberOrNull(raw.duration),
    errorCode: textOrNull(raw.error_code),
    error: textOrNull(raw.error),
    logTail: jsonArrayOrNull(raw.log_tail)?.map(String) ?? null,
    conversions: jsonArrayOrNull(raw.conversions)?.map(String) ?? null,
  };
}
