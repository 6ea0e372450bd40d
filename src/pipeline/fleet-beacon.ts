import type { WorkerControl } from '../domain/worker.js';
import type { Logger } from '../logging/logger.js';
import type { WorkerStore } from '../store/store.js';
import type { WorkerBeat } from '../store/worker-registry.js';
import { realTimers, type PipelineTimers } from './timers.js';

/** How often a daemon tells the fleet what it is doing. */
export const BEAT_INTERVAL_MS = 10_000;
/** A worker not heard of for this long is shown as lost (three beats missed). */
export const LOST_AFTER_MS = 3 * BEAT_INTERVAL_MS;
/** Workers not heard of for this long are forgotten. */
const FORGET_AFTER_MS = 7 * 86_400_000;

/** Options of {@link FleetBeacon}. */
export interface FleetBeaconOptions {
  readonly workers: Pick<WorkerStore, 'beat' | 'stop' | 'prune'>;
  readonly worker: WorkerControl;
  readonly host: string;
  readonly version: string;
  readonly now: () => Date;
  readonly log: Logger;
  readonly timers?: PipelineTimers;
  readonly intervalMs?: number;
}

/**
 * Writes this daemon's state and jobs to the store's `workers` table every BEAT_INTERVAL_MS, so the
 * dashboard of every daemon sharing the store shows the whole fleet; marks it stopped at a clean
 * shutdown. A beat that fails (the store is out of reach) is logged once until one succeeds again.
 */
export class FleetBeacon {
  private stopTimer: (() => void) | null = null;
  private failing = false;
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly o: FleetBeaconOptions) {}

  start(): void {
    if (this.stopTimer) return;
    this.stopTimer = (this.o.timers ?? realTimers).every(this.o.intervalMs ?? BEAT_INTERVAL_MS, () => void this.beat());
    void this.beat();
    void this.o.workers
      .prune(new Date(this.o.now().getTime() - FORGET_AFTER_MS))
      .catch((err: unknown) => this.o.log.warn({ err }, 'could not forget old workers'));
  }

  /** One beat now, after any in flight. Never rejects. */
  beat(): Promise<void> {
    this.last = this.last.then(() => this.send());
    return this.last;
  }

  /** No more beats; the worker is marked stopped. Never rejects. */
  async stop(): Promise<void> {
    this.stopTimer?.();
    this.stopTimer = null;
    await this.last;
    const snapshot = this.o.worker.snapshot();
    await this.o.workers
      .stop(snapshot.workerId, this.o.now())
      .catch((err: unknown) => this.o.log.warn({ err }, 'could not mark this worker stopped'));
  }

  private async send(): Promise<void> {
    try {
      await this.o.workers.beat(this.current(), this.o.now());
      if (this.failing) this.o.log.info('fleet beat recorded again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.o.log.warn({ err }, 'could not record this worker in the fleet; retrying at every beat');
      this.failing = true;
    }
  }

  private current(): WorkerBeat {
    const s = this.o.worker.snapshot();
    return {
      workerId: s.workerId,
      host: this.o.host,
      version: this.o.version,
      state: s.state,
      jobs: s.active.map((job) => ({ key: job.key, title: job.title, percent: job.percent, step: job.step })),
      startedAt: s.startedAt,
    };
  }
}
