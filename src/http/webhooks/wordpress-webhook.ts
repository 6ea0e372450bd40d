import { createHmac } from 'node:crypto';
import express, { Router } from 'express';
import type { WordpressConfig } from '../../config/config.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import { signatureMatches } from '../secret-compare.js';

/** The plugin sends `{event, id, at}`; anything bigger is not ours. */
export const WEBHOOK_BODY_LIMIT = '16kb';

export interface WordpressWebhookDeps {
  readonly config: Pick<WordpressConfig, 'webhookSecret'>;
  /** Wakes the poller; the poll, not the payload, decides what is processed. */
  readonly pollNow: () => void;
  readonly log: Logger;
}

/** The plugin's `X-VC-Signature`: `sha256=` + hex(HMAC-SHA256(secret, raw body)) (includes/webhook.php). */
export function wordpressSignature(secret: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * `POST /api/webhooks/wordpress` (mounted before the API-key routes, with the raw body): the plugin
 * says a video became pending. A wrong or missing signature gets 401 and changes nothing; a
 * verified one wakes the poller.
 */
export function wordpressWebhookRouter({ config, pollNow, log }: WordpressWebhookDeps): Router {
  const router = Router();
  const secret = config.webhookSecret;
  if (!secret) log.warn('WP_WEBHOOK_SECRET is not set: WordPress webhooks will be refused; new uploads wait for the next poll');
  router.post('/', express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }), (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const given = req.get('x-vc-signature') ?? '';
    if (!secret) throw new AppError('unauthorized', 'WordPress webhooks are disabled: set WP_WEBHOOK_SECRET');
    if (!signatureMatches(given, wordpressSignature(secret, body))) {
      log.warn('WordPress webhook with a bad signature refused (the secret in Media → Video Compressor must equal WP_WEBHOOK_SECRET)');
      throw new AppError('unauthorized', 'bad or missing X-VC-Signature');
    }
    log.debug('WordPress webhook');
    pollNow();
    res.status(200).json({ ok: true, polled: true });
  });
  return router;
}
