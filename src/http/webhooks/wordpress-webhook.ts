import { createHmac } from 'node:crypto';
import express, { Router } from 'express';
import type { WordpressConfig } from '../../config/config.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import { signatureMatches } from '../secret-compare.js';

/** The plugin sends `{event, id, ids, at}` (at most 1000 ids); anything bigger is not ours. */
export const WEBHOOK_BODY_LIMIT = '16kb';

/** The most ids one `attachment.deleted` may name (the plugin's own cap). */
const MAX_DELETED_IDS = 1000;

export interface WordpressWebhookDeps {
  readonly config: Pick<WordpressConfig, 'webhookSecret'>;
  /** Wakes the poller; the poll, not the payload, decides what is processed. */
  readonly pollNow: () => void;
  /**
   * Told of each deleted attachment (its id). The payload is only a hint: the callee reads the record
   * again and acts only if it is really gone (main.ts: JobOperations.recordDeleted).
   */
  readonly attachmentDeleted: (id: string) => Promise<void>;
  readonly log: Logger;
}

/** The plugin's `X-VC-Signature`: `sha256=` + hex(HMAC-SHA256(secret, raw body)) (includes/webhook.php). */
export function wordpressSignature(secret: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * `POST /api/webhooks/wordpress` (mounted before the API-key routes, with the raw body). A wrong
 * or missing signature gets 401 and changes nothing. A verified `attachment.pending` wakes the
 * poller; a verified `attachment.deleted` has its ids checked, answered 202 at once and handed to
 * `attachmentDeleted` afterwards (the check reads WordPress back), and wakes the poller too (the
 * plugin sends one notice per request, which may also have made videos pending); any other event
 * is answered 200 and ignored.
 */
export function wordpressWebhookRouter({ config, pollNow, attachmentDeleted, log }: WordpressWebhookDeps): Router {
  const router = Router();
  const secret = config.webhookSecret;
  if (!secret) log.warn('WP_WEBHOOK_SECRET is not set: WordPress webhooks will be refused; new uploads wait for the next poll');
  const deletions = serialQueue(attachmentDeleted, log);
  router.post('/', express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }), (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const given = req.get('x-vc-signature') ?? '';
    if (!secret) throw new AppError('unauthorized', 'WordPress webhooks are disabled: set WP_WEBHOOK_SECRET');
    if (!signatureMatches(given, wordpressSignature(secret, body))) {
      log.warn('WordPress webhook with a bad signature refused (the secret in Media → Video Compressor must equal WP_WEBHOOK_SECRET)');
      throw new AppError('unauthorized', 'bad or missing X-VC-Signature');
    }
    const payload = parsePayload(body);
    if (payload.event === 'attachment.pending') {
      log.debug({ id: payload.id }, 'WordPress webhook: attachment pending');
      pollNow();
      res.status(200).json({ ok: true, polled: true });
      return;
    }
    if (payload.event === 'attachment.deleted') {
      const ids = deletedIds(payload);
      log.debug({ ids }, 'WordPress webhook: attachments deleted');
      for (const id of ids) deletions(id);
      // One notice per request: videos it made pending are announced only by this wake-up.
      pollNow();
      res.status(202).json({ ok: true, polled: true, checking: ids.map(Number) });
      return;
    }
    log.debug({ event: payload.event }, 'WordPress webhook: event ignored');
    res.status(200).json({ ok: true, polled: false, ignored: true });
  });
  return router;
}

interface Payload {
  readonly event?: unknown;
  readonly id?: unknown;
  /** Every attachment deleted by one request to WordPress (a bulk delete), `id` being the first. */
  readonly ids?: unknown;
}

/** A signed body is ours, but it must still be a JSON object. */
function parsePayload(body: Buffer): Payload {
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AppError('invalid_request', 'the webhook body is not JSON');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new AppError('invalid_request', 'the webhook body is not a JSON object');
  return payload;
}

/** `id`, and `ids` when the plugin names several: each a positive integer, or the whole notice is refused. */
function deletedIds(payload: Payload): string[] {
  const ids = [attachmentId(payload.id)];
  if (payload.ids !== undefined) {
    if (!Array.isArray(payload.ids) || payload.ids.length > MAX_DELETED_IDS)
      throw new AppError('invalid_request', `attachment.deleted: "ids" must be a list of at most ${MAX_DELETED_IDS} ids`);
    for (const id of payload.ids as unknown[]) ids.push(attachmentId(id));
  }
  return [...new Set(ids)];
}

/** An attachment id is a positive integer (a JSON number, or its digits as a string). */
function attachmentId(id: unknown): string {
  const text = typeof id === 'number' && Number.isSafeInteger(id) ? String(id) : typeof id === 'string' ? id : '';
  if (!/^[1-9]\d{0,15}$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new AppError('invalid_request', 'attachment.deleted: an id must be a positive integer', { context: { id: String(id) } });
  return text;
}

/**
 * Runs `handle` for one id at a time, in arrival order, each id at most once while it waits: a
 * bulk delete in WordPress sends one webhook per attachment, and each check reads WordPress back.
 * A failure is logged; the ladder GC removes what a lost check left behind.
 */
function serialQueue(handle: (id: string) => Promise<void>, log: Logger): (id: string) => void {
  const waiting = new Set<string>();
  let tail: Promise<void> = Promise.resolve();
  return (id) => {
    if (waiting.has(id)) return;
    waiting.add(id);
    tail = tail.then(async () => {
      waiting.delete(id);
      try {
        await handle(id);
      } catch (err) {
        log.warn({ err, id }, 'could not handle the deletion of a WordPress attachment; the ladder GC will remove its ladder');
      }
    });
  };
}
