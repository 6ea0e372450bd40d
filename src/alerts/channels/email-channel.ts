import nodemailer from 'nodemailer';
import type { AlertChannel, Notification, RenderedMessage } from '../notification.js';

/** Construction options of {@link createEmailChannel}. */
export interface EmailChannelOptions {
  /** smtp(s)://user:password@host:port — a secret: never logged. */
  readonly smtpUrl: string;
  readonly from: string;
  readonly to: readonly string[];
  /** Connection, greeting and socket timeouts. */
  readonly timeoutMs?: number;
}

/**
 * E-mail through nodemailer: critical alerts (and their resolution), daily reports and tests.
 * Warnings stay on the chat channels, by design: e-mail is what wakes someone up.
 */
export function createEmailChannel(options: EmailChannelOptions): AlertChannel {
  const timeout = options.timeoutMs ?? 15_000;
  const transport = nodemailer.createTransport(options.smtpUrl, {
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  } as object);
  return {
    name: 'email',
    accepts: (n: Notification) => n.kind !== 'alert' || n.alert.level === 'critical',
    async send(message: RenderedMessage) {
      await transport.sendMail({
        from: options.from,
        to: [...options.to],
        // A title typed into the CMS must not smuggle header lines in.
        subject: message.subject.replace(/[\r\n]+/g, ' '),
        text: message.text,
      });
    },
  };
}
