import { createHmac } from 'node:crypto';
import express, { Router } from 'express';
import type { AppwriteConfig } from '../../config/config.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import { signatureMatches } from '../secret-compare.js';

/** Row payloads are small; anything bigger is not a row of ours. */
export const WEBHOOK_BODY_LIMIT = '256kb';

export interface AppwriteWebhookDeps {
  readonly config: Pick<AppwriteConfig, 'webhookSecret' | 'webhookUrl' | 'databaseId' | 'tableId' | 'columns'>;
  /** Wakes the poller; the poll, not the payload, decides what is processed. */
  readonly pollNow: () => void;
  readonly log: Logger;
}

/**
 * Appwrite's signature: base64(HMAC-SHA1(key = the webhook's secret, message = its URL + the raw
 * body)), where the server percent-decodes the URL first (PHP's rawurldecode). A URL configured
 * with an escape (`%20`, `%2F`, an encoded query value) would otherwise never verify, every delivery
 * would get 401, and Appwrite disables a webhook after 10 failed deliveries in a row.
 */
export function appwriteSignature(secret: string, url: string, body: Buffer): string {
  return createHmac('sha1', secret).update(rawUrlDecode(url)).update(body).digest('base64');
}

/** PHP's rawurldecode: each `%` + two hex digits becomes that byte (UTF-8 or not); a lone `%` and `+` stay. */
export function rawUrlDecode(url: string): Buffer {
  const parts = url.split(/(%[0-9A-Fa-f]{2})/);
  return Buffer.concat(parts.map((part, i) => (i % 2 === 1 ? Buffer.from([parseInt(part.slice(1), 16)]) : Buffer.from(part, 'utf8'))));
}

/**
 * `POST /api/webhooks/appwrite` (mounted there, before the API-key routes, with the raw body).
 * A request with a wrong or missing signature gets 401 and changes nothing. A verified one wakes
 * the poller when it can mean new work: a row of our table created, or saved as `pending`; our own
 * heartbeats and write-backs (if the webhook listens to updates too) do not cause polls.
 */
export function appwriteWebhookRouter({ config, pollNow, log }: AppwriteWebhookDeps): Router {
  const router = Router();
  const secret = config.webhookSecret;
  if (!secret) log.warn('APPWRITE_WEBHOOK_SECRET is not set: Appwrite webhooks will be refused; new rows wait for the next poll');
  router.post('/', express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }), (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const given = req.get('x-appwrite-webhook-signature') ?? '';
    if (!secret) throw new AppError('unauthorized', 'Appwrite webhooks are disabled: set APPWRITE_WEBHOOK_SECRET');
    if (!signatureMatches(given, appwriteSignature(secret, config.webhookUrl, body))) {
      log.warn(
        { webhookId: req.get('x-appwrite-webhook-id') ?? null },
        'Appwrite webhook with a bad signature refused (check APPWRITE_WEBHOOK_SECRET and APPWRITE_WEBHOOK_URL)',
      );
      throw new AppError('unauthorized', 'bad or missing X-Appwrite-Webhook-Signature');
    }
    const events = (req.get('x-appwrite-webhook-events') ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    const wake = events.some((event) => meansNewWork(event, config, body));
    log.debug({ events, wake }, 'Appwrite webhook');
    if (wake) pollNow();
    res.status(200).json({ ok: true, polled: wake });
  });
  return router;
}

/** `databases.<db>.tables.<table>.rows.<id>.<action>` (or the collections/documents mirror), for our table. */
function meansNewWork(event: string, config: AppwriteWebhookDeps['config'], body: Buffer): boolean {
  const [scope, db, kind, table, rows, , action] = event.split('.');
  const ours =
    scope === 'databases' &&
    (db === config.databaseId || db === '*') &&
    (kind === 'tables' || kind === 'collections') &&
    (table === config.tableId || table === '*') &&
    (rows === 'rows' || rows === 'documents');
  if (!ours) return false;
  if (action === 'create') return true;
  return (action === 'update' || action === 'upsert') && statusOf(body, config.columns.status) === 'pending';
}

function statusOf(body: Buffer, column: string): unknown {
  try {
    const row: unknown = JSON.parse(body.toString('utf8'));
    return typeof row === 'object' && row !== null ? (row as Record<string, unknown>)[column] : undefined;
  } catch {
    return undefined;
  }
}
