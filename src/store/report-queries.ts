import type { Database } from './database.js';

/** Completed and failed (for good) attempts of one UTC day. */
export interface DayOutcome {
  /** YYYY-MM-DD (UTC). */
  readonly day: string;
  readonly completed: number;
  readonly failed: number;
}

/** Ledger figures over a period, for the daily report. */
export interface PeriodSummary {
  readonly completed: number;
  /** Jobs that failed for good (no retry follows). */
  readonly failed: number;
  readonly averageProcessingMs: number | null;
  readonly outputBytes: number;
  /** The most frequent error code among failed and retried attempts; null when there were none. */
  readonly topError: { readonly code: string; readonly count: number } | null;
  readonly queueWait: QueueWait;
}

/** How long jobs waited in the queue: from due (created, or their retry time) to claimed. */
export interface QueueWait {
  /** Attempts started in the period. */
  readonly count: number;
  readonly medianMs: number | null;
  readonly p95Ms: number | null;
}

const DAY_MS = 86_400_000;

const SQL = {
  daily: `SELECT substr(finished_at, 1, 10) AS day,
      SUM(status = 'completed') AS completed, SUM(status = 'failed') AS failed
    FROM ledger WHERE finished_at >= @from AND status IN ('completed', 'failed')
    GROUP BY day`,
  failuresSince: `SELECT COUNT(*) FROM ledger WHERE finished_at >= ? AND status IN ('failed', 'retrying')`,
  period: `SELECT
      (SELECT COUNT(*) FROM ledger WHERE finished_at >= @from AND finished_at < @to AND status = 'completed') AS completed,
      (SELECT COUNT(*) FROM ledger WHERE finished_at >= @from AND finished_at < @to AND status = 'failed') AS failed,
      (SELECT AVG(processing_ms) FROM ledger WHERE finished_at >= @from AND finished_at < @to AND status = 'completed') AS avg_ms,
      (SELECT COALESCE(SUM(output_bytes), 0) FROM ledger WHERE finished_at >= @from AND finished_at < @to AND status = 'completed') AS bytes`,
  queueWaits: `SELECT MAX(0, CAST(ROUND((julianday(started_at) - julianday(queued_at)) * 86400000) AS INTEGER)) AS ms FROM ledger
    WHERE started_at >= @from AND started_at < @to AND queued_at IS NOT NULL ORDER BY ms`,
  topError: `SELECT error_code AS code, COUNT(*) AS n FROM ledger
    WHERE finished_at >= @from AND finished_at < @to AND status IN ('failed', 'retrying') AND error_code IS NOT NULL
    GROUP BY error_code ORDER BY n DESC, error_code ASC LIMIT 1`,
} as const;

/** Read-only aggregates of the ledger for the dashboard, the alert rules and the daily report. */
export class ReportQueries {
  constructor(private readonly db: Database) {}

  /** The last `days` UTC days up to `now`, oldest first, every day present (zeros included). */
  dailyOutcomes(days: number, now: Date): DayOutcome[] {
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const first = today - (days - 1) * DAY_MS;
    const rows = this.db.prepare(SQL.daily).all({ from: new Date(first).toISOString() }) as {
      day: string;
      completed: number;
      failed: number;
    }[];
    const byDay = new Map(rows.map((r) => [r.day, r]));
    return Array.from({ length: days }, (_, i) => {
      const day = new Date(first + i * DAY_MS).toISOString().slice(0, 10);
      const row = byDay.get(day);
      return { day, completed: row?.completed ?? 0, failed: row?.failed ?? 0 };
    });
  }

  /** Attempts that failed since `since`, whether or not a retry follows. */
  failedAttemptsSince(since: Date): number {
    return this.db.prepare(SQL.failuresSince).pluck().get(since.toISOString()) as number;
  }

  /** Queue wait of the attempts started in [from, to): the median and the 95th percentile (nearest rank). */
  queueWait(from: Date, to: Date): QueueWait {
    const waits = this.db.prepare(SQL.queueWaits).pluck().all({ from: from.toISOString(), to: to.toISOString() }) as number[];
    return { count: waits.length, medianMs: quantile(waits, 0.5), p95Ms: quantile(waits, 0.95) };
  }

  summary(from: Date, to: Date): PeriodSummary {
    const params = { from: from.toISOString(), to: to.toISOString() };
    const row = this.db.prepare(SQL.period).get(params) as { completed: number; failed: number; avg_ms: number | null; bytes: number };
    const top = this.db.prepare(SQL.topError).get(params) as { code: string; n: number } | undefined;
    return {
      completed: row.completed,
      failed: row.failed,
      averageProcessingMs: row.avg_ms === null ? null : Math.round(row.avg_ms),
      outputBytes: row.bytes,
      topError: top ? { code: top.code, count: top.n } : null,
      queueWait: this.queueWait(from, to),
    };
  }
}

/** The nearest-rank quantile of sorted values; null when there are none. */
function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? null;
}
