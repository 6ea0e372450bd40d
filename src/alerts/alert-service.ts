import type { AlertThresholds } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import type { DaemonEvent, EventSink } from '../domain/events.js';
import type { WorkerSnapshot } from '../domain/worker.js';
import type { Alert, AlertCondition, AlertLevel } from '../store/alert-repository.js';
import type { AlertStore } from '../store/store.js';
import type { AlertChange, Notification } from './notification.js';
import { evaluateRules, type Incident, type RuleResult } from './rules.js';
import { StoreOutage, STORE_RULE } from './store-outage.js';
import { ownsRule, scopedRule, splitRule } from './alert-scope.js';
import { isAppError } from '../errors.js';
import type { SystemSample } from './system-sample.js';

/** Construction options of {@link AlertService}. */
export interface AlertServiceOptions {
  readonly repo: AlertStore;
  readonly notify: (notification: Notification) => void;
  readonly thresholds: AlertThresholds;
  /** An active alert is announced again at most this often (ALERT_COOLDOWN). */
  readonly cooldownMs: number;
  /** Longest gap between two scheduled polls. */
  readonly pollPeriodMs: number;
  readonly samples: () => readonly SystemSample[];
  readonly failedSince: (since: Date) => Promise<number>;
  readonly now: () => Date;
  readonly log: Logger;
  /** Readings older than this are ignored; 60 s by default (six missed readings). */
  readonly sampleMaxAgeMs?: number;
  /** The daemon's worker id when the store is shared by a fleet (see alert-scope.ts); null alone. */
  readonly scope?: string | null;
  /** Runs an evaluation requested by an event; setImmediate by default, so `emit` returns at once. */
  readonly defer?: (fn: () => void) => void;
}

const HOUR_MS = 3_600_000;

/** Failures of the encode watchdog: FFmpeg hung or ran far too long and was killed. */
const WATCHDOG_CODES: ReadonlySet<string> = new Set(['encode_stalled', 'encode_timeout']);

/**
 * Turns the rules' conclusions into alerts: opens one per rule when its condition starts,
 * announces it (again at most every ALERT_COOLDOWN, at once when it escalates to critical),
 * and resolves it — with a "resolved" message — when the condition clears. It is also the
 * pipeline's event sink: events only update memory and ask for an evaluation, never wait.
 */
export class AlertService implements EventSink {
  private worker: (() => WorkerSnapshot) | null = null;
  private crash: Incident | null = null;
  private diskFull: Incident | null = null;
  /** The last encode killed by the watchdog (encode_stalled, encode_timeout), until a job completes. */
  private encodeStuck: (Incident & { readonly final: boolean }) | null = null;
  /** Per rule: when and at which level it was last announced (restored from the store at start). */
  private readonly announced = new Map<string, { at: number; level: AlertLevel }>();
  private scheduled = false;
  private stopped = false;
  /** Evaluations run one after the other (each reads, then writes the alerts); the first waits for the restore. */
  private chain: Promise<void>;

  private readonly storeOutage: StoreOutage;
  private readonly scope: string | null;

  constructor(private readonly options: AlertServiceOptions) {
    this.scope = options.scope ?? null;
    this.storeOutage = new StoreOutage({
      notify: options.notify,
      cooldownMs: options.cooldownMs,
      log: options.log,
      rule: scopedRule(STORE_RULE, this.scope),
    });
    this.chain = this.restore().catch((err: unknown) => this.options.log.error({ err }, 'could not read the active alerts'));
  }

  /** What was announced before a restart, and the event-made alerts still active. */
  private async restore(): Promise<void> {
    for (const alert of await this.ownActive()) {
      if (alert.lastNotifiedAt) this.announced.set(alert.rule, { at: Date.parse(alert.lastNotifiedAt), level: alert.level });
      // Event-made alerts outlive a restart: they clear on the next completed job, not on boot.
      const { rule } = splitRule(alert.rule);
      if (rule === 'worker_crashed') this.crash = { at: alert.firstSeenAt, message: alert.message };
      if (rule === 'disk_full') this.diskFull = { at: alert.firstSeenAt, message: alert.message };
      if (rule === 'encode_stuck') this.encodeStuck = { at: alert.firstSeenAt, message: alert.message, final: alert.level === 'critical' };
    }
  }

  /** Evaluations wait for the worker: its snapshot feeds the worker and source rules. */
  attach(worker: () => WorkerSnapshot): void {
    this.worker = worker;
    this.requestEvaluation();
  }

