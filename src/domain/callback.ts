/** Completion callbacks: the names the store and src/callbacks share. */

/** The events a callback announces, as they appear in the body's `event`. */
export const CALLBACK_EVENTS = ['job.completed', 'job.failed', 'job.cancelled'] as const;
export type CallbackEvent = (typeof CALLBACK_EVENTS)[number];

/** `pending` until settled; `refused` = the address policy forbade the host (never retried). */
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'refused'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The row's new state after an attempt. */
export interface Settlement {
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** ISO-8601; null unless `pending`. */
  readonly nextAttemptAt: string | null;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
}
