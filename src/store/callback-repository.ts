import type { Database } from './database.js';
import { numberOrNull, textOrNull } from './column-values.js';
import type { CallbackEvent, DeliveryStatus, Settlement } from '../domain/callback.js';

/** One callback to make, as the job page shows it. */
export interface CallbackDelivery {
  readonly id: number;
  readonly jobKey: string;
  readonly event: CallbackEvent;
  /** As configured or submitted: it may carry a token, so show it through redactUrl. */
  readonly url: string;
  readonly status: DeliveryStatus;
  /** POSTs made so far. */
  readonly attempts: number;
  /** ISO-8601; null once settled. */
  readonly nextAttemptAt: string | null;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A delivery taken by one attempt, with the job as it was when the event happened. */
export interface ClaimedDelivery extends CallbackDelivery {
  /** JSON text. */
  readonly jobJson: string;
}

const COLUMNS = `id, job_key, event, url, status, attempts, next_attempt_at, last_status_code, last_error, created_at, updated_at`;

const SQL = {
  register: `INSERT INTO job_callbacks (job_key, url, created_at) VALUES (@jobKey, @url, @now)
    ON CONFLICT (job_key) DO UPDATE SET url = excluded.url, created_at = excluded.created_at`,
  jobUrl: `SELECT url FROM job_callbacks WHERE job_key = ?`,
  create: `INSERT INTO callback_deliveries (job_key, event, url, job_json, status, attempts, next_attempt_at, created_at, updated_at)
    VALUES (@jobKey, @event, @url, @jobJson, 'pending', 0, @now, @now, @now)`,
  // One statement, so two daemons sharing the file never take the same row: SQLite has one writer.
  claim: `UPDATE callback_deliveries SET next_attempt_at = @leaseUntil, updated_at = @now
    WHERE id IN (SELECT id FROM callback_deliveries WHERE status = 'pending' AND next_attempt_at <= @now
      ORDER BY next_attempt_at, id LIMIT @limit)
    RETURNING ${COLUMNS}, job_json`,
  settle: `UPDATE callback_deliveries SET status = @status, attempts = @attempts, next_attempt_at = @nextAttemptAt,
    last_status_code = @lastStatusCode, last_error = @lastError, updated_at = @now
    WHERE id = @id AND status = 'pending'`,
  release: `UPDATE callback_deliveries SET next_attempt_at = @now, updated_at = @now WHERE id = @id AND status = 'pending'`,
  forJob: `SELECT ${COLUMNS} FROM callback_deliveries WHERE job_key = ? ORDER BY id DESC`,
  get: `SELECT ${COLUMNS} FROM callback_deliveries WHERE id = ?`,
} as const;

/** The `job_callbacks` and `callback_deliveries` tables. Timestamps come from the caller's clock. */
export class CallbackRepository {
  constructor(private readonly db: Database) {}

  /** Sets (or replaces) the job's own callback URL; the caller has validated it. */
  register(jobKey: string, url: string, now: Date): void {
    this.db.prepare(SQL.register).run({ jobKey, url, now: now.toISOString() });
  }

  jobUrl(jobKey: string): string | null {
    const row = this.db.prepare(SQL.jobUrl).get(jobKey) as { url: unknown } | undefined;
    return row ? textOrNull(row.url) : null;
  }

  /** One pending delivery per URL, due now, all or none. */
  create(o: { jobKey: string; event: CallbackEvent; urls: readonly string[]; jobJson: string; now: Date }): number[] {
    const insert = this.db.prepare(SQL.create);
    const now = o.now.toISOString();
    return this.db.transaction(() =>
      o.urls.map((url) => Number(insert.run({ jobKey: o.jobKey, event: o.event, url, jobJson: o.jobJson, now }).lastInsertRowid)),
    )();
  }

  /**
   * Takes up to `limit` pending deliveries due at `now`, oldest first, and moves them to
   * `leaseUntil`: should this process die mid-attempt, the row becomes due again then.
   */
  claimDue(now: Date, leaseUntil: Date, limit: number): ClaimedDelivery[] {
    const rows = this.db.prepare(SQL.claim).all({ now: now.toISOString(), leaseUntil: leaseUntil.toISOString(), limit }) as Raw[];
    return rows.map((raw) => ({ ...toDelivery(raw), jobJson: String(raw.job_json) })).sort((a, b) => a.id - b.id);
  }

  settle(id: number, settlement: Settlement, now: Date): void {
    this.db.prepare(SQL.settle).run({ id, ...settlement, now: now.toISOString() });
  }

  /** An attempt that never happened (shutdown): due again at once, no attempt counted. */
  release(id: number, now: Date): void {
    this.db.prepare(SQL.release).run({ id, now: now.toISOString() });
  }

  /** The job's deliveries, newest first (for the job page). */
  deliveriesFor(jobKey: string): CallbackDelivery[] {
    return (this.db.prepare(SQL.forJob).all(jobKey) as Raw[]).map(toDelivery);
  }

  get(id: number): CallbackDelivery | null {
    const raw = this.db.prepare(SQL.get).get(id) as Raw | undefined;
    return raw ? toDelivery(raw) : null;
  }
}

type Raw = Record<string, unknown>;

/** A `callback_deliveries` row (SQLite's, or PostgreSQL's made SQLite-shaped) as a delivery. */
export function toDelivery(raw: Raw): CallbackDelivery {
  return {
    id: Number(raw.id),
    jobKey: String(raw.job_key),
    event: raw.event as CallbackEvent,
    url: String(raw.url),
    status: raw.status as DeliveryStatus,
    attempts: Number(raw.attempts),
    nextAttemptAt: textOrNull(raw.next_attempt_at),
    lastStatusCode: numberOrNull(raw.last_status_code),
    lastError: textOrNull(raw.last_error),
    createdAt: String(raw.created_at),
    updatedAt: String(raw.updated_at),
  };
}
