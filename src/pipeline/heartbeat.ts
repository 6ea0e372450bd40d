import { isAppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { CmsSource } from '../sources/cms-source.js';
import type { Progress } from '../domain/record.js';
import { realTimers, type PipelineTimers } from './timers.js';

export interface HeartbeatOptions {
  readonly source: CmsSource;
  readonly recordId: string;
  readonly intervalMs: number;
  /** Called when the CMS says the job is no longer ours (cancelled, or the lease was lost). */
  readonly onLost: (err: Error) => void;
  readonly log: Logger;
  /** Real timers unless a test passes its own. */
  readonly timers?: Pick<PipelineTimers, 'every'>;
}

/**
 * Renews a job's lease every `intervalMs` and persists its progress. Progress changes are kept in
 * memory and sent with the next beat, except step changes, which are sent at once. A CMS that
 * cannot be reached only logs a warning: the lease is long enough to ride out a short outage.
 */
export class Heartbeat {
  private latest: Progress = { percent: 0, step: 'claimed' };
  private cancelTimer: (() => void) | null = null;
  private inFlight: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: HeartbeatOptions) {}

  start(): void {
    this.cancelTimer = (this.options.timers ?? realTimers).every(this.options.intervalMs, () => this.beat());
  }

  update(progress: Progress): void {
    const stepChanged = progress.step !== this.latest.step;
    this.latest = progress;
    if (stepChanged) this.beat();
  }

  get progress(): Progress {
    return this.latest;
  }

  /** Stops beating and waits for a beat in flight, so no write races the final write-back. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    await this.inFlight;
  }

  private beat(): void {
    if (this.stopped) return;
    const progress = this.latest;
    this.inFlight = this.inFlight.then(async () => {
      if (this.stopped) return;
      try {
        await this.options.source.heartbeat(this.options.recordId, progress);
      } catch (err) {
        if (isAppError(err, 'cancelled') || isAppError(err, 'lease_expired')) {
          this.stopped = true;
          this.options.onLost(err);
        } else {
          this.options.log.warn({ err }, 'heartbeat failed; will try again');
        }
      }
    });
  }
}
