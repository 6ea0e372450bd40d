import type { Logger } from '../logging/logger.js';
import type { AlertChannel, Notification, RenderedMessage } from './notification.js';
import { renderNotification, type MessageContext } from './render-notification.js';

/** Runs `fn` after `ms`; returns a cancel function. Tests drive it by hand. */
export type Scheduler = (fn: () => void, ms: number) => () => void;

const realScheduler: Scheduler = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

/** Construction options of {@link Notifier}. */
export interface NotifierOptions {
  readonly channels: readonly AlertChannel[];
  readonly context: MessageContext;
  readonly log: Logger;
  readonly schedule?: Scheduler;
  /** Delay before retry 1, 2, …; the message is dropped after the last. */
  readonly retryDelaysMs?: readonly number[];
  /** Messages waiting per channel; the oldest is dropped beyond it. */
  readonly maxQueue?: number;
}

/** 30 s, 1 min, 2 min, 5 min, 10 min, then every 15 min: about 3 hours of trying. */
export const DEFAULT_RETRY_DELAYS_MS = [30_000, 60_000, 120_000, 300_000, 600_000, ...Array<number>(10).fill(900_000)];

/** What a direct send (the dashboard's test button) achieved on one channel. */
export interface ChannelResult {
  readonly channel: string;
  readonly ok: boolean;
  readonly error?: string;
}

interface Pending {
  readonly message: RenderedMessage;
  readonly label: string;
  failures: number;
}

/**
 * Delivers notifications to every channel that accepts them, one queue per channel so a dead
 * webhook delays nobody else. `notify` only enqueues: the caller (the pipeline's event sink,
 * the rule evaluation) never waits for a network. A failed send is logged and retried later.
 */
export class Notifier {
  private readonly queues = new Map<AlertChannel, Pending[]>();
  private readonly busy = new Set<AlertChannel>();
  private readonly timers = new Map<AlertChannel, () => void>();
  private readonly idleWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(private readonly options: NotifierOptions) {
    for (const channel of options.channels) this.queues.set(channel, []);
  }

  get channelNames(): string[] {
    return this.options.channels.map((c) => c.name);
  }

  notify(notification: Notification): void {
    if (this.stopped) return;
    const message = renderNotification(notification, this.options.context);
    for (const channel of this.options.channels) {
      if (!channel.accepts(notification)) continue;
      const queue = this.queues.get(channel) ?? [];
      queue.push({ message, label: message.subject, failures: 0 });
      const max = this.options.maxQueue ?? 100;
      if (queue.length > max) {
        // The message being sent right now stays; the next oldest go.
        const first = this.busy.has(channel) ? 1 : 0;
        const dropped = queue.splice(first, queue.length - max);
        this.options.log.error(
          { channel: channel.name, dropped: dropped.map((p) => p.label) },
          'notification queue full; oldest messages dropped',
        );
      }
      this.pump(channel);
    }
  }

  /** Sends one notification to every accepting channel now, without queue or retry, and reports each outcome. */
  async sendNow(notification: Notification): Promise<ChannelResult[]> {
    const message = renderNotification(notification, this.options.context);
    const targets = this.options.channels.filter((c) => c.accepts(notification));
    return Promise.all(
      targets.map((channel) =>
        channel.send(message).then(
          (): ChannelResult => ({ channel: channel.name, ok: true }),
          (err: unknown): ChannelResult => ({ channel: channel.name, ok: false, error: (err as Error).message }),
        ),
      ),
    );
  }

  /** Messages not delivered yet, over all channels. */
  pending(): number {
    let count = 0;
    for (const queue of this.queues.values()) count += queue.length;
    return count;
  }

  /** Resolves when no send is in flight (messages waiting for a retry may remain). For tests and shutdown. */
  async settled(): Promise<void> {
    if (this.busy.size === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Cancels retries; what was not delivered is logged and dropped. */
  stop(): void {
    this.stopped = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    const left = this.pending();
    if (left > 0) this.options.log.warn({ messages: left }, 'undelivered notifications dropped at shutdown');
  }

  private pump(channel: AlertChannel): void {
    const queue = this.queues.get(channel);
    const head = queue?.[0];
    if (!queue || !head || this.stopped || this.busy.has(channel) || this.timers.has(channel)) return;
    this.busy.add(channel);
    channel
      .send(head.message)
      .then(
        () => {
          remove(queue, head);
          if (head.failures > 0)
            this.options.log.info(
              { channel: channel.name, subject: head.label, failures: head.failures },
              'notification delivered after retrying',
            );
        },
        (err: unknown) => this.onFailure(channel, queue, head, err),
      )
      .finally(() => {
        this.busy.delete(channel);
        this.pump(channel);
        if (this.busy.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      });
  }

  private onFailure(channel: AlertChannel, queue: Pending[], head: Pending, err: unknown): void {
    head.failures += 1;
    const delays = this.options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    const delay = delays[head.failures - 1];
    if (delay === undefined) {
      remove(queue, head);
      this.options.log.error(
        { err, channel: channel.name, subject: head.label, failures: head.failures },
        'notification dropped after its last retry',
      );
      return;
    }
    this.options.log.warn({ err, channel: channel.name, subject: head.label, retryInMs: delay }, 'notification failed; will retry');
    const schedule = this.options.schedule ?? realScheduler;
    const cancel = schedule(() => {
      this.timers.delete(channel);
      this.pump(channel);
    }, delay);
    this.timers.set(channel, cancel);
  }
}

function remove<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index >= 0) list.splice(index, 1);
}