  emit(event: DaemonEvent): void {
    const at = this.options.now().toISOString();
    switch (event.type) {
      case 'job_completed':
        this.crash = null;
        this.diskFull = null;
        this.encodeStuck = null;
        break;
      case 'job_failed':
        if (WATCHDOG_CODES.has(event.code)) {
          const then = event.final ? 'failed for good' : 'will be retried';
          this.encodeStuck = { at, message: `${event.key}: ${event.message} (${event.code}; ${then})`, final: event.final };
        }
        break;
      case 'worker_crashed':
        this.crash = { at, message: `Worker crashed${event.key ? ` on ${event.key}` : ''}: ${event.reason}` };
        break;
      case 'disk_full':
        this.diskFull = { at, message: `${event.key} was refused for lack of disk space: ${event.message}` };
        break;
      default:
        break;
    }
    this.requestEvaluation();
  }

  /** Runs the rules now and reconciles the alerts table, after any evaluation in progress. Never rejects. */
  evaluate(): Promise<void> {
    this.chain = this.chain.then(() => this.runEvaluation());
    return this.chain;
  }

  private async runEvaluation(): Promise<void> {
    if (this.stopped || !this.worker) return;
    try {
      const now = this.options.now();
      const failedLastHour = await this.options.failedSince(new Date(now.getTime() - HOUR_MS));
      const result = evaluateRules(
        {
          now,
          samples: this.options.samples(),
          sampleMaxAgeMs: this.options.sampleMaxAgeMs ?? 60_000,
          failedLastHour,
          worker: this.worker(),
          pollPeriodMs: this.options.pollPeriodMs,
          crash: this.crash,
          diskFull: this.diskFull,
          encodeStuck: this.encodeStuck,
        },
        this.options.thresholds,
      );
      await this.reconcile(result, now);
      await this.storeOutage.recovered(this.options.repo, now);
    } catch (err) {
      if (isAppError(err, 'store_unavailable')) this.storeOutage.failed(err, this.options.now());
      else this.options.log.error({ err }, 'alert evaluation failed');
    }
  }

  /** An operator has seen it: no more repeats (an escalation or the resolution is still announced). */
  acknowledge(id: number, by: string): Promise<Alert | null> {
    return this.options.repo.acknowledge(id, by, this.options.now());
  }

  stop(): void {
    this.stopped = true;
  }

  private requestEvaluation(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    const defer = this.options.defer ?? ((fn: () => void) => void setImmediate(fn));
    defer(() => {
      this.scheduled = false;
      void this.evaluate();
    });
  }

  /** The active alerts this daemon keeps: all of them alone on its store, its own and the fleet's on a shared one. */
  private async ownActive(): Promise<Alert[]> {
    return (await this.options.repo.active()).filter((alert) => ownsRule(alert.rule, this.scope));
  }

  private async reconcile(result: RuleResult, now: Date): Promise<void> {
    const { repo } = this.options;
    const previous = new Map((await this.ownActive()).map((alert) => [alert.rule, alert]));
    for (const judged of result.active) {
      const condition = { ...judged, rule: scopedRule(judged.rule, this.scope) };
      const existing = previous.get(condition.rule);
      previous.delete(condition.rule);
      const alert = existing ? await repo.touch(existing.id, condition, now) : (await repo.open(condition, now)).alert;
      await this.maybeAnnounce(alert, condition, now);
    }
    for (const [rule, alert] of previous) {
      if (result.unknown.includes(splitRule(rule).rule)) continue;
      const resolved = await repo.resolve(alert.id, now);
      if (resolved && resolved.notifications > 0) this.options.notify({ kind: 'alert', change: 'resolved', alert: resolved });
      this.options.log.info({ rule, level: alert.level }, 'alert resolved');
    }
  }

  /**
   * At most one announcement per rule and cooldown, so a condition flapping around its threshold
   * does not flood the channels; rising to critical is always announced. Acknowledged alerts are
   * only announced when they escalate.
   */
  private async maybeAnnounce(alert: Alert, condition: AlertCondition, now: Date): Promise<void> {
    const last = this.announced.get(alert.rule);
    // Another daemon sharing the store may have announced it (a fleet rule): the row says when.
    const lastAt = Math.max(last?.at ?? -Infinity, alert.lastNotifiedAt === null ? -Infinity : Date.parse(alert.lastNotifiedAt));
    const escalated = condition.level === 'critical' && last !== undefined && last.level === 'warning';
    const cooled = now.getTime() - lastAt >= this.options.cooldownMs;
    if (!escalated && (!cooled || alert.status === 'acknowledged')) return;
    const change: AlertChange = alert.notifications === 0 ? 'opened' : escalated ? 'escalated' : 'repeated';
    const notified = await this.options.repo.markNotified(alert.id, now);
    this.announced.set(alert.rule, { at: now.getTime(), level: condition.level });
    if (change === 'opened') this.options.log.warn({ rule: alert.rule, level: alert.level, message: alert.message }, 'alert opened');
    this.options.notify({ kind: 'alert', change, alert: notified });
  }
}
