import type pg from 'pg';
import type { CallbackEvent, Settlement } from '../../domain/callback.js';
import type { CallbackDelivery, ClaimedDelivery } from '../callback-repository.js';
import { textOrNull } from '../column-values.js';
import type { CallbackStore } from '../store.js';
import { row, rows, run, transaction } from './pg-db.js';
import { toDelivery } from '../callback-repository.js';

const COLUMNS = `id, job_key, event, url, status, attempts, next_attempt_at, last_status_code, last_error, created_at, updated_at`;
const NOW = '@now::timestamptz';

const SQL = {
  register: `INSERT INTO job_callbacks (job_key, url, created_at) VALUES (@jobKey, @url, ${NOW})
    ON CONFLICT (job_key) DO UPDATE SET url = excluded.url, created_at = excluded.created_at`,
  jobUrl: `SELECT url FROM job_callbacks WHERE job_key = @jobKey`,
  create: `INSERT INTO callback_deliveries (job_key, event, url, job_json, status, attempts, next_attempt_at, created_at, updated_at)
    VALUES (@jobKey, @event, @url, @jobJson, 'pending', 0, ${NOW}, ${NOW}, ${NOW}) RETURNING id`,
  // SKIP LOCKED: a second daemon claiming at the same moment passes over the rows the first has
  // locked and takes the next ones, instead of waiting and then taking the same rows.
  claim: `UPDATE callback_deliveries SET next_attempt_at = @leaseUntil::timestamptz, updated_at = ${NOW}
    WHERE id IN (SELECT id FROM callback_deliveries WHERE status = 'pending' AND next_attempt_at <= ${NOW}
      ORDER BY next_attempt_at, id LIMIT @limit FOR UPDATE SKIP LOCKED)
    RETURNING ${COLUMNS}, job_json`,
  settle: `UPDATE callback_deliveries SET status = @status, attempts = @attempts, next_attempt_at = @nextAttemptAt::timestamptz,
    last_status_code = @lastStatusCode, last_error = @lastError, updated_at = ${NOW}
    WHERE id = @id AND status = 'pending'`,
  release: `UPDATE callback_deliveries SET next_attempt_at = ${NOW}, updated_at = ${NOW} WHERE id = @id AND status = 'pending'`,
  forJob: `SELECT ${COLUMNS} FROM callback_deliveries WHERE job_key = @jobKey ORDER BY id DESC`,
  get: `SELECT ${COLUMNS} FROM callback_deliveries WHERE id = @id`,
} as const;

/** The `job_callbacks` and `callback_deliveries` tables on PostgreSQL. Timestamps come from the caller. */
export class PgCallbackRepository implements CallbackStore {
  private readonly pool: pg.Pool;

  constructor({ pool }: { readonly pool: pg.Pool }) {
    this.pool = pool;
  }

  /** Sets (or replaces) the job's own callback URL; the caller has validated it. */
  async register(jobKey: string, url: string, now: Date): Promise<void> {
    await run(this.pool, SQL.register, { jobKey, url, now: now.toISOString() });
  }

  async jobUrl(jobKey: string): Promise<string | null> {
    const raw = await row(this.pool, SQL.jobUrl, { jobKey });
    return raw ? textOrNull(raw.url) : null;
  }

  /** One pending delivery per URL, due now, all or none (one transaction). */
  async create(o: { jobKey: string; event: CallbackEvent; urls: readonly string[]; jobJson: string; now: Date }): Promise<number[]> {
    const now = o.now.toISOString();
    return transaction(this.pool, async (client) => {
      const ids: number[] = [];
      for (const url of o.urls) {
        ids.push(Number((await row(client, SQL.create, { jobKey: o.jobKey, event: o.event, url, jobJson: o.jobJson, now }))?.id));
      }
      return ids;
    });
  }

  /**
   * Takes up to `limit` pending deliveries due at `now`, oldest first, and moves them to
   * `leaseUntil`: should this process die mid-attempt, the row becomes due again then.
   */
  async claimDue(now: Date, leaseUntil: Date, limit: number): Promise<ClaimedDelivery[]> {
    const claimed = await rows(this.pool, SQL.claim, { now: now.toISOString(), leaseUntil: leaseUntil.toISOString(), limit });
    return claimed.map((raw) => ({ ...toDelivery(raw), jobJson: String(raw.job_json) })).sort((a, b) => a.id - b.id);
  }

  async settle(id: number, settlement: Settlement, now: Date): Promise<void> {
    await run(this.pool, SQL.settle, { id, ...settlement, now: now.toISOString() });
  }

  /** An attempt that never happened (shutdown): due again at once, no attempt counted. */
  async release(id: number, now: Date): Promise<void> {
    await run(this.pool, SQL.release, { id, now: now.toISOString() });
  }

  /** The job's deliveries, newest first (for the job page). */
  async deliveriesFor(jobKey: string): Promise<CallbackDelivery[]> {
    return (await rows(this.pool, SQL.forJob, { jobKey })).map(toDelivery);
  }

  async get(id: number): Promise<CallbackDelivery | null> {
    const raw = await row(this.pool, SQL.get, { id });
    return raw ? toDelivery(raw) : null;
  }
}
