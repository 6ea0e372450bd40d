import type { AlertThresholds } from '../config/config.js';
import type { WorkerSnapshot } from '../domain/worker.js';
import type { AlertCondition } from '../store/alert-repository.js';
import { formatPercent, formatShortDuration, formatUsage, plural } from '../format/units.js';
import { splitRule } from './alert-scope.js';
import type { SystemSample, UsageReading } from './system-sample.js';

/** Something that happened (an event), which stays true until a later event clears it. */
export interface Incident {
  /** ISO-8601. */
  readonly at: string;
  /** The alert's message, complete. */
  readonly message: string;
}

/** Everything the rules look at, gathered by the alert service. */
export interface RuleInput {
  readonly now: Date;
  /** System readings, oldest first. */
  readonly samples: readonly SystemSample[];
  /** Readings older than this are not trusted (the sampler is failing). */
  readonly sampleMaxAgeMs: number;
  /** Failed attempts (retried or not) over the last hour. */
  readonly failedLastHour: number;
  readonly worker: WorkerSnapshot;
  /** Longest gap between two scheduled polls (POLL_CRON). */
  readonly pollPeriodMs: number;
  /** A job's FFmpeg died without a media diagnosis, or a worker stopped with a job in flight. */
  readonly crash: Incident | null;
  /** A job was refused for lack of disk space. */
  readonly diskFull: Incident | null;
  /** An encode killed by the watchdog; `final` when the job then failed for good. */
  readonly encodeStuck: (Incident & { readonly final: boolean }) | null;
}

/** What the rules concluded. */
export interface RuleResult {
  /** Conditions that hold now, at most one per rule. */
  readonly active: readonly AlertCondition[];
  /** Rules that cannot be judged now (no recent reading, source not polled yet): leave their alerts as they are. */
  readonly unknown: readonly string[];
}

const RULE_TITLES: Record<string, string> = {
  cpu: 'CPU usage',
  memory: 'Memory usage',
  disk: 'Disk usage',
  failed_jobs: 'Failed jobs',
  worker_delayed: 'Worker loop delayed',
  worker_crashed: 'Worker crashed',
  disk_full: 'Not enough disk space for a job',
  encode_stuck: 'An encode hung or ran too long',
  store: 'Job store disconnected',
};

/** A short name for a rule, for message subjects and the dashboard. */
export function ruleTitle(stored: string): string {
  const { rule, scope } = splitRule(stored);
  const title = rule.startsWith('source:') ? `CMS ${rule.slice('source:'.length)} disconnected` : (RULE_TITLES[rule] ?? rule);
  return scope === null ? title : `${title} (${scope})`;
}

/** Applies the alert conditions (docs/monitoring.md) with the configured thresholds. Pure: same input, same result. */
export function evaluateRules(input: RuleInput, t: AlertThresholds): RuleResult {
  const active: AlertCondition[] = [];
  const unknown: string[] = [];
  const latest = input.samples.at(-1);
  if (!latest || input.now.getTime() - Date.parse(latest.at) > input.sampleMaxAgeMs) {
    unknown.push('cpu', 'memory', 'disk');
  } else {
    push(active, cpuCondition(input, t));
    push(active, usageCondition('memory', 'Memory', latest.memory, t.memoryWarning, t.memoryCritical));
    push(active, usageCondition('disk', 'Storage disk', latest.disk, t.diskWarning, t.diskCritical));
  }
  if (input.failedLastHour > t.failedJobsPerHour) {
    const message = `${plural(input.failedLastHour, 'failed attempt')} in the last hour (more than ${t.failedJobsPerHour})`;
    active.push({ rule: 'failed_jobs', level: 'warning', message });
  }
  push(active, workerDelayCondition(input, t));
  if (input.crash) active.push({ rule: 'worker_crashed', level: 'critical', message: input.crash.message });
  // Critical: the refused job failed for good (insufficient_disk is not retried) and more will follow.
  if (input.diskFull) active.push({ rule: 'disk_full', level: 'critical', message: input.diskFull.message });
  // The watchdog freed the worker; a warning while retries are left, critical once the job failed for good.
  if (input.encodeStuck) {
    active.push({ rule: 'encode_stuck', level: input.encodeStuck.final ? 'critical' : 'warning', message: input.encodeStuck.message });
  }
  for (const source of input.worker.sources) {
    const rule = `source:${source.kind}`;
    if (source.lastPollAt === null) unknown.push(rule);
    else if (!source.connected)
      active.push({ rule, level: 'critical', message: `CMS ${source.kind} disconnected: ${source.lastError ?? 'unreachable'}` });
  }
  return { active, unknown };
}

function push(list: AlertCondition[], condition: AlertCondition | null): void {
  if (condition) list.push(condition);
}

/** CPU must stay over a threshold for the whole window: one busy reading is not an alert. */
function cpuCondition(input: RuleInput, t: AlertThresholds): AlertCondition | null {
  const now = input.now.getTime();
  const levels = [
    { level: 'critical' as const, over: (v: number) => v >= t.cpuCritical, threshold: t.cpuCritical },
    { level: 'warning' as const, over: (v: number) => v > t.cpuWarning, threshold: t.cpuWarning },
  ];
  for (const { level, over, threshold } of levels) {
    const since = streakStart(input.samples, (s) => over(s.cpuPercent));
    if (since === null || now - since < t.cpuDurationMs) continue;
    const latest = input.samples.at(-1)?.cpuPercent ?? 0;
    const window = `${level === 'critical' ? 'at or above' : 'above'} ${threshold}% for ${formatShortDuration(t.cpuDurationMs)}`;
    return { rule: 'cpu', level, message: `CPU at ${formatPercent(latest)} for ${formatShortDuration(now - since)} (${level}: ${window})` };
  }
  return null;
}

/** Time of the oldest reading in the unbroken run of readings, up to the latest, that match. */
function streakStart(samples: readonly SystemSample[], match: (s: SystemSample) => boolean): number | null {
  let start: number | null = null;
  for (let i = samples.length - 1; i >= 0; i -= 1) {
    const sample = samples[i];
    if (!sample || !match(sample)) break;
    start = Date.parse(sample.at);
  }
  return start;
}

function usageCondition(rule: string, label: string, reading: UsageReading, warning: number, critical: number): AlertCondition | null {
  const level = reading.percent > critical ? 'critical' : reading.percent > warning ? 'warning' : null;
  if (level === null) return null;
  const threshold = level === 'critical' ? critical : warning;
  const message = `${label} at ${formatPercent(reading.percent)} (${formatUsage(reading.usedBytes, reading.totalBytes)}; ${level} above ${threshold}%)`;
  return { rule, level, message };
}

/**
 * The poll loop is late when no tick completed for a whole poll period plus the allowed delay:
 * a hung CMS request or a blocked event loop. A daemon shutting down is not late.
 */
function workerDelayCondition(input: RuleInput, t: AlertThresholds): AlertCondition | null {
  const { worker } = input;
  if (worker.state === 'SHUTDOWN') return null;
  const since = Date.parse(worker.lastTickAt ?? worker.startedAt);
  const late = input.now.getTime() - since - input.pollPeriodMs;
  if (late <= t.workerDelayMs) return null;
  const message = `The worker loop has not completed a poll for ${formatShortDuration(input.now.getTime() - since)} (expected at least every ${formatShortDuration(input.pollPeriodMs)})`;
  return { rule: 'worker_delayed', level: 'warning', message };
}
