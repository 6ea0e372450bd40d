import type pg from 'pg';
import type { DayOutcome, PeriodSummary, QueueWait } from '../report-queries.js';
import type { ReportStore } from '../store.js';
import { row, rows } from './pg-db.js';

const DAY_MS = 86_400_000;
const IN_PERIOD = `finished_at >= @from::timestamptz AND finished_at < @to::timestamptz`;

const SQL = {
  daily: `SELECT to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
      COUNT(*) FILTER (WHERE status = 'completed') AS completed, COUNT(*) FILTER (WHERE status = 'failed') AS failed
    FROM ledger WHERE finished_at >= @from::timestamptz AND status IN ('completed', 'failed')
    GROUP BY day`,
  failuresSince: `SELECT COUNT(*) AS n FROM ledger WHERE finished_at >= @since::timestamptz AND status IN ('failed', 'retrying')`,
  period: `SELECT
      (SELECT COUNT(*) FROM ledger WHERE ${IN_PERIOD} AND status = 'completed') AS completed,
      (SELECT COUNT(*) FROM ledger WHERE ${IN_PERIOD} AND status = 'failed') AS failed,
      (SELECT AVG(processing_ms) FROM ledger WHERE ${IN_PERIOD} AND status = 'completed') AS avg_ms,
      (SELECT COALESCE(SUM(output_bytes), 0) FROM ledger WHERE ${IN_PERIOD} AND status = 'completed') AS bytes`,
  queueWaits: `SELECT GREATEST(0, round(extract(epoch FROM (started_at - queued_at)) * 1000))::bigint AS ms FROM ledger
    WHERE started_at >= @from::timestamptz AND started_at < @to::timestamptz AND queued_at IS NOT NULL ORDER BY ms`,
  topError: `SELECT error_code AS code, COUNT(*) AS n FROM ledger
    WHERE ${IN_PERIOD} AND status IN ('failed', 'retrying') AND error_code IS NOT NULL
    GROUP BY error_code ORDER BY n DESC, error_code ASC LIMIT 1`,
} as const;

/** Read-only aggregates of the ledger on PostgreSQL, as src/store/report-queries.ts. */
export class PgReportQueries implements ReportStore {
  private readonly pool: pg.Pool;

  constructor({ pool }: { readonly pool: pg.Pool }) {
    this.pool = pool;
  }

  /** The last `days` UTC days up to `now`, oldest first, every day present (zeros included). */
  async dailyOutcomes(days: number, now: Date): Promise<DayOutcome[]> {
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const first = today - (days - 1) * DAY_MS;
    const byDay = new Map((await rows(this.pool, SQL.daily, { from: new Date(first).toISOString() })).map((r) => [String(r.day), r]));
    return Array.from({ length: days }, (_, i) => {
      const day = new Date(first + i * DAY_MS).toISOString().slice(0, 10);
      const r = byDay.get(day);
      return { day, completed: Number(r?.completed ?? 0), failed: Number(r?.failed ?? 0) };
    });
  }

  /** Attempts that failed since `since`, whether or not a retry follows. */
  async failedAttemptsSince(since: Date): Promise<number> {
    return Number((await row(this.pool, SQL.failuresSince, { since: since.toISOString() }))?.n);
  }

  /** Queue wait of the attempts started in [from, to): the median and the 95th percentile (nearest rank). */
  async queueWait(from: Date, to: Date): Promise<QueueWait> {
    const waits = (await rows(this.pool, SQL.queueWaits, { from: from.toISOString(), to: to.toISOString() })).map((r) => Number(r.ms));
    return { count: waits.length, medianMs: quantile(waits, 0.5), p95Ms: quantile(waits, 0.95) };
  }

  async summary(from: Date, to: Date): Promise<PeriodSummary> {
    const params = { from: from.toISOString(), to: to.toISOString() };
    const r = (await row(this.pool, SQL.period, params)) ?? {};
    const top = await row(this.pool, SQL.topError, params);
    return {
      completed: Number(r.completed),
      failed: Number(r.failed),
      averageProcessingMs: r.avg_ms === null ? null : Math.round(Number(r.avg_ms)),
      outputBytes: Number(r.bytes),
      topError: top ? { code: String(top.code), count: Number(top.n) } : null,
      queueWait: await this.queueWait(from, to),
    };
  }
}

/** The nearest-rank quantile of sorted values; null when there are none. */
function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? null;
}
