import cron from 'node-cron';
import type { AppConfig } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import type { EventSink } from '../domain/events.js';
import type { Schedule, ScheduledTask } from '../domain/schedule.js';
import type { WorkerControl } from '../domain/worker.js';
import type { AlertStore, JobStore, ReportStore, Store } from '../store/store.js';
import { AlertService } from './alert-service.js';
import { createEmailChannel } from './channels/email-channel.js';
import { createWebhookChannel } from './channels/webhook-channel.js';
import { formatDailyReport } from './daily-report.js';
import type { AlertChannel } from './notification.js';
import { Notifier } from './notifier.js';
import { totalPending, withLocalPending } from './pending-jobs.js';
import { SystemMonitor } from './system-monitor.js';
import type { SystemSampler } from './system-sample.js';
import { createSystemSampler } from './system-sampler.js';

/** What {@link Monitoring} needs; tests may replace the sampler, the channels and the scheduler. */
export interface MonitoringOptions {
  readonly config: AppConfig;
  readonly store: Pick<Store, 'kind' | 'alerts' | 'reports'>;
  /** Null when the local source is disabled. */
  readonly jobs: JobStore | null;
  readonly log: Logger;
  readonly now: () => Date;
  readonly sampler?: SystemSampler;
  readonly channels?: readonly AlertChannel[];
  readonly schedule?: Schedule;
}

const DAY_MS = 86_400_000;
const SAMPLE_INTERVAL_MS = 10_000;

/**
 * The operator's side of the daemon, wired together: system monitor, alert rules and service,
 * notification channels and the daily report. It builds no routers: main.ts hands its services
 * to the dashboard and /metrics. Created before the poller (its event sink must exist when
 * interrupted jobs are recovered), started after it.
 */
export class Monitoring {
  /** The alert rules' sink, for the poller and the pipeline. Returns at once. */
  readonly events: EventSink;
  readonly alerts: AlertService;
  readonly notifier: Notifier;
  readonly monitor: SystemMonitor;
  readonly alertRepository: AlertStore;
  readonly reports: ReportStore;
  private readonly log: Logger;
  private startedWith: WorkerControl | null = null;
  private reportTask: ScheduledTask | null = null;

  constructor(private readonly o: MonitoringOptions) {
    const { config, now } = o;
    this.log = o.log.child({ module: 'alerts' });
    this.alertRepository = o.store.alerts;
    this.reports = o.store.reports;
    this.monitor = new SystemMonitor({
      sampler: o.sampler ?? createSystemSampler({ storageDir: config.storage.dir }),
      now,
      log: o.log.child({ module: 'system-monitor' }),
      intervalMs: SAMPLE_INTERVAL_MS,
      // The CPU rule looks back ALERT_CPU_DURATION: keep at least that much history.
      historyLimit: Math.max(360, Math.ceil(config.alerts.thresholds.cpuDurationMs / SAMPLE_INTERVAL_MS) + 6),
    });
    this.notifier = new Notifier({
      channels: o.channels ?? channelsFrom(config),
      context: { workerId: config.worker.id, dashboardUrl: `${config.server.publicBaseUrl}/admin` },
      log: this.log,
    });
    this.alerts = new AlertService({
      repo: this.alertRepository,
      notify: (n) => this.notifier.notify(n),
      thresholds: config.alerts.thresholds,
      cooldownMs: config.alerts.cooldownMs,
      pollPeriodMs: pollPeriodMs(config.worker.pollCron),
      samples: () => this.monitor.history(),
      failedSince: (since) => this.reports.failedAttemptsSince(since),
      // A fleet shares the alerts table: each daemon keeps its own conditions' alerts (alert-scope.ts).
      scope: o.store.kind === 'postgres' ? config.worker.id : null,
      now,
      log: this.log,
    });
    this.events = this.alerts;
  }

  /** The worker {@link start} was given; null before. */
  get worker(): WorkerControl | null {
    return this.startedWith;
  }

  /** Starts sampling, evaluating and the daily report's schedule. */
  start(worker: WorkerControl): void {
    this.startedWith = worker;
    this.alerts.attach(() => worker.snapshot());
    this.monitor.onSample(() => void this.alerts.evaluate());
    this.monitor.start();
    const expr = this.o.config.alerts.dailyReportCron;
    if (expr !== null && this.notifier.channelNames.length > 0) {
      const schedule = this.o.schedule ?? ((e: string, fn: () => void) => cron.schedule(e, fn));
      this.reportTask = schedule(expr, () => void this.sendDailyReport());
    }
    this.log.info({ channels: this.notifier.channelNames, dailyReport: this.reportTask ? expr : 'off' }, 'alerts ready');
  }

  /** The daily report over the last 24 hours, to every channel (the cron calls this). Never rejects. */
  async sendDailyReport(): Promise<void> {
    try {
      const at = this.o.now();
      const pending = totalPending(withLocalPending(this.worker?.snapshot().sources ?? [], await this.localPending()));
      const summary = await this.reports.summary(new Date(at.getTime() - DAY_MS), at);
      const report = formatDailyReport({ at, summary, pending, activeAlerts: await this.alertRepository.active() });
      this.log.info({ channels: this.notifier.channelNames }, 'sending the daily report');
      this.notifier.notify({ kind: 'report', ...report });
    } catch (err) {
      this.log.error({ err }, 'could not build the daily report');
    }
  }

  /** Pending jobs of the local store now; null when the local source is disabled. */
  async localPending(): Promise<number | null> {
    return this.o.jobs ? (await this.o.jobs.countByStatus()).pending : null;
  }

  stop(): void {
    this.reportTask?.stop();
    this.monitor.stop();
    this.alerts.stop();
    this.notifier.stop();
  }
}

function channelsFrom(config: AppConfig): AlertChannel[] {
  const { email, slackWebhookUrl, discordWebhookUrl } = config.alerts;
  const channels: AlertChannel[] = [];
  if (email) channels.push(createEmailChannel(email));
  if (slackWebhookUrl) channels.push(createWebhookChannel({ kind: 'slack', url: slackWebhookUrl }));
  if (discordWebhookUrl) channels.push(createWebhookChannel({ kind: 'discord', url: discordWebhookUrl }));
  return channels;
}

/**
 * The longest gap between two runs of POLL_CRON over its next few runs: the worker-delay rule
 * allows this plus ALERT_WORKER_DELAY, so an hourly schedule is not "late" after 6 minutes.
 */
export function pollPeriodMs(expr: string): number {
  const task = cron.createTask(expr, () => undefined);
  try {
    const runs = task.getNextRuns(12).map((d) => d.getTime());
    let longest = 0;
    for (let i = 1; i < runs.length; i += 1) longest = Math.max(longest, (runs[i] ?? 0) - (runs[i - 1] ?? 0));
    return longest;
  } finally {
    void task.destroy();
  }
}
