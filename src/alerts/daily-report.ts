import type { Alert } from '../store/alert-repository.js';
import type { PeriodSummary, QueueWait } from '../store/report-queries.js';
import { formatBytes, formatMinutes, formatShortDuration, plural } from '../format/units.js';
import { ruleTitle } from './rules.js';

/** The figures of one daily report: the 24 hours before `at`. */
export interface DailyReportData {
  readonly at: Date;
  readonly summary: PeriodSummary;
  /** Due records at the last poll, all sources. */
  readonly pending: number;
  readonly activeAlerts: readonly Alert[];
}

/** Options of {@link formatDailyReport}. */
export interface ReportFormatOptions {
  /** IANA zone of the date in the title; the server's by default, like DAILY_REPORT_CRON. */
  readonly timeZone?: string;
}

/** Short names for the errors people meet most; the others are spelled from their code. */
const ERROR_LABELS: Record<string, string> = {
  source_timeout: 'Download timeout',
  source_network_error: 'Download network error',
  source_not_found: 'Source not found',
  source_server_error: 'Source server error',
  source_http_error: 'Source refused the download',
  source_too_large: 'Source too large',
  source_not_video: 'Source is not a video',
  invalid_format: 'Invalid video format',
  corrupt_source: 'Corrupted source file',
  no_video_stream: 'No video stream',
  ffmpeg_failed: 'FFmpeg crashed',
  insufficient_disk: 'Insufficient disk space',
  cms_error: 'CMS unreachable',
  lease_expired: 'Worker lost its lease',
  worker_lost: 'Worker crashed on this video',
};

export function errorLabel(code: string): string {
  const label = ERROR_LABELS[code];
  if (label) return label;
  const words = code.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * The daily report, line for line:
 *
 *     📊 Video Compression Daily Report - Oct 22, 2025
 *     ✅ Successfully Processed: 42 videos … System Health: ✅ All systems operational
 */
export function formatDailyReport(data: DailyReportData, options: ReportFormatOptions = {}): { subject: string; text: string } {
  const { summary } = data;
  const date = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: options.timeZone }).format(
    data.at,
  );
  const subject = `📊 Video Compression Daily Report - ${date}`;
  const decided = summary.completed + summary.failed;
  // Truncated, not rounded: 99.96 % must not read as a perfect 100.0 %.
  const successRate = decided === 0 ? 'n/a' : `${(Math.floor((summary.completed / decided) * 1000) / 10).toFixed(1)}%`;
  const topError = summary.topError ? `${errorLabel(summary.topError.code)} (${plural(summary.topError.count, 'occurrence')})` : 'none';
  const lines = [
    subject,
    '',
    `✅ Successfully Processed: ${plural(summary.completed, 'video')}`,
    `❌ Failed: ${plural(summary.failed, 'video')}`,
    `⏳ Pending: ${plural(data.pending, 'video')}`,
    `📦 Storage Used: ${formatBytes(summary.outputBytes)}`,
    `⏱️ Avg Processing Time: ${summary.averageProcessingMs === null ? 'n/a' : formatMinutes(summary.averageProcessingMs)}`,
    `⏳ Queue Wait: ${formatQueueWait(summary.queueWait)}`,
    `🏆 Success Rate: ${successRate}`,
    '',
    `Top Error: ${topError}`,
    '',
    `System Health: ${healthLine(data.activeAlerts)}`,
  ];
  return { subject, text: lines.join('\n') };
}

function healthLine(alerts: readonly Alert[]): string {
  if (alerts.length === 0) return '✅ All systems operational';
  const mark = alerts.some((a) => a.level === 'critical') ? '🔴' : '⚠️';
  const list = alerts.map((a) => `${ruleTitle(a.rule)} (${a.level})`).join(', ');
  return `${mark} ${plural(alerts.length, 'open alert')}: ${list}`;
}

/** `median 12s · p95 3m 05s (40 jobs)`, or `n/a` when no job started. */
export function formatQueueWait(wait: QueueWait): string {
  if (wait.medianMs === null || wait.p95Ms === null) return 'n/a';
  return `median ${formatShortDuration(wait.medianMs)} · p95 ${formatShortDuration(wait.p95Ms)} (${plural(wait.count, 'job')})`;
}
