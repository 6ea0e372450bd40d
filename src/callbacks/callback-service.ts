import type { CallbacksConfig } from '../config/config.js';
import type { DaemonEvent, EventSink } from '../domain/events.js';
import type { Logger } from '../logging/logger.js';
import { realTimers, type PipelineTimers } from '../pipeline/timers.js';
import { redactUrl, type AddressPredicate, type LookupFn } from '../pipeline/url-policy.js';
import { postCallback, type PostResult } from './callback-http.js';
import { callbackBody, callbackEventOf, parseCallbackUrl, RETRY_DELAYS_MS, settle, type CallbackEvent } from './callback-policy.js';
import { signBody, SIGNATURE_HEADER } from './callback-signature.js';
import type { CallbackDelivery, ClaimedDelivery } from '../store/callback-repository.js';
import type { CallbackStore } from '../store/store.js';

export interface CallbackServiceOptions {
  readonly store: CallbackStore;
  /** CALLBACK_URL, CALLBACK_SECRET, ALLOW_PRIVATE_CALLBACK_URLS. */
  readonly config: CallbacksConfig;
  /** The job as the API shows it (snake_case JSON); null when the job is gone. */
  readonly jobJson: (key: string) => Promise<Record<string, unknown> | null>;
  readonly log: Logger;
  readonly now?: () => Date;
  /** Only `every` is used: the look for due deliveries. A test passes its own and ticks it. */
  readonly timers?: Pick<PipelineTimers, 'every'>;
  /** Between two looks for due deliveries; default 10 s (the shortest retry pause is 30 s). */
  readonly pollMs?: number;
  /** Per POST, until the response's status line; default 10 s. */
  readonly timeoutMs?: number;
  readonly retryDelaysMs?: readonly number[];
  /** Deliveries attempted side by side; default 8. */
  readonly concurrency?: number;
  /** Tests: the resolver, and an address predicate that treats a loopback name as public. */
  readonly lookup?: LookupFn;
  readonly isAllowedAddress?: AddressPredicate;
}

/** What one attempt came to. */
export type DeliveryOutcome = Pick<CallbackDelivery, 'id' | 'jobKey' | 'event' | 'status' | 'attempts' | 'lastStatusCode' | 'lastError'>;

const DEFAULT_TIMEOUT_MS = 10_000;
/** A claimed row is due again after this if the process dies mid-attempt; far above any attempt's length. */
const MIN_LEASE_MS = 5 * 60_000;

/**
 * Completion callbacks. As an {@link EventSink} it records one delivery per target URL (CALLBACK_URL
 * and the job's own) when a job completes, fails for good or is cancelled; a background loop POSTs
 * them, signed, and retries on a schedule. Nothing here ever makes the worker wait: `emit` returns
 * at once and the job's JSON is read afterwards.
 */
