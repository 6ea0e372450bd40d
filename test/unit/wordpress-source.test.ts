import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { loadConfig } from '../../src/config/config.js';
import { AppError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging/logger.js';
import { answerError } from '../../src/sources/wordpress-client.js';
import { toMeta, toRecord } from '../../src/sources/wordpress-fields.js';
import { wordpressSignature, wordpressWebhookRouter } from '../../src/http/webhooks/wordpress-webhook.js';

const KEY = 'test-key-0123456789abcdef0123';
const SECRET = 'shared-webhook-secret-0123456789';
const site = { url: 'https://blog.example.com', user: 'video-bot' };

describe('WordPress config', () => {
  it('requires the connection variables with SOURCES=wordpress, and lists them all', () => {
    assert.throws(
      () => loadConfig({ env: { API_KEY: KEY, SOURCES: 'local,wordpress' }, envFile: false, cwd: '/x' }),
      (err: Error) => {
        for (const name of ['WP_URL', 'WP_USER', 'WP_APP_PASSWORD'])
          assert.match(err.message, new RegExp(`${name}: is required when SOURCES includes wordpress`));
        return true;
      },
    );
    const config = loadConfig({
      env: { API_KEY: KEY, SOURCES: 'wordpress', WP_URL: 'https://blog.example.com/', WP_USER: 'bot', WP_APP_PASSWORD: 'abcd efgh' },
      envFile: false,
      cwd: '/x',
    });
    assert.deepEqual(config.wordpress, {
      url: 'https://blog.example.com',
      user: 'bot',
      appPassword: 'abcd efgh',
      webhookSecret: null,
      timeoutMs: 15_000,
    });
  });
});

describe('WordPress fields', () => {
  it('maps a media item to a record, unset meta ("" or 0 in REST) being null', () => {
    const record = toRecord({
      id: 42,
      date_gmt: '2026-01-02T03:04:05',
      modified_gmt: '2026-01-02T03:05:00',
      source_url: 'https://blog.example.com/wp-content/uploads/clip.mp4',
      title: { rendered: 'Clip' },
      meta: {
        vc_status: 'pending',
        vc_priority: 1,
        vc_retry_count: 0,
        vc_retry_errors: [],
        vc_next_attempt_at: '',
        vc_claimed_by: '',
        vc_heartbeat_at: '',
        vc_title: '',
      },
    });
    assert.deepEqual(record, {
      source: 'wordpress',
      id: '42',
      sourceUrl: 'https://blog.example.com/wp-content/uploads/clip.mp4',
      status: 'pending',
      priority: 1,
      title: 'Clip',
      retryCount: 0,
      retryErrors: [],
      createdAt: '2026-01-02T03:04:05.000Z',
      updatedAt: '2026-01-02T03:05:00.000Z',
      nextAttemptAt: null,
      claimedBy: null,
      heartbeatAt: null,
      ladder: [],
    });
  });

  it('prefixes meta keys and sends null to delete', () => {
    assert.deepEqual(toMeta({ status: 'failed', error: null, retry_errors: ['x'] }), {
      vc_status: 'failed',
      vc_error: null,
      vc_retry_errors: ['x'],
    });
  });

  it('explains a refused password and a missing plugin', () => {
    assert.match(
      answerError({ status: 401, data: { code: 'rest_not_logged_in' } }, 'listing', site).message,
      /Application Password of video-bot.*HTTPS.*WP_ENVIRONMENT_TYPE is local/,
    );
    assert.match(
      answerError({ status: 404, data: { code: 'rest_no_route' } }, 'claiming', site).message,
      /install and activate the Video Compressor plugin/,
    );
    assert.equal(answerError({ status: 500, data: '<html>' }, 'listing', site).code, 'cms_error');
  });
});

describe('WordPress webhook', () => {
  const app = (secret: string | null, polls: number[]) => {
    const server = express();
    server.use(
      '/api/webhooks/wordpress',
      wordpressWebhookRouter({ config: { webhookSecret: secret }, pollNow: () => void polls.push(1), log: silentLogger() }),
    );
    server.use(
      (err: unknown, _req: Request, res: Response, _next: NextFunction) =>
        void res.status(err instanceof AppError ? err.httpStatus : 500).json({ error: String(err) }),
    );
    return server;
  };

  it('wakes the poller on a valid signature only', async () => {
    const polls: number[] = [];
    const body = '{"event":"attachment.pending","id":7}';
    const ok = await request(app(SECRET, polls))
      .post('/api/webhooks/wordpress')
      .set('Content-Type', 'application/json')
      .set('X-VC-Signature', wordpressSignature(SECRET, Buffer.from(body)))
      .send(body);
    assert.equal(ok.status, 200);
    const bad = await request(app(SECRET, polls))
      .post('/api/webhooks/wordpress')
      .set('X-VC-Signature', wordpressSignature('other-secret-0123456789', Buffer.from(body)))
      .send(body);
    const missing = await request(app(SECRET, polls)).post('/api/webhooks/wordpress').send(body);
    const disabled = await request(app(null, polls))
      .post('/api/webhooks/wordpress')
      .set('X-VC-Signature', wordpressSignature(SECRET, Buffer.from(body)))
      .send(body);
    assert.deepEqual([bad.status, missing.status, disabled.status], [401, 401, 401]);
    assert.equal(polls.length, 1);
  });
});
