import type { AlertThresholds } from '../../config/config.js';
import {
  formatBitRate,
  formatBytes,
  formatMinutes,
  formatPercent,
  formatShortDuration,
  formatTimestamp,
  formatUptime,
  formatUsage,
} from '../../format/units.js';
import { totalPending, withLocalPending } from '../../alerts/pending-jobs.js';
import { ruleTitle } from '../../alerts/rules.js';
import type { SystemSample } from '../../alerts/system-sample.js';
import type { ActiveJob, WorkerControl } from '../../domain/worker.js';
import type { Alert, AlertRepository } from '../../store/alert-repository.js';
import type { Ledger } from '../../store/ledger.js';
import type { ReportQueries } from '../../store/report-queries.js';
import { dailyChart, type ChartModel } from './daily-chart.js';
import { formatQueueWait } from '../../alerts/daily-report.js';

const DAY_MS = 86_400_000;

/** Where the dashboard reads from. Nothing here samples the machine: `system` returns the monitor's last reading. */
export interface DashboardSources {
  readonly worker: WorkerControl;
  readonly ledger: Ledger;
  readonly reports: ReportQueries;
  readonly alerts: AlertRepository;
  readonly system: () => SystemSample | null;
  /** Pending jobs of the local store now; null when the local source is disabled. */
  readonly localPending: () => number | null;
  readonly thresholds: AlertThresholds;
  readonly now: () => Date;
}

export type GaugeLevel = 'ok' | 'warning' | 'critical';

export interface Gauge {
  readonly percent: number;
  readonly level: GaugeLevel;
  readonly label: string;
}

export interface AlertView {
  readonly id: number;
  readonly level: Alert['level'];
  readonly status: Alert['status'];
  readonly title: string;
  readonly message: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly note: string;
  readonly canAcknowledge: boolean;
}

/** Everything the overview shows, formatted: the page renders it, the refresh script copies it in. */
export interface OverviewModel {
  readonly generatedAt: string;
  readonly system: {
    readonly sampledAt: string;
    readonly cpu: Gauge;
    readonly memory: Gauge;
    readonly disk: Gauge;
    readonly networkIn: string;
    readonly networkOut: string;
  } | null;
  readonly worker: {
    readonly state: string;
    readonly workerId: string;
    readonly uptime: string;
    readonly jobsToday: string;
    readonly queueLength: string;
    readonly lastPoll: string;
    readonly active: readonly ActiveJobView[];
    readonly sources: readonly { kind: string; connected: boolean; label: string }[];
  };
  readonly performance: {
    readonly averageTime: string;
    readonly successRate: string;
    readonly failedToday: string;
    readonly storageToday: string;
    /** Due → claimed over the last 24 h, all sources. */
    readonly queueWait: string;
    readonly chart: ChartModel;
  };
  readonly alerts: { readonly open: readonly AlertView[]; readonly resolved: readonly AlertView[] };
}

export interface ActiveJobView {
  readonly key: string;
  readonly title: string;
  /** The job page, for jobs of the local source. */
  readonly href: string | null;
  readonly percent: number;
  readonly progress: string;
  readonly eta: string;
}

export const CHART_DAYS = 14;
const RESOLVED_SHOWN = 5;

export function buildOverview(s: DashboardSources): OverviewModel {
  return {
    generatedAt: s.now().toISOString(),
    system: systemPanel(s.system(), s.thresholds),
    worker: workerPanel(s),
    performance: performancePanel(s),
    alerts: { open: s.alerts.active().map(alertView), resolved: s.alerts.recentResolved(RESOLVED_SHOWN).map(alertView) },
  };
}

/** Colours follow the alert thresholds, but instantly: the bar turns yellow before the CPU rule's window has passed. */
function gauge(percent: number, warning: number, critical: number, label: string, inclusive = false): Gauge {
  const level: GaugeLevel = (inclusive ? percent >= critical : percent > critical) ? 'critical' : percent > warning ? 'warning' : 'ok';
  return { percent: Math.round(percent * 10) / 10, level, label };
}

function systemPanel(sample: SystemSample | null, t: AlertThresholds): OverviewModel['system'] {
  if (!sample) return null;
  return {
    sampledAt: formatTimestamp(sample.at),
    cpu: gauge(sample.cpuPercent, t.cpuWarning, t.cpuCritical, formatPercent(sample.cpuPercent), true),
    memory: gauge(sample.memory.percent, t.memoryWarning, t.memoryCritical, formatUsage(sample.memory.usedBytes, sample.memory.totalBytes)),
    disk: gauge(sample.disk.percent, t.diskWarning, t.diskCritical, formatUsage(sample.disk.usedBytes, sample.disk.totalBytes)),
    networkIn: formatBitRate(sample.network.inBitsPerSecond),
    networkOut: formatBitRate(sample.network.outBitsPerSecond),
  };
}

function workerPanel(s: DashboardSources): OverviewModel['worker'] {
  const snapshot = s.worker.snapshot();
  const now = s.now().getTime();
  const sources = withLocalPending(snapshot.sources, s.localPending());
  const pending = totalPending(sources);
  return {
    state: snapshot.state,
    workerId: snapshot.workerId,
    uptime: formatUptime(now - Date.parse(snapshot.startedAt)),
    jobsToday: `${s.ledger.stats().today.completed} completed`,
    queueLength: `${pending} pending ${pending === 1 ? 'job' : 'jobs'}`,
    lastPoll: snapshot.lastTickAt ? `${formatShortDuration(now - Date.parse(snapshot.lastTickAt))} ago` : 'not yet',
    active: snapshot.active.map(activeJobView),
    sources: sources.map((source) => ({
      kind: source.kind,
      connected: source.connected,
      label: `${source.kind}: ${source.pending} pending${source.lastPollAt === null ? '' : source.connected ? '' : ' (disconnected)'}`,
    })),
  };
}

function activeJobView(job: ActiveJob): ActiveJobView {
  const step = job.step.charAt(0).toUpperCase() + job.step.slice(1);
  return {
    key: job.key,
    title: job.title ?? job.key,
    href: `/admin/jobs/${encodeURIComponent(job.key)}`,
    percent: job.percent,
    progress: `${job.percent}% (${step}${job.rung ? ` ${job.rung}` : ''})`,
    eta: job.etaSeconds === null ? '—' : formatShortDuration(job.etaSeconds * 1000),
  };
}

function performancePanel(s: DashboardSources): OverviewModel['performance'] {
  const stats = s.ledger.stats();
  return {
    averageTime: formatMinutes(stats.averageProcessingMs),
    successRate: stats.successRate === null ? '—' : formatPercent(stats.successRate * 100, 1),
    failedToday: String(stats.today.failed),
    storageToday: formatBytes(stats.storageUsedTodayBytes),
    queueWait: formatQueueWait(s.reports.queueWait(new Date(s.now().getTime() - DAY_MS), s.now())),
    chart: dailyChart(s.reports.dailyOutcomes(CHART_DAYS, s.now())),
  };
}

export function alertView(alert: Alert): AlertView {
  const note =
    alert.status === 'resolved'
      ? `resolved ${formatTimestamp(alert.resolvedAt)}`
      : alert.status === 'acknowledged'
        ? `acknowledged by ${alert.acknowledgedBy ?? '?'}`
        : 'open';
  return {
    id: alert.id,
    level: alert.level,
    status: alert.status,
    title: ruleTitle(alert.rule),
    message: alert.message,
    firstSeen: formatTimestamp(alert.firstSeenAt),
    lastSeen: formatTimestamp(alert.lastSeenAt),
    note,
    canAcknowledge: alert.status === 'open',
  };
}
