/**
 * Completion callbacks from the real daemon (local jobs, real FFmpeg) to a loopback receiver: the
 * signed body of a completed and of a failed job, a per-job callback_url, the retry after a 500
 * (on the daemon's injected clock), and the address policy refusing 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../helpers/appwrite-fixtures.js';
import { routes, startServer, type TestServer } from '../helpers/http-fixtures.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { serveFile, startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

const SECRET = 'callback-secret-0123456789abcdef';

interface Received {
  /** Without the query. */
  readonly path: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The bytes as received, before any parsing. */
  readonly raw: Buffer;
  readonly body: any;
}

/** A loopback receiver: every POST kept; `answer(path, n)` is the status of the n-th POST to that path (default 204). */
async function startReceiver(answer: (path: string, n: number) => number = () => 204) {
  const received: Received[] = [];
  const server = await startServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const url = req.url ?? '/';
      const path = new URL(url, 'http://receiver').pathname;
      received.push({ path, url, headers: req.headers, raw, body: JSON.parse(raw.toString('utf8')) });
      res.writeHead(answer(path, received.filter((r) => r.path === path).length)).end();
    });
  });
  const to = (path: string, key: string): Received[] => received.filter((r) => r.path === path && r.body.key === key);
  return { server, received, to };
}

/** The signature as a receiver computes it: HMAC-SHA256 of the raw body. */
const signature = (raw: Buffer, secret = SECRET): string => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

