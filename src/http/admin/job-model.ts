import { formatBitRate, formatBytes, formatMinutes, formatTimestamp } from '../../format/units.js';
import { redactUrl } from '../../pipeline/url-policy.js';
import type { ActiveJob } from '../../domain/worker.js';
import type { SourceJob } from '../../domain/source-job.js';
import type { LedgerEntry } from '../../store/ledger.js';
import { jobKey } from '../../domain/job-key.js';
import { ladderMedia, type PlaybackOptions, type PosterChoice } from './ladder-media.js';

export type { PlaybackOptions } from './ladder-media.js';

/** Log lines shown on the job page (the ledger keeps FFmpeg's tail). */
export const LOG_LINES_SHOWN = 50;

export interface JobRowView {
  /** `<source>-<id>`: the address of every action. */
  readonly key: string;
  readonly source: SourceJob['source'];
  readonly id: string;
  readonly priority: number;
  readonly href: string;
  readonly title: string;
  readonly status: SourceJob['status'];
  readonly progress: string;
  readonly created: string;
  readonly updated: string;
  readonly error: string | null;
  readonly canRetry: boolean;
  readonly canCancel: boolean;
  /** Not while a worker holds it (cancel first). */
  readonly canDelete: boolean;
  /** The animated preview shown on hover, and the still shown until then. */
  readonly previewSrc: string | null;
  readonly stillSrc: string | null;
}

export interface JobPageView extends JobRowView {
  readonly percent: number;
  readonly facts: readonly (readonly [string, string])[];
  readonly renditions: readonly {
    name: string;
    resolution: string;
    bandwidth: string;
    averageBandwidth: string;
    codecs: string;
    playlist: string;
  }[];
  readonly posterSrc: string | null;
  /** What the player loads: same-origin when the daemon serves the ladders itself. */
  readonly playerSrc: string | null;
  readonly storyboardSrc: string | null;
  readonly posterChoices: readonly PosterChoice[];
  readonly logTail: readonly string[];
  readonly logSource: string | null;
  /** Shown instead of an empty log: nothing ran yet, or FFmpeg ran and printed no warning. */
  readonly logNote: string;
  readonly attempts: readonly { started: string; finished: string; status: string; worker: string; time: string; error: string }[];
  readonly retryErrors: readonly string[];
}

export function jobRowView(job: SourceJob, live: ActiveJob | null, playback: PlaybackOptions): JobRowView {
  const percent = live?.percent ?? job.progress;
  const step = live?.step ?? job.step;
  const progress =
    job.status === 'processing'
      ? `${percent}%${step ? ` (${step}${live?.rung ? ` ${live.rung}` : ''})` : ''}`
      : job.status === 'completed'
        ? '100%'
        : '—';
  const key = jobKey(job);
  return {
    key,
    source: job.source,
    id: job.id,
    priority: job.priority,
    href: `/admin/jobs/${encodeURIComponent(key)}`,
    title: job.title ?? '(untitled)',
    status: job.status,
    progress,
    created: formatTimestamp(job.createdAt),
    updated: formatTimestamp(job.updatedAt),
    error: job.error,
    canRetry: job.status === 'failed' || job.status === 'cancelled',
    canCancel: job.status === 'pending' || job.status === 'processing',
    canDelete: job.status !== 'processing',
    ...rowMedia(job, playback),
  };
}

function rowMedia(job: SourceJob, playback: PlaybackOptions): { previewSrc: string | null; stillSrc: string | null } {
  if (job.status !== 'completed') return { previewSrc: null, stillSrc: null };
  const media = ladderMedia(job, playback);
  return { previewSrc: media.preview, stillSrc: media.poster };
}

export function jobPageView(
  job: SourceJob,
  attempts: readonly LedgerEntry[],
  live: ActiveJob | null,
  playback: PlaybackOptions,
): JobPageView {
  const withLog = attempts.find((a) => a.logTail && a.logTail.length > 0);
  const media = ladderMedia(job, playback);
  return {
    ...jobRowView(job, live, playback),
    percent: live?.percent ?? job.progress,
    facts: facts(job, attempts, live),
    renditions: (job.renditions ?? []).map((r) => ({
      name: r.name,
      resolution: `${r.width}×${r.height}`,
      bandwidth: formatBitRate(r.bandwidth),
      averageBandwidth: formatBitRate(r.averageBandwidth),
      codecs: r.codecs,
      playlist: r.playlistUrl,
    })),
    posterSrc: media.poster,
    playerSrc: media.player,
    storyboardSrc: media.storyboard,
    posterChoices: media.posterChoices,
    logTail: (withLog?.logTail ?? []).slice(-LOG_LINES_SHOWN),
    logSource: withLog ? `attempt started ${formatTimestamp(withLog.startedAt)} (${withLog.status})` : null,
    logNote: attempts.some((a) => a.finishedAt !== null) ? 'FFmpeg printed no warnings or errors.' : 'No log recorded yet.',
    attempts: attempts.map((a) => ({
      started: formatTimestamp(a.startedAt),
      finished: formatTimestamp(a.finishedAt),
      status: a.status,
      worker: a.workerId,
      time: a.processingMs === null ? '—' : formatMinutes(a.processingMs),
      error: a.errorCode ? `${a.errorCode}: ${a.error ?? ''}` : (a.error ?? ''),
    })),
    retryErrors: job.retryErrors,
  };
}

function facts(job: SourceJob, attempts: readonly LedgerEntry[], live: ActiveJob | null): [string, string][] {
  // Newest first: the conversions of the attempt that made the ladder on show.
  const made = attempts.find((a) => a.status === 'completed' && a.conversions !== null);
  const list: [string, string][] = [
    // The query string of a signed URL is a credential: show where the file is, not the key to it.
    ['Source URL', redactUrl(job.sourceUrl)],
    ['Key', jobKey(job)],
    ['Priority', String(job.priority)],
    ['Ladder', job.ladder.length > 0 ? job.ladder.join(', ') : 'every rung of LADDER'],
    ['Created', formatTimestamp(job.createdAt)],
    ['Attempts', `${attempts.length} (retry count ${job.retryCount})`],
  ];
  if (job.duration !== null) list.push(['Duration', `${job.duration.toFixed(1)} s`]);
  if (job.width !== null && job.height !== null) list.push(['Source size', `${job.width}×${job.height}`]);
  if (job.processingMs !== null) list.push(['Processing time', formatMinutes(job.processingMs)]);
  if (job.outputBytes !== null) list.push(['Output size', formatBytes(job.outputBytes)]);
  if (made?.conversions) list.push(['Conversions', made.conversions.length > 0 ? made.conversions.join(', ') : 'none (plain source)']);
  if (job.completedAt !== null) list.push(['Completed', formatTimestamp(job.completedAt)]);
  if (job.nextAttemptAt !== null) list.push(['Next attempt', formatTimestamp(job.nextAttemptAt)]);
  if (live?.etaSeconds != null) list.push(['ETA', formatMinutes(live.etaSeconds * 1000)]);
  return list;
}
