import type { Logger } from '../logging/logger.js';
import type { Ledger } from '../store/ledger.js';
import type { Schedule, ScheduledTask } from '../domain/schedule.js';
import { sweepTemp } from './workspace.js';

/** Work directories untouched for this long, and not a live worker's, are leftovers. */
export const TEMP_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Construction options of {@link DailyCleanup}. */
export interface DailyCleanupOptions {
  readonly tempDir: string;
  readonly ledger: Pick<Ledger, 'prune'>;
  readonly ledgerRetentionDays: number;
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
}

/**
 * The daemon's daily housekeeping: storage/temp leftovers older than 24 h (crashed workers on this
 * host or on another sharing the volume, interrupted `transcode` runs; never a running job's
 * directory) and ledger rows older than LEDGER_RETENTION_DAYS.
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
    const { tempDir, ledger, ledgerRetentionDays, log, now } = this.options;
    // Each step runs even if the other one failed.
    const tempRemoved = await sweepTemp(tempDir, log, {
      staleAfterMs: TEMP_MAX_AGE_MS,
      minAgeMs: TEMP_MAX_AGE_MS,
      keepOwn: true,
      now,
    }).catch((err: unknown) => {
      log.error({ err }, 'daily cleanup: sweeping temp failed');
      return 0;
    });
    let ledgerRemoved = 0;
    try {
      ledgerRemoved = ledger.prune(new Date(now().getTime() - ledgerRetentionDays * DAY_MS));
    } catch (err) {
      log.error({ err }, 'daily cleanup: pruning the ledger failed');
    }
    log.info({ tempRemoved, ledgerRemoved, ledgerRetentionDays }, 'daily cleanup done');
    return { tempRemoved, ledgerRemoved };
  }
}