export class CallbackService implements EventSink {
  private readonly now: () => Date;
  private readonly abort = new AbortController();
  private readonly recording = new Set<Promise<void>>();
  private chain: Promise<unknown> = Promise.resolve();
  private queued: Promise<DeliveryOutcome[]> | null = null;
  private stopTimer: (() => void) | null = null;
  private started = false;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly o: CallbackServiceOptions) {
    this.now = o.now ?? (() => new Date());
    this.log = o.log.child({ module: 'callbacks' });
  }

  /**
   * The job's own callback URL (POST /api/jobs `callback_url`), replacing any earlier one.
   * @throws AppError `invalid_request` unless an absolute http(s) URL of at most 2048 characters.
   */
  async register(jobKey: string, url: string): Promise<void> {
    await this.o.store.register(jobKey, parseCallbackUrl(url).href, this.now());
  }

  /** One job's deliveries as the API and the job page show them, newest first; URLs redacted (they may carry a token). */
  async deliveriesJson(jobKey: string): Promise<Record<string, unknown>[]> {
    return (await this.o.store.deliveriesFor(jobKey)).map((d) => ({
      id: d.id,
      event: d.event,
      url: redactUrl(d.url),
      status: d.status,
      attempts: d.attempts,
      next_attempt_at: d.nextAttemptAt,
      last_status_code: d.lastStatusCode,
      last_error: d.lastError,
      created_at: d.createdAt,
      updated_at: d.updatedAt,
    }));
  }

  emit(event: DaemonEvent): void {
    const wanted = callbackEventOf(event);
    if (!wanted) return;
    if (this.stopped) {
      this.log.warn({ job: wanted.key, event: wanted.event }, 'callback not recorded: the service has stopped');
      return;
    }
    const task: Promise<void> = this.record(wanted.key, wanted.event).then(() => {
      this.recording.delete(task);
    });
    this.recording.add(task);
  }

  /** Delivers what is due now (pending from before a restart included), then every `pollMs`. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.stopTimer = (this.o.timers ?? realTimers).every(this.o.pollMs ?? 10_000, () => void this.deliverDue());
    void this.deliverDue();
  }

  /** No new attempt; one in flight is abandoned and stays pending (no attempt counted). Resolves when all is quiet. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopTimer?.();
    this.stopTimer = null;
    this.abort.abort();
    await this.idle();
  }

  /**
   * Attempts every delivery due now and resolves with what each came to. Never rejects. A call while
   * a run is under way is folded into one run after it.
   */
  deliverDue(): Promise<DeliveryOutcome[]> {
    if (this.queued) return this.queued;
    const run = this.chain.then(() => {
      this.queued = null;
      return this.runOnce();
    });
    this.queued = run;
    this.chain = run;
    return run;
  }

  /** Resolves once no event is being recorded and no delivery run is under way or queued. */
  async idle(): Promise<void> {
    for (;;) {
      const chain = this.chain;
      await Promise.all([chain, ...this.recording]);
      if (chain === this.chain && this.recording.size === 0) return;
    }
  }

  private async record(jobKey: string, event: CallbackEvent): Promise<void> {
    try {
      const urls = [...new Set([this.o.config.url, await this.o.store.jobUrl(jobKey)])].filter((url): url is string => url !== null);
      if (urls.length === 0) return;
      const job = await this.o.jobJson(jobKey).catch((err: unknown) => {
        this.log.warn({ err, job: jobKey }, 'the job could not be read for its callback; sending "job": null');
        return null;
      });
      const ids = await this.o.store.create({ jobKey, event, urls, jobJson: JSON.stringify(job), now: this.now() });
      this.log.info({ job: jobKey, event, deliveries: ids }, 'callbacks queued');
      if (this.started && !this.stopped) void this.deliverDue();
    } catch (err) {
      this.log.error({ err, job: jobKey, event }, 'callback could not be recorded');
    }
  }

  private async runOnce(): Promise<DeliveryOutcome[]> {
    const outcomes: DeliveryOutcome[] = [];
    const limit = this.o.concurrency ?? 8;
    try {
      for (;;) {
        if (this.stopped) return outcomes;
        const now = this.now();
        const lease = Math.max(MIN_LEASE_MS, 2 * (this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS));
        const claimed = await this.o.store.claimDue(now, new Date(now.getTime() + lease), limit);
        outcomes.push(...(await Promise.all(claimed.map((delivery) => this.attempt(delivery)))));
        if (claimed.length < limit) return outcomes;
      }
    } catch (err) {
      this.log.error({ err }, 'callback delivery run failed');
      return outcomes;
    }
  }

  private async attempt(delivery: ClaimedDelivery): Promise<DeliveryOutcome> {
    const attempt = delivery.attempts + 1;
    const result = await this.post(delivery, attempt);
    const now = this.now();
    if (result.kind === 'aborted') {
      await this.o.store.release(delivery.id, now);
      return toOutcome(delivery);
    }
    const settlement = settle(result, attempt, now, this.o.retryDelaysMs ?? RETRY_DELAYS_MS);
    await this.o.store.settle(delivery.id, settlement, now);
    const outcome = toOutcome({ ...delivery, ...settlement });
    this.logOutcome(outcome, delivery.url, settlement.nextAttemptAt);
    return outcome;
  }

  private async post(delivery: ClaimedDelivery, attempt: number): Promise<PostResult> {
    let body: string;
    try {
      body = callbackBody(delivery, attempt);
    } catch (err) {
      // Only a damaged row gets here; retrying it would fail the same way.
      return { kind: 'invalid', error: `the stored job JSON is unreadable: ${(err as Error).message}` };
    }
    const secret = this.o.config.secret;
    return postCallback({
      url: delivery.url,
      body,
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'video-compressor',
        ...(secret ? { [SIGNATURE_HEADER]: signBody(body, secret) } : {}),
      },
      policy: { allowPrivate: this.o.config.allowPrivate, lookup: this.o.lookup, isAllowedAddress: this.o.isAllowedAddress },
      timeoutMs: this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      signal: this.abort.signal,
    });
  }

  /** The URL redacted (a token may sit in its query); the body and headers (the signature) never. */
  private logOutcome(outcome: DeliveryOutcome, url: string, nextAttemptAt: string | null): void {
    const fields = {
      job: outcome.jobKey,
      event: outcome.event,
      delivery: outcome.id,
      url: redactUrl(url),
      attempt: outcome.attempts,
      statusCode: outcome.lastStatusCode,
      error: outcome.lastError,
      nextAttemptAt,
    };
    if (outcome.status === 'delivered') this.log.info(fields, 'callback delivered');
    else if (outcome.status === 'pending') this.log.warn(fields, 'callback not delivered; will retry');
    else this.log.error(fields, outcome.status === 'refused' ? 'callback refused by the address policy' : 'callback given up');
  }
}

function toOutcome(d: DeliveryOutcome): DeliveryOutcome {
  return {
    id: d.id,
    jobKey: d.jobKey,
    event: d.event,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
  };
}
