import type { RequestHandler } from 'express';
import cron from 'node-cron';
import type { AppConfig } from '../config/config.js';
import { adminRouter } from '../http/admin/admin-router.js';
import type { AppMount } from '../http/app.js';
import { metricsRouter } from '../http/routes/metrics.js';
import type { Logger } from '../logging/logger.js';
import { DaemonMetrics } from '../metrics/daemon-metrics.js';
import type { DaemonEvent, EventSink } from '../domain/events.js';
import type { Schedule, ScheduledTask } from '../domain/schedule.js';
import type { WorkerControl } from '../domain/worker.js';
import { AlertRepository } from '../store/alert-repository.js';
import type { Database } from '../store/database.js';
import type { JobRepository } from '../store/job-repository.js';
import { JobSearch } from '../store/job-search.js';
import type { Ledger } from '../store/ledger.js';
import { ReportQueries } from '../store/report-queries.js';
import { AlertService } from './alert-service.js';
import { createEmailChannel } from './channels/email-channel.js';
import { createWebhookChannel } from './channels/webhook-channel.js';
import { formatDailyReport } from './daily-report.js';
import type { AlertChannel } from './notification.js';
import { Notifier } from './notifier.js';
import { SystemMonitor } from './system-monitor.js';
import type { SystemSampler } from './system-sample.js';
import { createSystemSampler } from './system-sampler.js';

/** What {@link Monitoring} needs; tests may replace the sampler, the channels and the scheduler. */
export interface MonitoringOptions {
  readonly config: AppConfig;
  readonly db: Database;
  readonly ledger: Ledger;
  /** Null when the local source is disabled. */
  readonly jobs: JobRepository | null;
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
 * notification channels, the daily report, the dashboard and /metrics. Created before the poller
 * (its event sink must exist when interrupted jobs are recovered), started after it.
 */
export class Monitoring {
  /** Alerts and metrics, for the poller and the pipeline. Returns at once. */
  readonly events: EventSink;
  /** Counts HTTP requests for /metrics; installed first in the app. */
  readonly observeHttp: RequestHandler;
  readonly alerts: AlertService;
  readonly notifier: Notifier;
  readonly monitor: SystemMonitor;
  private readonly repo: AlertRepository;
  private readonly reports: ReportQueries;
  private readonly metrics: DaemonMetrics;
  private readonly log: Logger;
  private worker: WorkerControl | null = null;
  private reportTask: ScheduledTask | null = null;

  constructor(private readonly o: MonitoringOptions) {
    const { config, now } = o;
    this.log = o.log.child({ module: 'alerts' });
    this.repo = new AlertRepository(o.db);
    this.reports = new ReportQueries(o.db);
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
      repo: this.repo,
      notify: (n) => this.notifier.notify(n),
      thresholds: config.alerts.thresholds,
      cooldownMs: config.alerts.cooldownMs,
      pollPeriodMs: pollPeriodMs(config.worker.pollCron),
      samples: () => this.monitor.history(),
      failedSince: (since) => this.reports.failedAttemptsSince(since),
      now,
      log: this.log,
    });
    this.metrics = new DaemonMetrics({
      worker: () => this.worker?.snapshot() ?? null,
      jobCounts: () => o.jobs?.countByStatus() ?? null,
      system: () => this.monitor.latest(),
      activeAlerts: () => this.repo.active(),
    });
    const sinks: EventSink[] = [this.alerts, this.metrics];
    this.events = { emit: (event: DaemonEvent) => sinks.forEach((sink) => sink.emit(event)) };
    this.observeHttp = this.metrics.httpObserver();
  }

  /** /admin and /metrics, for the app's mounts. */
  mounts(worker: WorkerControl, apiKey: string): AppMount[] {
    const { config, now } = this.o;
    const admin = adminRouter({
      admin: config.admin,
      publicBaseUrl: config.server.publicBaseUrl,
      serveHls: config.server.serveHls,
      worker,
      jobs: this.o.jobs,
      search: new JobSearch(this.o.db),
      ledger: this.o.ledger,
      reports: this.reports,
      alerts: this.repo,
      alertService: this.alerts,
      notifier: this.notifier,
      system: () => this.monitor.latest(),
      localPending: () => this.o.jobs?.countByStatus().pending ?? null,
      thresholds: config.alerts.thresholds,
      now,
      log: this.o.log.child({ module: 'admin' }),
    });
    const metrics = metricsRouter({ apiKey, metricsToken: config.server.metricsToken, metrics: this.metrics });
    return [
      { path: '/admin', handler: admin },
      { path: '/metrics', handler: metrics },
    ];
  }

  /** Starts sampling, evaluating and the daily report's schedule. */
  start(worker: WorkerControl): void {
    this.worker = worker;
    this.alerts.attach(() => worker.snapshot());
    this.monitor.onSample(() => this.alerts.evaluate());
    this.monitor.start();
    const expr = this.o.config.alerts.dailyReportCron;
    if (expr !== null && this.notifier.channelNames.length > 0) {
      const schedule = this.o.schedule ?? ((e: string, fn: () => void) => cron.schedule(e, fn));
      this.reportTask = schedule(expr, () => this.sendDailyReport());
    }
    this.log.info({ channels: this.notifier.channelNames, dailyReport: this.reportTask ? expr : 'off' }, 'alerts ready');
  }

  /** The daily report over the last 24 hours, to every channel (the cron calls this). */
  sendDailyReport(): void {
    const at = this.o.now();
    // The local store counts now; other sources as of their last poll.
    const local = this.o.jobs?.countByStatus().pending;
    const pending = (this.worker?.snapshot().sources ?? []).reduce((sum, s) => sum + (s.kind === 'local' && local !== undefined ? local : s.pending), 0);
    const summary = this.reports.summary(new Date(at.getTime() - DAY_MS), at);
    const report = formatDailyReport({ at, summary, pending, activeAlerts: this.repo.active() });
    this.log.info({ channels: this.notifier.channelNames }, 'sending the daily report');
    this.notifier.notify({ kind: 'report', ...report });
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
