import { AppError, toAppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { CmsSource } from '../sources/cms-source.js';
import type { Progress, SourceKind, VideoRecord } from '../domain/record.js';
import { jobKey } from '../domain/job-key.js';
import type { EventSink } from '../domain/events.js';
import type { Schedule, ScheduledTask } from '../domain/schedule.js';
import type { ActiveJob, SourceStatus, WorkerControl, WorkerSnapshot, WorkerState } from '../domain/worker.js';

export type RunJob = (
  source: CmsSource,
  record: VideoRecord,
  options: { signal: AbortSignal; onProgress: (p: Progress) => void },
) => Promise<unknown>;

export interface PollerOptions {
  readonly sources: readonly CmsSource[];
  readonly config: {
    readonly workerId: string;
    readonly pollCron: string;
    readonly pollPageSize: number;
    readonly concurrency: number;
    readonly shutdownTimeoutMs: number;
  };
  readonly runJob: RunJob;
  /** node-cron in production; tests pass a manual scheduler. */
  readonly schedule: Schedule;
  readonly log: Logger;
  readonly now: () => Date;
  /** Told when a source becomes unreachable or reachable again. */
  readonly events?: EventSink;
  /** Delay of pollSoon(), which coalesces bursts of submissions into one tick. */
  readonly soonDelayMs?: number;
}

interface Running {
  readonly controller: AbortController;
  job: ActiveJob;
  readonly done: Promise<void>;
}

/**
 * The worker loop: on each tick, lists due records of every source, claims up to CONCURRENCY of
 * them (priority, then age) and runs each in the background. Ticks never overlap: a request for a
 * tick during one schedules exactly one more after it.
 */
export class Poller implements WorkerControl {
  private readonly startedAt: string;
  private stopping = false;
  private task: ScheduledTask | null = null;
  private ticking: Promise<void> | null = null;
  private rerun = false;
  private soonTimer: NodeJS.Timeout | null = null;
  private lastTickAt: string | null = null;
  private lastError: string | null = null;
  private readonly running = new Map<string, Running>();
  private readonly statuses = new Map<SourceKind, SourceStatus>();

  constructor(private readonly options: PollerOptions) {
    this.startedAt = options.now().toISOString();
    for (const source of options.sources) {
      this.statuses.set(source.kind, {
        kind: source.kind,
        connected: false,
        pending: 0,
        lastPollAt: null,
        lastError: null,
        lastErrorCode: null,
      });
    }
  }

  start(): void {
    this.task = this.options.schedule(this.options.config.pollCron, () => this.pollNow());
    this.pollNow();
  }

  pollNow(): void {
    if (this.stopping) return;
    if (this.ticking) {
      this.rerun = true;
      return;
    }
    this.ticking = this.tick()
      .catch((err: unknown) => {
        this.lastError = (err as Error).message;
        this.options.log.error({ err }, 'poll tick failed');
      })
      .finally(() => {
        this.ticking = null;
        if (this.rerun) {
          this.rerun = false;
          this.pollNow();
        }
      });
  }

  pollSoon(delayMs = this.options.soonDelayMs ?? 500): void {
    if (this.stopping || this.soonTimer) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = null;
      this.pollNow();
    }, delayMs);
    this.soonTimer.unref();
  }

  abortJob(key: string, reason: 'cancelled'): boolean {
    const running = this.running.get(key);
    if (!running) return false;
    running.controller.abort(new AppError(reason, 'The job was cancelled'));
    return true;
  }

  /** Waits for the tick in progress, if any (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.ticking) await this.ticking;
  }

  /** Claims nothing new, aborts running jobs (they release their records), waits up to the shutdown timeout. */
  async stop(): Promise<boolean> {
    this.stopping = true;
    this.task?.stop();
    if (this.soonTimer) clearTimeout(this.soonTimer);
    for (const running of this.running.values()) {
      running.controller.abort(new AppError('shutdown', 'The daemon is shutting down; the job will be picked up again'));
    }
    const settled = Promise.allSettled([this.ticking, ...[...this.running.values()].map((r) => r.done)]).then(() => true);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.options.config.shutdownTimeoutMs);
    });
    const clean = await Promise.race([settled, timeout]);
    clearTimeout(timer);
    return clean;
  }

  snapshot(): WorkerSnapshot {
    return {
      state: this.state(),
      workerId: this.options.config.workerId,
      startedAt: this.startedAt,
      lastTickAt: this.lastTickAt,
      lastError: this.lastError,
      active: [...this.running.values()].map((r) => r.job),
      sources: [...this.statuses.values()],
    };
  }

  private state(): WorkerState {
    if (this.stopping) return 'SHUTDOWN';
    const jobs = [...this.running.values()];
    if (jobs.some((r) => r.job.step === 'updating')) return 'UPDATING';
    if (jobs.length > 0) return 'PROCESSING';
    if (this.ticking) return this.lastTickAt === null ? 'INITIALIZING' : 'CHECKING';
    if (this.lastTickAt === null) return 'INITIALIZING';
    return this.lastError !== null ? 'ERROR' : 'IDLE';
  }

  private async tick(): Promise<void> {
    const candidates: Array<{ source: CmsSource; record: VideoRecord }> = [];
    let reachable = 0;
    for (const source of this.options.sources) {
      const records = await this.listSource(source);
      if (records) {
        reachable += 1;
        candidates.push(...records.map((record) => ({ source, record })));
      }
    }
    this.lastTickAt = this.options.now().toISOString();
    this.lastError = reachable === 0 && this.options.sources.length > 0 ? 'no source could be reached' : null;
    candidates.sort((a, b) => a.record.priority - b.record.priority || a.record.createdAt.localeCompare(b.record.createdAt));
    for (const { source, record } of candidates) {
      if (this.stopping || this.running.size >= this.options.config.concurrency) break;
      if (this.running.has(jobKey(record))) continue;
      await this.claimAndRun(source, record);
    }
  }

  private async listSource(source: CmsSource): Promise<VideoRecord[] | null> {
    const previous = this.statuses.get(source.kind);
    const lastPollAt = this.options.now().toISOString();
    try {
      const { total, records } = await source.listPending(this.options.config.pollPageSize);
      if (previous && !previous.connected && previous.lastPollAt) {
        this.options.log.info({ source: source.kind }, 'source reachable again');
        this.options.events?.emit({ type: 'source_reconnected', source: source.kind });
      }
      this.statuses.set(source.kind, {
        kind: source.kind,
        connected: true,
        pending: total,
        lastPollAt,
        lastError: null,
        lastErrorCode: null,
      });
      return records;
    } catch (err) {
      if (previous?.connected !== false || previous.lastPollAt === null) {
        this.options.log.warn({ err, source: source.kind }, 'source unreachable; will keep polling');
        this.options.events?.emit({ type: 'source_disconnected', source: source.kind, error: (err as Error).message });
      }
      this.statuses.set(source.kind, {
        kind: source.kind,
        connected: false,
        pending: previous?.pending ?? 0,
        lastPollAt,
        lastError: (err as Error).message,
        lastErrorCode: toAppError(err).code,
      });
      return null;
    }
  }

  private async claimAndRun(source: CmsSource, record: VideoRecord): Promise<void> {
    let claimed: VideoRecord | null;
    try {
      claimed = await source.claim(record, this.options.config.workerId);
    } catch (err) {
      this.options.log.warn({ err, job: jobKey(record) }, 'claim failed');
      return;
    }
    if (!claimed) {
      this.options.log.debug({ job: jobKey(record) }, 'another worker claimed the record first');
      return;
    }
    if (this.stopping) {
      await source.release(claimed.id).catch((err: unknown) => this.options.log.error({ err }, 'release after shutdown began failed'));
      return;
    }
    this.launch(source, claimed);
  }

  private launch(source: CmsSource, record: VideoRecord): void {
    const key = jobKey(record);
    const controller = new AbortController();
    const job: ActiveJob = {
      key,
      source: record.source,
      recordId: record.id,
      title: record.title,
      step: 'claimed',
      percent: 0,
      rung: null,
      etaSeconds: null,
      startedAt: this.options.now().toISOString(),
    };
    const onProgress = (p: Progress): void => {
      const current = this.running.get(key);
      if (current)
        current.job = { ...current.job, step: p.step, percent: p.percent, rung: p.rung ?? null, etaSeconds: p.etaSeconds ?? null };
    };
    const done = Promise.resolve()
      .then(() => this.options.runJob(source, record, { signal: controller.signal, onProgress }))
      .then(
        () => undefined,
        (err: unknown) => this.options.log.error({ err, job: key }, 'job runner threw'),
      )
      .finally(() => {
        this.running.delete(key);
        // Drain the queue without waiting for the next scheduled tick.
        this.pollSoon();
      });
    this.running.set(key, { controller, job, done });
  }
}
