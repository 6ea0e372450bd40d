import type { Database } from './database.js';
import { textOrNull } from './column-values.js';

export const ALERT_LEVELS = ['warning', 'critical'] as const;
export type AlertLevel = (typeof ALERT_LEVELS)[number];

export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
/** `acknowledged`: still active, but an operator has seen it, so it is not repeated. */
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** One alert: a rule's condition from the moment it held until it cleared. */
export interface Alert {
  readonly id: number;
  /** Which condition: `cpu`, `memory`, `disk`, `failed_jobs`, `worker_delayed`, `worker_crashed`, `source:<kind>`… */
  readonly rule: string;
  readonly level: AlertLevel;
  readonly status: AlertStatus;
  /** The latest description of the condition. */
  readonly message: string;
  /** ISO-8601. */
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  readonly lastNotifiedAt: string | null;
  /** Messages sent about it so far (opened, escalated, repeated). */
  readonly notifications: number;
  readonly acknowledgedAt: string | null;
  readonly acknowledgedBy: string | null;
  readonly resolvedAt: string | null;
}

/** What a rule reports about a condition that holds now. */
export interface AlertCondition {
  readonly rule: string;
  readonly level: AlertLevel;
  readonly message: string;
}

const SQL = {
  open: `INSERT INTO alerts (rule, level, status, message, first_seen_at, last_seen_at)
    VALUES (@rule, @level, 'open', @message, @now, @now) RETURNING *`,
  active: `SELECT * FROM alerts WHERE status != 'resolved' ORDER BY first_seen_at DESC, id DESC`,
  activeByRule: `SELECT * FROM alerts WHERE status != 'resolved' AND rule = ?`,
  get: `SELECT * FROM alerts WHERE id = ?`,
  touch: `UPDATE alerts SET level = @level, message = @message, last_seen_at = @now WHERE id = @id RETURNING *`,
  notified: `UPDATE alerts SET last_notified_at = @now, notifications = notifications + 1 WHERE id = @id RETURNING *`,
  acknowledge: `UPDATE alerts SET status = 'acknowledged', acknowledged_at = @now, acknowledged_by = @by
    WHERE id = @id AND status = 'open' RETURNING *`,
  resolve: `UPDATE alerts SET status = 'resolved', resolved_at = @now WHERE id = @id AND status != 'resolved' RETURNING *`,
  recentResolved: `SELECT * FROM alerts WHERE status = 'resolved' ORDER BY resolved_at DESC, id DESC LIMIT ?`,
} as const;

/** The `alerts` table. Timestamps are passed in by the caller (the alert service's clock). */
export class AlertRepository {
  constructor(private readonly db: Database) {}

  /**
   * Opens an alert for `condition`, or returns the one already active for its rule (another daemon
   * sharing the store may have opened it first: the partial unique index decides).
   */
  open(condition: AlertCondition, now: Date): { alert: Alert; created: boolean } {
    try {
      const raw = this.db.prepare(SQL.open).get({ ...condition, now: now.toISOString() }) as Raw;
      return { alert: toAlert(raw), created: true };
    } catch (err) {
      const existing = this.activeFor(condition.rule);
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && existing) return { alert: existing, created: false };
      throw err;
    }
  }

  /** Open and acknowledged alerts, newest first. */
  active(): Alert[] {
    return (this.db.prepare(SQL.active).all() as Raw[]).map(toAlert);
  }

  activeFor(rule: string): Alert | null {
    const raw = this.db.prepare(SQL.activeByRule).get(rule) as Raw | undefined;
    return raw ? toAlert(raw) : null;
  }

  get(id: number): Alert | null {
    const raw = this.db.prepare(SQL.get).get(id) as Raw | undefined;
    return raw ? toAlert(raw) : null;
  }

  /** The condition still holds: new level and message, last seen now. */
  touch(id: number, condition: AlertCondition, now: Date): Alert {
    return toAlert(
      this.db.prepare(SQL.touch).get({ id, level: condition.level, message: condition.message, now: now.toISOString() }) as Raw,
    );
  }

  markNotified(id: number, now: Date): Alert {
    return toAlert(this.db.prepare(SQL.notified).get({ id, now: now.toISOString() }) as Raw);
  }

  /** open → acknowledged; null when the alert is not open (already acknowledged, resolved, unknown). */
  acknowledge(id: number, by: string, now: Date): Alert | null {
    const raw = this.db.prepare(SQL.acknowledge).get({ id, by, now: now.toISOString() }) as Raw | undefined;
    return raw ? toAlert(raw) : null;
  }

  resolve(id: number, now: Date): Alert | null {
    const raw = this.db.prepare(SQL.resolve).get({ id, now: now.toISOString() }) as Raw | undefined;
    return raw ? toAlert(raw) : null;
  }

  recentResolved(limit: number): Alert[] {
    return (this.db.prepare(SQL.recentResolved).all(limit) as Raw[]).map(toAlert);
  }
}

type Raw = Record<string, unknown>;

/** An `alerts` row (SQLite's, or PostgreSQL's made SQLite-shaped) as an alert. */
export function toAlert(raw: Raw): Alert {
  const str = textOrNull;
  return {
    id: Number(raw.id),
    rule: String(raw.rule),
    level: raw.level as AlertLevel,
    status: raw.status as AlertStatus,
    message: String(raw.message),
    firstSeenAt: String(raw.first_seen_at),
    lastSeenAt: String(raw.last_seen_at),
    lastNotifiedAt: str(raw.last_notified_at),
    notifications: Number(raw.notifications),
    acknowledgedAt: str(raw.acknowledged_at),
    acknowledgedBy: str(raw.acknowledged_by),
    resolvedAt: str(raw.resolved_at),
  };
}
