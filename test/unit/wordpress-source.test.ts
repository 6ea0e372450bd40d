import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import express, { type NextFunction, type Request, type Response } from 'express';
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
        vcmp_status: 'pending',
        vcmp_priority: 1,
        vcmp_retry_count: 0,
        vcmp_retry_errors: [],
        vcmp_next_attempt_at: '',
        vcmp_claimed_by: '',
        vcmp_heartbeat_at: '',
        vcmp_title: '',
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
      vcmp_status: 'failed',
      vcmp_error: null,
      vcmp_retry_errors: ['x'],
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
  const servers: Server[] = [];
  after(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))));

  /** The router in a real express app on 127.0.0.1, with the app's error answer. */
  async function webhook(secret: string | null, deleted: (id: string) => Promise<void> = async () => undefined) {
    const polls: number[] = [];
    const app = express();
    app.use(
      '/api/webhooks/wordpress',
      wordpressWebhookRouter({
        config: { webhookSecret: secret },
        pollNow: () => void polls.push(1),
        attachmentDeleted: deleted,
        log: silentLogger(),
      }),
    );
    app.use(
      (err: unknown, _req: Request, res: Response, _next: NextFunction) =>
        void res.status(err instanceof AppError ? err.httpStatus : 500).json({ error: String(err) }),
    );
    const server = app.listen(0, '127.0.0.1');
    servers.push(server);
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhooks/wordpress`;
    const post = async (body: string, signature: string | null = wordpressSignature(secret ?? SECRET, Buffer.from(body))) => {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (signature !== null) headers['X-VC-Signature'] = signature;
      const res = await fetch(url, { method: 'POST', headers, body });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    return { post, polls };
  }

  it('wakes the poller on a valid signature only', async () => {
    const body = '{"event":"attachment.pending","id":7,"at":"2026-01-02T03:04:05Z"}';
    const { post, polls } = await webhook(SECRET);
    assert.equal((await post(body)).status, 200);
    const bad = await post(body, wordpressSignature('other-secret-0123456789', Buffer.from(body)));
    const missing = await post(body, null);
    const disabled = await (await webhook(null)).post(body, wordpressSignature(SECRET, Buffer.from(body)));
    assert.deepEqual([bad.status, missing.status, disabled.status], [401, 401, 401]);
    assert.equal(polls.length, 1);
  });

  it('hands a verified attachment.deleted to the callback with its id, and wakes the poller (the same request may have queued videos)', async () => {
    const ids: string[] = [];
    let done: () => void = () => undefined;
    const handled = new Promise<void>((resolve) => (done = resolve));
    const { post, polls } = await webhook(SECRET, async (id) => {
      ids.push(id);
      if (ids.length === 2) done();
    });
    const deleted = await post('{"event":"attachment.deleted","id":12,"at":"2026-01-02T03:04:05Z"}');
    assert.deepEqual([deleted.status, deleted.body], [202, { ok: true, polled: true, checking: [12] }]);
    const forged = '{"event":"attachment.deleted","id":13}';
    assert.equal((await post(forged, wordpressSignature('other-secret-0123456789', Buffer.from(forged)))).status, 401);
    assert.equal((await post('{"event":"attachment.deleted","id":"14"}')).status, 202);
    await handled;
    assert.deepEqual(ids, ['12', '14'], 'the forged one is not passed on');
    assert.equal(polls.length, 2, 'one wake-up per verified notice');
  });

  it('refuses an attachment.deleted whose id is not a positive integer (400)', async () => {
    const ids: string[] = [];
    const { post } = await webhook(SECRET, async (id) => void ids.push(id));
    for (const id of ['7.5', '"7a"', '-3', '0', 'null', '"../7"', '[7]', '99999999999999999999'])
      assert.equal((await post(`{"event":"attachment.deleted","id":${id}}`)).status, 400, id);
    assert.equal((await post('{"event":"attachment.deleted"}')).status, 400);
    assert.equal((await post('not json')).status, 400);
    assert.equal((await post('[1]')).status, 400);
    assert.deepEqual(ids, []);
  });

  it('answers other verified events 200 and ignores them', async () => {
    const ids: string[] = [];
    const { post, polls } = await webhook(SECRET, async (id) => void ids.push(id));
    const other = await post('{"event":"attachment.updated","id":7}');
    assert.deepEqual([other.status, other.body], [200, { ok: true, polled: false, ignored: true }]);
    assert.equal((await post('{"id":7}')).status, 200);
    assert.deepEqual([polls.length, ids.length], [0, 0]);
  });

  it('a bulk delete names every id in "ids": each is handed on once, one at a time', async () => {
    const ids: string[] = [];
    let running = 0;
    let overlapped = false;
    let done: () => void = () => undefined;
    const handled = new Promise<void>((resolve) => (done = resolve));
    const { post } = await webhook(SECRET, async (id) => {
      overlapped ||= running > 0;
      running += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      ids.push(id);
      if (ids.length === 3) done();
    });
    const bulk = await post('{"event":"attachment.deleted","id":4,"ids":[4,5,"6",5],"at":"2026-01-02T03:04:05Z"}');
    assert.deepEqual([bulk.status, bulk.body.checking], [202, [4, 5, 6]]);
    await handled;
    assert.deepEqual([ids, overlapped], [['4', '5', '6'], false]);
    assert.equal((await post('{"event":"attachment.deleted","id":4,"ids":[4,"x"]}')).status, 400);
    assert.equal((await post('{"event":"attachment.deleted","id":4,"ids":4}')).status, 400);
    const tooMany = JSON.stringify({ event: 'attachment.deleted', id: 1, ids: Array.from({ length: 1001 }, (_, i) => i + 1) });
    assert.equal((await post(tooMany)).status, 400);
    assert.equal(ids.length, 3);
  });

  it('a failing callback is logged, and the next deletion is still handled', async () => {
    const ids: string[] = [];
    let done: () => void = () => undefined;
    const handled = new Promise<void>((resolve) => (done = resolve));
    const { post } = await webhook(SECRET, async (id) => {
      ids.push(id);
      if (id === '1') throw new AppError('cms_error', 'WordPress is down');
      done();
    });
    assert.equal((await post('{"event":"attachment.deleted","id":1}')).status, 202);
    assert.equal((await post('{"event":"attachment.deleted","id":2}')).status, 202);
    await handled;
    assert.deepEqual(ids, ['1', '2']);
  });
});
