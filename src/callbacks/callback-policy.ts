import type { DaemonEvent } from '../domain/events.js';
import { AppError } from '../errors.js';
import { MAX_SOURCE_URL_LENGTH, parseHttpUrl } from '../pipeline/url-policy.js';
import type { CallbackEvent, Settlement } from '../domain/callback.js';

export { CALLBACK_EVENTS, DELIVERY_STATUSES, type CallbackEvent, type DeliveryStatus, type Settlement } from '../domain/callback.js';

/**
 * Pauses after attempts 1, 2, … that failed in a way worth retrying: about 15 h 40 min from the
 * first attempt to the last (the 9th), so a receiver down for a night still gets every callback.
 */
export const RETRY_DELAYS_MS: readonly number[] = [30, 120, 600, 1800, 3600, 7200, 14_400, 28_800].map((s) => s * 1000);

/** Same ceiling as a source URL: no legitimate endpoint needs more. */
export const MAX_CALLBACK_URL_LENGTH = MAX_SOURCE_URL_LENGTH;

/** The callback an event calls for; null for every other event, and for a failure that will be retried. */
export function callbackEventOf(event: DaemonEvent): { key: string; event: CallbackEvent } | null {
  switch (event.type) {
    case 'job_completed':
      return { key: event.key, event: 'job.completed' };
    case 'job_failed':
      return event.final ? { key: event.key, event: 'job.failed' } : null;
    case 'job_cancelled':
      return { key: event.key, event: 'job.cancelled' };
    default:
      return null;
  }
}

/**
 * A per-job callback URL as given on submission: absolute http(s), a host, at most
 * {@link MAX_CALLBACK_URL_LENGTH} characters. The address policy is applied when delivering, on the
 * address actually connected, not here: DNS may answer differently by then.
 * @throws AppError `invalid_request`
 */
export function parseCallbackUrl(text: string): URL {
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_CALLBACK_URL_LENGTH) {
    throw new AppError('invalid_request', `callback_url: must be 1 to ${MAX_CALLBACK_URL_LENGTH} characters long`, {
      context: { length: trimmed.length },
    });
  }
  try {
    return parseHttpUrl(trimmed);
  } catch (err) {
    throw new AppError('invalid_request', 'callback_url: must be an absolute http(s) URL with a host name', { cause: err });
  }
}

/** What one POST came to, as far as the retry decision cares. */
export type AttemptResult =
  | { readonly kind: 'response'; readonly statusCode: number }
  /** The address policy forbade the host. */
  | { readonly kind: 'refused'; readonly error: string }
  /** Cannot ever work as configured (a malformed URL). */
  | { readonly kind: 'invalid'; readonly error: string }
  /** Network, DNS or timeout: worth another attempt. */
  | { readonly kind: 'error'; readonly error: string };

/**
 * 2xx is delivered. 408, 429, 5xx, network errors and timeouts are retried on
 * {@link RETRY_DELAYS_MS}, then given up. Any other status is given up at once: the receiver has
 * said no, or (3xx) moved, and redirects are deliberately not followed.
 */
export function settle(result: AttemptResult, attempt: number, now: Date, delaysMs: readonly number[] = RETRY_DELAYS_MS): Settlement {
  const base = { attempts: attempt, nextAttemptAt: null, lastStatusCode: result.kind === 'response' ? result.statusCode : null };
  if (result.kind === 'refused') return { ...base, status: 'refused', lastError: result.error };
  if (result.kind === 'invalid') return { ...base, status: 'failed', lastError: result.error };
  if (result.kind === 'response') {
    const code = result.statusCode;
    if (code >= 200 && code < 300) return { ...base, status: 'delivered', lastError: null };
    if (code >= 300 && code < 400) return { ...base, status: 'failed', lastError: `HTTP ${code}: redirects are not followed` };
    if (!(code === 408 || code === 429 || code >= 500)) return { ...base, status: 'failed', lastError: `HTTP ${code}` };
  }
  const error = result.kind === 'response' ? `HTTP ${result.statusCode}` : result.error;
  const delay = delaysMs[attempt - 1];
  if (delay === undefined) return { ...base, status: 'failed', lastError: `${error}; gave up after ${attempt} attempts` };
  return { ...base, status: 'pending', nextAttemptAt: new Date(now.getTime() + delay).toISOString(), lastError: error };
}

/**
 * The body of one POST. Keys in a fixed order and no clock reading, so it is a function of the
 * delivery and the attempt alone. `delivery_id` is the same on every attempt of one delivery:
 * receivers deduplicate on it (a 2xx lost on the way back means the same callback comes again).
 */
export function callbackBody(delivery: { id: number; jobKey: string; event: CallbackEvent; jobJson: string }, attempt: number): string {
  const job: unknown = JSON.parse(delivery.jobJson);
  return JSON.stringify({ event: delivery.event, key: delivery.jobKey, delivery_id: delivery.id, attempt, job });
}
