import type { Logger } from '../logging/logger.js';
import type { SystemSample, SystemSampler } from './system-sample.js';

/** Construction options of {@link SystemMonitor}. */
export interface SystemMonitorOptions {
  readonly sampler: SystemSampler;
  readonly now: () => Date;
  readonly log: Logger;
  /** Between readings; 10 s by default (the dashboard's refresh). */
  readonly intervalMs?: number;
  /**
   * Delay of the second reading. CPU load and network rates are measured between two readings, so
   * the first useful one comes this long after start instead of a whole interval later.
   */
  readonly firstDelayMs?: number;
  /** Readings kept (oldest dropped); must cover the longest duration window of the alert rules. */
  readonly historyLimit?: number;
}

/**
 * Samples the machine in the background and keeps a bounded history. Requests and alert rules
 * only ever read the stored readings: a slow systeminformation call never delays a page.
 */
export class SystemMonitor {
  private readonly samples: SystemSample[] = [];
  private readonly listeners: Array<(sample: SystemSample) => void> = [];
  private timer: NodeJS.Timeout | null = null;
  private sampling: Promise<SystemSample | null> | null = null;
  private failing = false;
  private stopped = true;

  constructor(private readonly options: SystemMonitorOptions) {}

  start(): void {
    this.stopped = false;
    void this.sampleNow().finally(() => this.scheduleNext(this.options.firstDelayMs ?? 1000));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  latest(): SystemSample | null {
    return this.samples.at(-1) ?? null;
  }

  /** Oldest first. */
  history(): readonly SystemSample[] {
    return this.samples;
  }

  /** Called with every new reading (the alert service evaluates its rules). */
  onSample(listener: (sample: SystemSample) => void): void {
    this.listeners.push(listener);
  }

  /** Takes one reading now (joining one in progress). Never throws: a failed reading is logged and skipped. */
  sampleNow(): Promise<SystemSample | null> {
    this.sampling ??= this.read().finally(() => {
      this.sampling = null;
    });
    return this.sampling;
  }

  private async read(): Promise<SystemSample | null> {
    try {
      const reading = await this.options.sampler.sample();
      const sample: SystemSample = { at: this.options.now().toISOString(), ...reading };
      this.samples.push(sample);
      const limit = this.options.historyLimit ?? 360;
      if (this.samples.length > limit) this.samples.splice(0, this.samples.length - limit);
      if (this.failing) this.options.log.info('system sampling works again');
      this.failing = false;
      for (const listener of this.listeners) this.notify(listener, sample);
      return sample;
    } catch (err) {
      // One line per outage, not one every 10 s.
      if (!this.failing) this.options.log.warn({ err }, 'system sampling failed; will keep trying');
      this.failing = true;
      return null;
    }
  }

  private notify(listener: (sample: SystemSample) => void, sample: SystemSample): void {
    try {
      listener(sample);
    } catch (err) {
      this.options.log.error({ err }, 'system sample listener threw');
    }
  }

  private scheduleNext(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.sampleNow().finally(() => this.scheduleNext(this.options.intervalMs ?? 10_000));
    }, delayMs);
    this.timer.unref();
  }
}
