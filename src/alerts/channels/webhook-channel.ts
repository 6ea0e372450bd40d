import type { AlertChannel, RenderedMessage } from '../notification.js';

/** Construction options of {@link createWebhookChannel}. */
export interface WebhookChannelOptions {
  readonly kind: 'slack' | 'discord';
  /** The incoming-webhook URL: it is the credential, so it never appears in logs or errors. */
  readonly url: string;
  readonly timeoutMs?: number;
}

const DISCORD_MAX_CONTENT = 2000;

/** Slack's mrkdwn gives &, < and > a meaning (links, mentions): escape them in our text. */
function slackBody(message: RenderedMessage): unknown {
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return { text: `*${escape(message.subject)}*\n${escape(message.text)}` };
}

/** `allowed_mentions` off: a video title containing @everyone must not ping a whole server. */
function discordBody(message: RenderedMessage): unknown {
  const content = `**${message.subject}**\n${message.text}`;
  return {
    content: content.length > DISCORD_MAX_CONTENT ? `${content.slice(0, DISCORD_MAX_CONTENT - 1)}…` : content,
    allowed_mentions: { parse: [] },
  };
}

/** Slack or Discord incoming webhook: every alert, the daily report and tests. */
export function createWebhookChannel(options: WebhookChannelOptions): AlertChannel {
  const body = options.kind === 'slack' ? slackBody : discordBody;
  return {
    name: options.kind,
    accepts: () => true,
    async send(message) {
      let response: Response;
      try {
        response = await fetch(options.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body(message)),
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
          redirect: 'error',
        });
      } catch (err) {
        // fetch's own errors do not carry the URL, but say so explicitly rather than rely on it.
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
        throw new Error(`${options.kind} webhook unreachable (${cause})`);
      }
      await response.body?.cancel();
      if (!response.ok) throw new Error(`${options.kind} webhook answered HTTP ${response.status}`);
    },
  };
}
