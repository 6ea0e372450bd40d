import { AppError, toAppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { EncodeProgress, TranscodeOutput, VideoInfo } from '../media/types.js';
import type { MediaWarning } from '../media/transcode.js';
import type { CmsSource } from '../sources/cms-source.js';
import type { JobStep, Progress, SourceAccess, VideoRecord } from '../domain/record.js';
import type { PublishResult } from '../domain/rendition.js';
import { jobKey } from '../domain/job-key.js';
import { Heartbeat } from './heartbeat.js';
import { LocalLadderTarget, type LadderTarget } from '../publish/ladder-target.js';
import { etaSeconds, publishResultOf } from './publish-result.js';
import { redactUrl } from './url-policy.js';
import { dueSince, settleFailure } from './settle-failure.js';
import { assertFreeSpace, createWorkspace, type Workspace } from './workspace.js';
import type { EventSink } from '../domain/events.js';
import type { JobLedger, AttemptOutcome } from '../domain/attempt.js';
import { retryWhileUnreachable } from './write-back.js';
import type { PipelineTimers } from './timers.js';

/** The media and network steps, bound to their config by the caller (main.ts, tests). */
export interface PipelineTools {
  download(o: {
    url: string;
    /** The record's `sourceAccess`: headers for the URL, its trusted host, or why it cannot be fetched. */
    access?: SourceAccess;
    destPath: string;
    signal: AbortSignal;
    log: Logger;
    onProgress: (bytes: number, total: number | null) => void;
  }): Promise<{ bytes: number }>;
  /** ffprobe + validation; throws the media error codes. */
  probe(file: string, signal: AbortSignal): Promise<VideoInfo>;
  transcode(o: {
    input: string;
    outDir: string;
    info: VideoInfo;
    /** The record's rung names (validated against LADDER by the tools); empty = the whole ladder. */
    ladder?: readonly string[];
    signal: AbortSignal;
    log: Logger;
    onProgress: (p: EncodeProgress) => void;
    onWarning?: (w: MediaWarning) => void;
  }): Promise<TranscodeOutput>;
}

export interface ProcessVideoDeps {
  readonly source: CmsSource;
  readonly ledger: JobLedger;
  readonly tools: PipelineTools;
  readonly events: EventSink;
  /** Where verified ladders are published (PUBLISH_TARGET); storage/hls (`config.hlsDir`) by default. */
  readonly ladders?: LadderTarget;
  readonly config: {
    readonly workerId: string;
    readonly tempDir: string;
    readonly hlsDir: string;
    readonly publicBaseUrl: string;
    readonly heartbeatMs: number;
    readonly retryDelaysMs: readonly number[];
    readonly diskSpaceFactor: number;
    /** How long a result write-back is retried while the CMS is unreachable (main.ts: half the lease); 0 = once. */
    readonly writeBackRetryMs?: number;
  };
  readonly log: Logger;
  readonly now: () => Date;
  /** The heartbeat's interval and the write-back's pauses (measured with `now`); real timers unless a test passes its own. */
  readonly timers?: PipelineTimers;
}

export interface ProcessVideoOptions {
  /** Aborted by the poller on shutdown (reason AppError 'shutdown') or cancel (AppError 'cancelled'). */
  readonly signal: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
}

export type JobOutcome = AttemptOutcome['status'];

/** Step weights in the job's overall percent. */
const STEP_RANGE: Record<JobStep, [number, number]> = {
  claimed: [0, 0],
  downloading: [0, 10],
  probing: [10, 12],
  transcoding: [12, 92],
  verifying: [92, 93],
  publishing: [93, 97],
  updating: [97, 100],
};

/**
 * One claimed record from download to write-back. Always leaves the record in a decided state
 * (completed, failed with a retry schedule, released or cancelled) unless the CMS stays
 * unreachable (a result write-back is retried for half the lease first), in which case the lease
 * expires and another attempt follows. Temp is removed.
 */
export async function processVideo(record: VideoRecord, deps: ProcessVideoDeps, options: ProcessVideoOptions): Promise<JobOutcome> {
  const job = await openJob(record, deps, options);
  const { log, heartbeat, signal } = job;
  log.info({ url: redactUrl(record.sourceUrl), attempt: record.retryCount + 1 }, 'job started');
  deps.events.emit({ type: 'job_started', key: job.key, title: record.title });
  if (record.retryCount > deps.config.retryDelaysMs.length) return abandon(job);
  heartbeat.start();
  const workspace = await createWorkspace(deps.config.tempDir, job.key);
  try {
    const result = await runStages({ ...job, workspace });
    await heartbeat.stop();
    job.report('updating');
    await untilReachable(job, () => deps.source.complete(record.id, result.publish));
    await finishAttempt(job, { status: 'completed', ...result.ledger });
    log.info({ ms: result.publish.processingMs, bytes: result.publish.outputBytes }, 'job completed');
    deps.events.emit({
      type: 'job_completed',
      key: job.key,
      processingMs: result.publish.processingMs,
      sourceBytes: result.ledger.sourceBytes ?? 0,
      outputBytes: result.publish.outputBytes,
      rungs: result.publish.renditions.length,
    });
    return 'completed';
  } catch (err) {
    await heartbeat.stop();
    const error = toAppError(signal.aborted && signal.reason instanceof Error ? signal.reason : err);
    const outcome = await settleFailure({ record, error, deps, log });
    reportFailure(job, error, outcome);
    await finishAttempt(job, {
      status: outcome,
      errorCode: error.code,
      error: error.message,
      processingMs: deps.now().getTime() - job.started.getTime(),
      logTail: logTailOf(error),
    });
    return outcome;
  } finally {
    await workspace.dispose().catch((err: unknown) => log.error({ err, dir: workspace.dir }, 'could not remove the work directory'));
  }
}

interface JobContext {
  record: VideoRecord;
  key: string;
  deps: ProcessVideoDeps;
  /** The caller's signal, or the heartbeat's when the CMS says the job is no longer ours. */
  signal: AbortSignal;
  log: Logger;
  heartbeat: Heartbeat;
  ledgerId: number;
  report: (step: JobStep, fraction?: number, extra?: Partial<Progress>) => void;
  started: Date;
}

async function openJob(record: VideoRecord, deps: ProcessVideoDeps, options: ProcessVideoOptions): Promise<JobContext> {
  const key = jobKey(record);
  const log = deps.log.child({ job: key });
  const lost = new AbortController();
  const heartbeat = new Heartbeat({
    source: deps.source,
    recordId: record.id,
    intervalMs: deps.config.heartbeatMs,
    onLost: (err) => lost.abort(err),
    log,
    timers: deps.timers,
  });
  const attempt = { key, source: record.source, recordId: record.id, title: record.title, workerId: deps.config.workerId };
  let ledgerId = 0;
  // A store out of reach for a moment (PostgreSQL restarting) delays the job instead of stranding its claim.
  await retryWhileUnreachable(
    async () => void (ledgerId = await deps.ledger.start({ ...attempt, queuedAt: dueSince(record) })),
    reachOptions(deps, options.signal, log),
  );
  const report = (step: JobStep, fraction = 0, extra: Partial<Progress> = {}): void => {
    const [from, to] = STEP_RANGE[step];
    const progress: Progress = { percent: Math.round(from + (to - from) * Math.min(1, Math.max(0, fraction))), step, ...extra };
    heartbeat.update(progress);
    options.onProgress?.(progress);
  };
  return {
    record,
    key,
    deps,
    signal: AbortSignal.any([options.signal, lost.signal]),
    log,
    heartbeat,
    ledgerId,
    report,
    started: deps.now(),
  };
}

/** `call` again while the CMS is unreachable, for up to writeBackRetryMs: the encode is done and must not be lost to a blip. */
function untilReachable(job: JobContext, call: () => Promise<void>): Promise<void> {
  return retryWhileUnreachable(call, reachOptions(job.deps, job.signal, job.log));
}

function reachOptions(deps: ProcessVideoDeps, signal: AbortSignal, log: Logger): Parameters<typeof retryWhileUnreachable>[1] {
  return {
    withinMs: deps.config.writeBackRetryMs ?? 0,
    signal,
    log,
    // Manual timers come with the test's clock; otherwise real pauses against the wall clock.
    ...(deps.timers ? { now: deps.now, sleep: deps.timers.sleep } : {}),
  };
}

/**
 * Only reclaimed leases push the count past the schedule: the worker keeps dying on this video
 * (out of memory, killed). Processing it again would crash-loop the daemon, so it fails for good.
 */
async function abandon(job: JobContext): Promise<JobOutcome> {
  const { record, deps, log } = job;
  const error = new AppError(
    'worker_lost',
    `Abandoned after ${record.retryCount} interrupted attempts: the worker stopped (crash, out of memory or killed) while processing this video`,
  );
  const outcome = await settleFailure({ record, error, deps, log });
  reportFailure(job, error, outcome);
  await finishAttempt(job, { status: outcome, errorCode: error.code, error: error.message });
  return outcome;
}

/**
 * The ledger row of the attempt. The record's own state is already written: a store that cannot
 * take the row now must not turn a finished job into a failed one, so the loss is logged instead.
 */
async function finishAttempt(job: JobContext, outcome: AttemptOutcome): Promise<void> {
  try {
    await untilReachable(job, () => job.deps.ledger.finish(job.ledgerId, outcome));
  } catch (err) {
    job.log.error({ err, ledgerId: job.ledgerId, status: outcome.status }, 'could not record the end of the attempt in the ledger');
  }
}

/** Failures the operator should hear about: a failed job, a crash without a media diagnosis, a full disk. */
function reportFailure(job: JobContext, error: AppError, outcome: JobOutcome): void {
  const { events } = job.deps;
  if (outcome !== 'failed' && outcome !== 'retrying') return;
  events.emit({ type: 'job_failed', key: job.key, code: error.code, message: error.message, final: outcome === 'failed' });
  if (error.code === 'ffmpeg_failed' || error.code === 'worker_lost')
    events.emit({ type: 'worker_crashed', key: job.key, reason: error.message });
  if (error.code === 'insufficient_disk') events.emit({ type: 'disk_full', key: job.key, message: error.message });
}

interface StageContext extends JobContext {
  workspace: Workspace;
}

async function runStages(ctx: StageContext): Promise<{ publish: PublishResult; ledger: Omit<AttemptOutcome, 'status'> }> {
  const { record, key, workspace, deps, signal, log, report } = ctx;
  report('downloading');
  const { bytes } = await deps.tools.download({
    url: record.sourceUrl,
    access: record.sourceAccess,
    destPath: workspace.sourcePath,
    signal,
    log,
    onProgress: (done, total) => report('downloading', total ? done / total : 0),
  });
  // The source is on disk already; the ladder and its staging need roughly (factor - 1) × more.
  await assertFreeSpace(deps.config.tempDir, bytes * Math.max(1, deps.config.diskSpaceFactor - 1));
  report('probing');
  const info = await deps.tools.probe(workspace.sourcePath, signal);
  report('transcoding');
  const output = await deps.tools.transcode({
    input: workspace.sourcePath,
    outDir: workspace.outDir,
    info,
    ladder: record.ladder,
    signal,
    log,
    onProgress: (p) => report('transcoding', p.percent / 100, p.speed ? { etaSeconds: etaSeconds(info, p) } : {}),
    onWarning: (w) => deps.events.emit({ type: 'encoder_fallback', key, encoder: w.encoder, message: w.message }),
  });
  report('publishing');
  signal.throwIfAborted();
  // A CMS that granted the claim to two workers names one of them: only that one publishes, so a
  // loser's ladder never replaces the winner's (the write-back checks the claim again).
  await untilReachable(ctx, async () => deps.source.confirmClaim?.(record.id));
  const ladders = deps.ladders ?? new LocalLadderTarget(deps.config.hlsDir);
  const { filePrefix } = await ladders.publish({ key, outDir: workspace.outDir, log });
  const { publicBaseUrl } = deps.config;
  const publish = publishResultOf({ key, publicBaseUrl, filePrefix, info, output, started: ctx.started, now: deps.now() });
  return {
    publish,
    ledger: {
      processingMs: publish.processingMs,
      sourceBytes: bytes,
      outputBytes: publish.outputBytes,
      duration: info.durationSeconds,
      logTail: output.logTail,
      conversions: output.conversions,
    },
  };
}

function logTailOf(error: AppError): string[] | undefined {
  const tail = error.context.logTail;
  return Array.isArray(tail) ? tail.map(String) : undefined;
}