describe('completion callbacks from the daemon', () => {
  let files: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let vc: TestDaemon;
  /** Added to the daemon's clock: the retry pause passes without waiting for it. */
  let skewMs = 0;
  const daemons: TestDaemon[] = [];
  const env = (extra: Record<string, string>): Record<string, string> => ({
    CALLBACK_URL: receiver.server.url('/hook'),
    CALLBACK_SECRET: SECRET,
    PASSTHROUGH: 'off',
    PREVIEWS: 'off',
    ...extra,
  });
  const submit = async (daemon: TestDaemon, source: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const res = await daemon.api('POST', '/api/jobs', { source_url: files.url(source), ...extra });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.key;
  };
  /** The job's deliveries (GET /api/jobs/<key> `callbacks`) once `done` holds for them. */
  const deliveries = (daemon: TestDaemon, key: string, done: (list: any[]) => boolean, timeoutMs = 60_000): Promise<any[]> =>
    waitFor(
      `the deliveries of ${key}`,
      async () => {
        const list = (await daemon.api('GET', `/api/jobs/${key}`)).body.callbacks as any[];
        return done(list) ? list : null;
      },
      { timeoutMs, everyMs: 100 },
    );

  before(async () => {
    const clip = await makeClip({ width: 320, height: 180, seconds: 2 });
    files = await startServer(routes({ '/small.mp4': serveFile(clip) }));
    // The per-job URL /flaky answers 500 to its first POST.
    receiver = await startReceiver((path, n) => (path === '/flaky' && n === 1 ? 500 : 204));
    vc = await startTestDaemon(env({ ALLOW_PRIVATE_CALLBACK_URLS: 'true' }), { now: () => new Date(Date.now() + skewMs) });
    daemons.push(vc);
  });
  after(async () => {
    for (const daemon of daemons) await daemon.close();
    await receiver?.server.close();
    await files?.close();
  });

  it('POSTs a completed and a failed job to CALLBACK_URL, signed over the raw body, with the job JSON', async () => {
    const done = await submit(vc, '/small.mp4');
    const failed = await submit(vc, '/missing.mp4');
    const delivered = (list: any[]) => list.length === 1 && list[0].status === 'delivered';
    for (const key of [done, failed]) await deliveries(vc, key, delivered);

    for (const [key, event, status] of [
      [done, 'job.completed', 'completed'],
      [failed, 'job.failed', 'failed'],
    ] as const) {
      const posts = receiver.to('/hook', key);
      assert.equal(posts.length, 1, key);
      const [post] = posts as [Received];
      assert.equal(post.headers['x-signature'], signature(post.raw), `${key}: the signature verifies`);
      assert.notEqual(post.headers['x-signature'], signature(post.raw, `${SECRET}x`), 'and only with the secret');
      assert.equal(post.headers['content-type'], 'application/json');
      assert.deepEqual([post.body.event, post.body.key, post.body.attempt], [event, key, 1]);
      assert.equal(typeof post.body.delivery_id, 'number');
      assert.deepEqual([post.body.job.key, post.body.job.status], [key, status]);
    }
    const completedJob = receiver.to('/hook', done)[0]?.body.job;
    const apiJob = (await vc.api('GET', `/api/jobs/${done}`)).body;
    assert.match(completedJob.hls_url, new RegExp(`/storage/hls/${done}/master\\.m3u8$`));
    for (const field of ['hls_url', 'poster_url', 'renditions', 'completed_at', 'output_bytes'])
      assert.deepEqual(completedJob[field], apiJob[field], `job.${field} as the API shows it`);
    assert.equal(receiver.to('/hook', failed)[0]?.body.job.error_code, 'source_not_found');
    assert.equal(receiver.to('/hook', failed)[0]?.body.job.hls_url, null);

    const [shown] = apiJob.callbacks;
    assert.equal(shown.id, receiver.to('/hook', done)[0]?.body.delivery_id);
    assert.deepEqual([shown.event, shown.attempts, shown.last_status_code], ['job.completed', 1, 204]);
    assert.equal(shown.url, receiver.server.url('/hook'));
  });

  it("delivers to the job's own callback_url too, and retries it after a 500 once the pause has passed", async () => {
    const own = `${receiver.server.url('/flaky')}?token=per-job-secret`;
    const key = await submit(vc, '/small.mp4', { callback_url: own });
    const list = await deliveries(vc, key, (l) => l.length === 2 && l.every((d) => d.attempts === 1));
    assert.deepEqual(list.map((d) => d.url).sort(), [receiver.server.url('/flaky'), receiver.server.url('/hook')], 'one delivery per URL');
    const flaky = list.find((d) => d.url.endsWith('/flaky'));
    assert.deepEqual([flaky.status, flaky.attempts, flaky.last_status_code, flaky.last_error], ['pending', 1, 500, 'HTTP 500']);
    const pause = Date.parse(flaky.next_attempt_at) - Date.parse(flaky.updated_at);
    assert.equal(pause, 30_000, 'the first retry is 30 s later');
    assert.equal(receiver.to('/hook', key).length, 1, 'CALLBACK_URL got its own delivery');
    const [attempt1] = receiver.to('/flaky', key) as [Received];
    assert.deepEqual([attempt1.url, attempt1.body.attempt], ['/flaky?token=per-job-secret', 1], 'sent to the URL as given');
    assert.equal(attempt1.headers['x-signature'], signature(attempt1.raw));

    skewMs += 31_000;
    // The service looks for due deliveries every 10 s (real time). The wait stays well under the real
    // 30 s: the retry is due because the daemon's clock moved, not because the pause passed.
    await deliveries(vc, key, (list) => list.find((d) => d.id === flaky.id)?.status === 'delivered', 25_000);
    const posts = receiver.to('/flaky', key);
    assert.equal(posts.length, 2);
    const [, attempt2] = posts as [Received, Received];
    assert.deepEqual([attempt2.body.attempt, attempt2.body.delivery_id], [2, attempt1.body.delivery_id]);
    assert.equal(attempt2.headers['x-signature'], signature(attempt2.raw));
    assert.deepEqual(attempt2.body.job, attempt1.body.job, 'the job as it was when it completed');
    const settled = (await vc.api('GET', `/api/jobs/${key}`)).body.callbacks.find((d: any) => d.id === flaky.id);
    assert.deepEqual([settled.attempts, settled.last_status_code, settled.next_attempt_at], [2, 204, null]);
    assert.equal(receiver.to('/hook', key).length, 1, 'the delivered one is not sent again');
  });

  it('refuses a callback to 127.0.0.1 unless ALLOW_PRIVATE_CALLBACK_URLS=true: the delivery ends refused, nothing is sent', async () => {
    const strict = await startTestDaemon(env({ ALLOW_PRIVATE_CALLBACK_URLS: 'false' }));
    daemons.push(strict);
    const key = await submit(strict, '/missing.mp4', { callback_url: receiver.server.url('/own') });
    const list = await deliveries(strict, key, (l) => l.length === 2 && l.every((d) => d.status !== 'pending'));
    for (const delivery of list) {
      assert.deepEqual([delivery.event, delivery.status, delivery.attempts, delivery.last_status_code], ['job.failed', 'refused', 1, null]);
      assert.match(delivery.last_error, /"127\.0\.0\.1" is a private, loopback or link-local address/);
    }
    assert.deepEqual(
      receiver.received.filter((r) => r.body.key === key),
      [],
      'the receiver got nothing (the same URL got the other daemon’s deliveries above)',
    );
  });
});
