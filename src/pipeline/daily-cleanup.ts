import type { Logger } from '../logging/logger.js';
import type { JobStore, LedgerStore } from '../store/store.js';
import type { Schedule, ScheduledTask } from '../domain/schedule.js';
import type { GcReport, LadderGc } from './ladder-gc.js';
import { sweepTemp } from './workspace.js';

/** Work directories untouched for this long, and not a live worker's, are leftovers. */
export const TEMP_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Construction options of {@link DailyCleanup}. */
export interface DailyCleanupOptions {
  readonly tempDir: string;
  readonly ledger: Pick<LedgerStore, 'prune'>;
  readonly ledgerRetentionDays: number;
  /** The local source's jobs table. */
  readonly jobs: Pick<JobStore, 'trimEnded'>;
  /** JOB_RETENTION_DAYS: local jobs that ended longer ago are deleted (their ladders stay). */
  readonly jobRetentionDays: number;
  /** Orphan ladders of storage/hls (ORPHAN_GRACE_DAYS is the gc's own option). */
  readonly ladderGc: Pick<LadderGc, 'run'>;
  /** With PUBLISH_TARGET=s3 and LOCAL_COPY_DAYS: removes the local copies older than that; how many went. */
  readonly trimLocalCopies?: (olderThan: Date) => Promise<number>;
  readonly localCopyDays?: number;
  /** CLEANUP_CRON. */
  readonly cron: string;
  /** node-cron in production; tests call {@link DailyCleanup.run} directly. */
  readonly schedule: Schedule;
  readonly log: Logger;
  readonly now: () => Date;
}

export interface CleanupReport {
  readonly tempRemoved: number;
  readonly ledgerRemoved: number;
  readonly jobsTrimmed: number;
  /** Null when the gc run itself failed (storage/hls unreadable). */
  readonly ladders: GcReport | null;
  /** Local copies of bucket ladders removed (LOCAL_COPY_DAYS). */
  readonly localCopiesRemoved: number;
}

/**
 * The daemon's daily housekeeping: storage/temp leftovers older than 24 h (crashed workers on this
 * host or on another sharing the volume, interrupted `transcode` runs; never a running job's
 * directory), ledger rows older than LEDGER_RETENTION_DAYS, local jobs that ended more than
 * JOB_RETENTION_DAYS ago, and orphan ladders (ladder-gc.ts).
 */
export class DailyCleanup {
  private task: ScheduledTask | null = null;
  private running: Promise<CleanupReport> | null = null;

  constructor(private readonly options: DailyCleanupOptions) {}

  start(): void {
    this.task ??= this.options.schedule(this.options.cron, () => void this.run());
  }

  /** Waits for a run in progress, so the database is not closed under it. */
  async stop(): Promise<void> {
    this.task?.stop();
    this.task = null;
    await this.running;
  }

  /** One run; a run already in progress is joined rather than repeated. Never throws (a cron callback). */
  run(): Promise<CleanupReport> {
    this.running ??= this.cleanup().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async cleanup(): Promise<CleanupReport> {
    const { log, now, ledgerRetentionDays, jobRetentionDays } = this.options;
    // Each step runs even if another one failed.
    const tempRemoved = await this.sweepTemp();
    const ledgerRemoved = await this.step('pruning the ledger', () => this.options.ledger.prune(daysBefore(now(), ledgerRetentionDays)));
    const jobsTrimmed = await this.step('trimming ended jobs', () => this.options.jobs.trimEnded(daysBefore(now(), jobRetentionDays)));
    const ladders = await this.collectLadders();
    const localCopiesRemoved = await this.trimLocalCopies();
    log.info(
      {
        tempRemoved,
        ledgerRemoved,
        ledgerRetentionDays,
        jobsTrimmed,
        jobRetentionDays,
        ladders: ladders && {
          scanned: ladders.scanned,
          orphans: ladders.orphans,
          removed: ladders.removed.map((r) => r.key),
          removedBytes: ladders.removed.reduce((sum, r) => sum + r.bytes, 0),
          skippedSources: ladders.skippedSources,
        },
        localCopiesRemoved,
      },
      'daily cleanup done',
    );
    return { tempRemoved, ledgerRemoved, jobsTrimmed, ladders, localCopiesRemoved };
  }

  private async trimLocalCopies(): Promise<number> {
    const { trimLocalCopies, localCopyDays = 0, log, now } = this.options;
    if (trimLocalCopies === undefined) return 0;
    return trimLocalCopies(daysBefore(now(), localCopyDays)).catch((err: unknown) => {
      log.error({ err }, 'daily cleanup: trimming the local copies failed');
      return 0;
    });
  }

  private sweepTemp(): Promise<number> {
    const { tempDir, log, now } = this.options;
    return sweepTemp(tempDir, log, { staleAfterMs: TEMP_MAX_AGE_MS, minAgeMs: TEMP_MAX_AGE_MS, keepOwn: true, now }).catch(
      (err: unknown) => {
        log.error({ err }, 'daily cleanup: sweeping temp failed');
        return 0;
      },
    );
  }

  private async collectLadders(): Promise<GcReport | null> {
    try {
      return await this.options.ladderGc.run();
    } catch (err) {
      this.options.log.error({ err }, 'daily cleanup: ladder gc failed');
      return null;
    }
  }

  /** A count, or 0 when the step failed (logged). */
  private async step(what: string, fn: () => Promise<number>): Promise<number> {
    try {
      return await fn();
    } catch (err) {
      this.options.log.error({ err }, `daily cleanup: ${what} failed`);
      return 0;
    }
  }
}

function daysBefore(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}
