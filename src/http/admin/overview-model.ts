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
import type { Alert } from '../../store/alert-repository.js';
import type { LedgerStats } from '../../store/ledger.js';
import type { DayOutcome, QueueWait } from '../../store/report-queries.js';
import type { AlertStore, LedgerStore, ReportStore, WorkerStore } from '../../store/store.js';
import { fleetView, type FleetWorkerView } from './fleet-model.js';
import { dailyChart, type ChartModel } from './daily-chart.js';
import { formatQueueWait } from '../../alerts/daily-report.js';

const DAY_MS = 86_400_000;

/** Where the dashboard reads from. Nothing here samples the machine: `system` returns the monitor's last reading. */
export interface DashboardSources {
  readonly worker: WorkerControl;
  readonly ledger: Pick<LedgerStore, 'stats'>;
  readonly reports: Pick<ReportStore, 'queueWait' | 'dailyOutcomes'>;
  readonly alerts: Pick<AlertStore, 'active' | 'recentResolved'>;
  /** Every daemon sharing the store. */
  readonly workers: Pick<WorkerStore, 'list'>;
  /** A worker silent for longer is shown as lost. */
  readonly lostAfterMs: number;
  readonly system: () => SystemSample | null;
  /** Pending jobs of the local store now; null when the local source is disabled. */
  readonly localPending: () => Promise<number | null>;
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
  /** Every daemon sharing the store (one row with the embedded store and a single daemon). */
  readonly fleet: readonly FleetWorkerView[];
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

/** What the overview reads from the store, all at once. */
interface StoreReadings {
  readonly stats: LedgerStats;
  readonly localPending: number | null;
  readonly queueWait: QueueWait;
  readonly outcomes: DayOutcome[];
}

export async function buildOverview(s: DashboardSources): Promise<OverviewModel> {
  const now = s.now();
  const [stats, localPending, queueWait, outcomes, open, resolved, workers] = await Promise.all([
    s.ledger.stats(),
    s.localPending(),
    s.reports.queueWait(new Date(now.getTime() - DAY_MS), now),
    s.reports.dailyOutcomes(CHART_DAYS, now),
    s.alerts.active(),
    s.alerts.recentResolved(RESOLVED_SHOWN),
    s.workers.list(),
  ]);
  const readings: StoreReadings = { stats, localPending, queueWait, outcomes };
  return {
    generatedAt: now.toISOString(),
    system: systemPanel(s.system(), s.thresholds),
    worker: workerPanel(s, readings),
    performance: performancePanel(readings),
    alerts: { open: open.map(alertView), resolved: resolved.map(alertView) },
    fleet: fleetView(workers, now, s.lostAfterMs),
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

function workerPanel(s: DashboardSources, r: StoreReadings): OverviewModel['worker'] {
  const snapshot = s.worker.snapshot();
  const now = s.now().getTime();
  const sources = withLocalPending(snapshot.sources, r.localPending);
  const pending = totalPending(sources);
  return {
    state: snapshot.state,
    workerId: snapshot.workerId,
    uptime: formatUptime(now - Date.parse(snapshot.startedAt)),
    jobsToday: `${r.stats.today.completed} completed`,
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

function performancePanel({ stats, queueWait, outcomes }: StoreReadings): OverviewModel['performance'] {
  return {
    averageTime: formatMinutes(stats.averageProcessingMs),
    successRate: stats.successRate === null ? '—' : formatPercent(stats.successRate * 100, 1),
    failedToday: String(stats.today.failed),
    storageToday: formatBytes(stats.storageUsedTodayBytes),
    queueWait: formatQueueWait(queueWait),
    chart: dailyChart(outcomes),
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
