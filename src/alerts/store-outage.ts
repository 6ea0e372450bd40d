import type { AppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { Alert } from '../store/alert-repository.js';
import type { AlertStore } from '../store/store.js';
import type { AlertChange, Notification } from './notification.js';

/** The rule name of the outage, in messages and (once over) in the alerts table. */
export const STORE_RULE = 'store';

interface Outage {
  readonly since: Date;
  message: string;
  lastAnnouncedAt: number;
  notifications: number;
}

/** Options of {@link StoreOutage}. */
export interface StoreOutageOptions {
  readonly notify: (notification: Notification) => void;
  /** The outage is announced again at most this often (ALERT_COOLDOWN). */
  readonly cooldownMs: number;
  readonly log: Logger;
  /** The stored rule name: STORE_RULE, with the daemon's worker id on a shared store (alert-scope.ts). */
  readonly rule?: string;
}

/**
 * "Job store disconnected": the one alert that cannot live in the alerts table, which is in the
 * store that cannot be reached (PostgreSQL down or unreachable). It is kept in memory and announced
 * as critical straight away, again every cooldown; when the store answers again it is written to
 * the table as it happened (opened and resolved, for the dashboard's history) and its end announced.
 */
export class StoreOutage {
  private outage: Outage | null = null;

  private readonly rule: string;

  constructor(private readonly o: StoreOutageOptions) {
    this.rule = o.rule ?? STORE_RULE;
  }

  get active(): boolean {
    return this.outage !== null;
  }

  /** An evaluation could not reach the store. */
  failed(err: AppError, now: Date): void {
    const message = `The job store cannot be reached: ${err.message}. Jobs and submissions wait until it is back.`;
    if (this.outage === null) {
      this.outage = { since: now, message, lastAnnouncedAt: now.getTime(), notifications: 0 };
      this.o.log.error({ err }, 'the job store is unreachable');
      this.announce('opened', now);
    } else if (now.getTime() - this.outage.lastAnnouncedAt >= this.o.cooldownMs) {
      this.outage.message = message;
      this.outage.lastAnnouncedAt = now.getTime();
      this.announce('repeated', now);
    }
  }

  /** An evaluation went through: records the outage in the alerts table, then announces its end. */
  async recovered(repo: Pick<AlertStore, 'open' | 'markNotified' | 'resolve'>, now: Date): Promise<void> {
    const outage = this.outage;
    if (outage === null) return;
    const { alert } = await repo.open({ rule: this.rule, level: 'critical', message: outage.message }, outage.since);
    for (let i = 0; i < outage.notifications; i += 1) await repo.markNotified(alert.id, new Date(outage.lastAnnouncedAt));
    const resolved = await repo.resolve(alert.id, now);
    this.outage = null;
    const seconds = Math.round((now.getTime() - outage.since.getTime()) / 1000);
    this.o.log.info({ seconds }, 'the job store answers again');
    if (resolved) this.o.notify({ kind: 'alert', change: 'resolved', alert: resolved });
  }

  private announce(change: AlertChange, now: Date): void {
    const outage = this.outage!;
    outage.notifications += 1;
    this.o.notify({ kind: 'alert', change, alert: this.asAlert(outage, now) });
  }

  /** The outage as an alert for the channels; id 0: it has no row yet. */
  private asAlert(outage: Outage, now: Date): Alert {
    return {
      id: 0,
      rule: this.rule,
      level: 'critical',
      status: 'open',
      message: outage.message,
      firstSeenAt: outage.since.toISOString(),
      lastSeenAt: now.toISOString(),
      lastNotifiedAt: now.toISOString(),
      notifications: outage.notifications,
      acknowledgedAt: null,
      acknowledgedBy: null,
      resolvedAt: null,
    };
  }
}
