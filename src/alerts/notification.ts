import type { Alert } from '../store/alert-repository.js';

/** Why an alert is being announced. */
export type AlertChange = 'opened' | 'escalated' | 'repeated' | 'resolved';

/** Something to tell the operator. */
export type Notification =
  | { readonly kind: 'alert'; readonly change: AlertChange; readonly alert: Alert }
  | { readonly kind: 'report'; readonly subject: string; readonly text: string }
  | { readonly kind: 'test'; readonly requestedBy: string; readonly at: string };

/** A notification rendered for people: a one-line subject and a plain-text body. */
export interface RenderedMessage {
  readonly subject: string;
  readonly text: string;
}

/**
 * One way of reaching the operator (e-mail, Slack, Discord). `send` rejects when the message was
 * not delivered; the notifier then retries later. Implementations never log their secrets (SMTP
 * password, webhook URL).
 */
export interface AlertChannel {
  readonly name: string;
  /** Whether this channel carries this notification at all (e-mail: critical alerts only). */
  accepts(notification: Notification): boolean;
  send(message: RenderedMessage): Promise<void>;
}
