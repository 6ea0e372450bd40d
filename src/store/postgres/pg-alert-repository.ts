import type pg from 'pg';
import type { Alert, AlertCondition } from '../alert-repository.js';
import type { AlertStore } from '../store.js';
import { row, rows, type Raw } from './pg-db.js';
import { toAlert } from '../alert-repository.js';

const NOW = '@now::timestamptz';

const SQL = {
  open: `INSERT INTO alerts (rule, level, status, message, first_seen_at, last_seen_at)
    VALUES (@rule, @level, 'open', @message, ${NOW}, ${NOW}) RETURNING *`,
  active: `SELECT * FROM alerts WHERE status <> 'resolved' ORDER BY first_seen_at DESC, id DESC`,
  activeByRule: `SELECT * FROM alerts WHERE status <> 'resolved' AND rule = @rule`,
  get: `SELECT * FROM alerts WHERE id = @id`,
  touch: `UPDATE alerts SET level = @level, message = @message, last_seen_at = ${NOW} WHERE id = @id RETURNING *`,
  notified: `UPDATE alerts SET last_notified_at = ${NOW}, notifications = notifications + 1 WHERE id = @id RETURNING *`,
  acknowledge: `UPDATE alerts SET status = 'acknowledged', acknowledged_at = ${NOW}, acknowledged_by = @by
    WHERE id = @id AND status = 'open' RETURNING *`,
  resolve: `UPDATE alerts SET status = 'resolved', resolved_at = ${NOW} WHERE id = @id AND status <> 'resolved' RETURNING *`,
  recentResolved: `SELECT * FROM alerts WHERE status = 'resolved' ORDER BY resolved_at DESC, id DESC LIMIT @limit`,
} as const;

/** unique_violation: another daemon opened the rule's alert first. */
const UNIQUE_VIOLATION = '23505';

/** The `alerts` table on PostgreSQL, as src/store/alert-repository.ts. Timestamps come from the caller. */
export class PgAlertRepository implements AlertStore {
  private readonly pool: pg.Pool;

  constructor({ pool }: { readonly pool: pg.Pool }) {
    this.pool = pool;
  }

  /** Opens an alert for `condition`, or returns the one already active for its rule (the partial unique index decides). */
  async open(condition: AlertCondition, now: Date): Promise<{ alert: Alert; created: boolean }> {
    try {
      const raw = await row(this.pool, SQL.open, { ...condition, now: now.toISOString() });
      return { alert: toAlert(raw!), created: true };
    } catch (err) {
      if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
      const existing = await this.activeFor(condition.rule);
      if (existing) return { alert: existing, created: false };
      throw err;
    }
  }

  /** Open and acknowledged alerts, newest first. */
  async active(): Promise<Alert[]> {
    return (await rows(this.pool, SQL.active)).map(toAlert);
  }

  async activeFor(rule: string): Promise<Alert | null> {
    const raw = await row(this.pool, SQL.activeByRule, { rule });
    return raw ? toAlert(raw) : null;
  }

  async get(id: number): Promise<Alert | null> {
    const raw = await row(this.pool, SQL.get, { id });
    return raw ? toAlert(raw) : null;
  }

  /** The condition still holds: new level and message, last seen now. */
  async touch(id: number, condition: AlertCondition, now: Date): Promise<Alert> {
    return toAlert(
      existing(await row(this.pool, SQL.touch, { id, level: condition.level, message: condition.message, now: now.toISOString() })),
    );
  }

  async markNotified(id: number, now: Date): Promise<Alert> {
    return toAlert(existing(await row(this.pool, SQL.notified, { id, now: now.toISOString() })));
  }

  /** open → acknowledged; null when the alert is not open (already acknowledged, resolved, unknown). */
  async acknowledge(id: number, by: string, now: Date): Promise<Alert | null> {
    const raw = await row(this.pool, SQL.acknowledge, { id, by, now: now.toISOString() });
    return raw ? toAlert(raw) : null;
  }

  async resolve(id: number, now: Date): Promise<Alert | null> {
    const raw = await row(this.pool, SQL.resolve, { id, now: now.toISOString() });
    return raw ? toAlert(raw) : null;
  }

  async recentResolved(limit: number): Promise<Alert[]> {
    return (await rows(this.pool, SQL.recentResolved, { limit })).map(toAlert);
  }
}

/**
 * touch and markNotified are only called with the id of an alert the caller holds; the SQLite
 * store fails (a TypeError) when it is gone, and so does this one, with a clearer message.
 */
function existing(raw: Raw | null): Raw {
  if (!raw) throw new TypeError('no such alert');
  return raw;
}
