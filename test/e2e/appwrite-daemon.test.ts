import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Client, TablesDB } from 'node-appwrite';
import type { DaemonEvent } from '../../src/domain/events.js';
import { FULL_KEY, PROJECT, type FakeAppwrite } from '../fakes/appwrite-server.js';
import { addVideo, appwriteEnv, DATABASE, startFakeAppwrite, TABLE, videoRow, waitFor } from '../helpers/appwrite-fixtures.js';
import { routes, startServer, type TestServer } from '../helpers/http-fixtures.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { freePort, serveFile, startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

const run = promisify(execFile);
const SECRET = 'webhook-signing-key-from-the-appwrite-console';
const sign = (url: string, body: string, secret = SECRET): string =>
  createHmac('sha1', secret)
    .update(url + body)
    .digest('base64');

/** The real daemon with SOURCES=appwrite against the fake server, real FFmpeg, real HTTP. */
describe('daemon with the Appwrite source', () => {
  let fake: FakeAppwrite;
  let files: TestServer;
  const daemons: TestDaemon[] = [];
  const start = async (env: Record<string, string> = {}, events?: DaemonEvent[]): Promise<TestDaemon> => {
    const vc = await startTestDaemon(appwriteEnv(fake, env), { events: events ? { emit: (e) => void events.push(e) } : undefined });
    daemons.push(vc);
    return vc;
  };
  const rowListings = (): number => fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/rows')).length;
  // The source file of /gated.mp4 is served once the gate opens: a job held in its download.
  let openGate: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  const terminal = (id: string) => () => ['completed', 'failed'].includes(videoRow(fake, id).status);

  before(async () => {
    fake = await startFakeAppwrite();
    const clip = await makeClip({ width: 1280, height: 720, seconds: 3 });
    const small = await makeClip({ width: 320, height: 240, seconds: 2 });
    files = await startServer(
      routes({
        '/clip.mp4': serveFile(clip),
        '/small.mp4': serveFile(small),
        '/flaky.mp4': (_req, res) => res.writeHead(503, { 'Content-Type': 'text/plain' }).end('overloaded'),
        '/gated.mp4': (req, res) => void gate.then(() => serveFile(small)(req, res)),
      }),
    );
  });
  afterEach(async () => {
    for (const vc of daemons.splice(0)) await vc.close();
    fake.table(DATABASE, TABLE).rows.clear();
    fake.webhooks.length = 0;
    fake.writes.length = 0;
  });
  after(async () => {
    await fake?.stop();
    await files?.close();
  });

  it('turns a row created in Appwrite into a playable ladder, woken by the signed webhook', async () => {
    const port = await freePort();
    const hookUrl = `http://127.0.0.1:${port}/api/webhooks/appwrite`;
    const vc = await start({ PORT: String(port), APPWRITE_WEBHOOK_SECRET: SECRET, APPWRITE_WEBHOOK_URL: hookUrl });
    await vc.daemon.poller.idle();
    fake.webhooks.push({ url: hookUrl, secret: SECRET, events: [`databases.*.tables.${TABLE}.rows.*.create`] });

    // What the CMS does: a row with a URL, through its own SDK. The cron never fires in this test.
    const cms = new TablesDB(new Client().setEndpoint(fake.endpoint).setProject(PROJECT).setKey(FULL_KEY));
    await cms.createRow({
      databaseId: DATABASE,
      tableId: TABLE,
      rowId: 'holiday',
      data: { source_url: files.url('/clip.mp4'), title: 'Holiday' },
    });
    assert.deepEqual(await Promise.all(fake.deliveries), [200]);
    await waitFor('the row to be done', terminal('holiday'));

    const row = videoRow(fake, 'holiday');
    const base = `http://localhost:${port}/storage/hls/appwrite-holiday`;
    assert.equal(row.status, 'completed', JSON.stringify(row));
    assert.equal(row.hls_url, `${base}/master.m3u8`);
    assert.equal(row.poster_url, `${base}/poster.jpg`);
    assert.deepEqual(
      JSON.parse(row.renditions).map((r: any) => `${r.name}:${r.width}x${r.height}`),
      ['medium:1280x720', 'low:854x480'],
    );
    assert.deepEqual(
      [row.width, row.height, row.progress, row.step, row.claimed_by],
      [1280, 720, 100, null, vc.daemon.poller.snapshot().workerId],
    );
    assert.ok(Math.abs(row.duration - 3) < 0.2 && row.processing_ms > 0 && row.output_bytes > 0 && row.completed_at);
    const decoded = await run('ffmpeg', [
      '-v',
      'error',
      '-i',
      `${vc.baseUrl}/storage/hls/appwrite-holiday/master.m3u8`,
      '-map',
      '0:v:0',
      '-f',
      'null',
      '-',
    ]);
    assert.equal(decoded.stderr.trim(), '');
    assert.deepEqual(await readdir(path.join(vc.storageDir, 'temp')), []);
  });

  it('refuses webhooks without the right signature (401, no poll) and polls on a good one', async () => {
    const port = await freePort();
    const hookUrl = `http://127.0.0.1:${port}/api/webhooks/appwrite`;
    const vc = await start({ PORT: String(port), APPWRITE_WEBHOOK_SECRET: SECRET, APPWRITE_WEBHOOK_URL: hookUrl });
    await vc.daemon.poller.idle();
    const body = JSON.stringify({ $id: 'r1', status: 'pending', source_url: 'https://cdn.test/a.mp4' });
    const post = async (signature: string | null, events = `databases.${DATABASE}.tables.${TABLE}.rows.r1.create`) => {
      const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Appwrite-Webhook-Events': events };
      if (signature !== null) headers['X-Appwrite-Webhook-Signature'] = signature;
      const res = await fetch(hookUrl, { method: 'POST', headers, body });
      return { status: res.status, body: (await res.json()) as any };
    };
    const listed = rowListings();
    for (const signature of [
      null,
      '',
      sign(hookUrl, body, 'another-secret'),
      sign(`http://localhost:${port}/api/webhooks/appwrite`, body),
      sign(hookUrl, `${body} `),
    ]) {
      const res = await post(signature);
      assert.equal(res.status, 401, String(signature));
      assert.equal(res.body.error.code, 'unauthorized');
    }
    await delay(700);
    assert.equal(rowListings(), listed, 'no poll for a forged webhook');

    assert.deepEqual(await post(sign(hookUrl, body), `databases.${DATABASE}.tables.other.rows.r1.create`), {
      status: 200,
      body: { ok: true, polled: false },
    });
    assert.deepEqual(await post(sign(hookUrl, body)), { status: 200, body: { ok: true, polled: true } });
    await waitFor('a poll', () => rowListings() > listed, { timeoutMs: 5000 });
  });

  it('verifies a webhook whose URL holds a %-escape as Appwrite signs it: over the URL decoded', async () => {
    const port = await freePort();
    const hookUrl = `http://127.0.0.1:${port}/api/webhooks/appwrite?site=caf%C3%A9%20bar`;
    const vc = await start({ PORT: String(port), APPWRITE_WEBHOOK_SECRET: SECRET, APPWRITE_WEBHOOK_URL: hookUrl });
    await vc.daemon.poller.idle();
    fake.webhooks.push({ url: hookUrl, secret: SECRET, events: [`databases.*.tables.${TABLE}.rows.*.create`] });
    const delivered = fake.deliveries.length;
    const cms = new TablesDB(new Client().setEndpoint(fake.endpoint).setProject(PROJECT).setKey(FULL_KEY));
    await cms.createRow({
      databaseId: DATABASE,
      tableId: TABLE,
      rowId: 'escaped',
      data: { source_url: files.url('/small.mp4'), status: 'completed' },
    });
    assert.deepEqual(await Promise.all(fake.deliveries.slice(delivered)), [200], 'the delivery verified');

    const body = JSON.stringify({ $id: 'escaped' });
    const post = async (signedUrl: string): Promise<number> => {
      const headers = { 'X-Appwrite-Webhook-Signature': sign(signedUrl, body), 'X-Appwrite-Webhook-Events': 'x' };
      return (await fetch(hookUrl, { method: 'POST', headers, body })).status;
    };
    assert.equal(await post(`http://127.0.0.1:${port}/api/webhooks/appwrite?site=café bar`), 200);
    assert.equal(await post(hookUrl), 401, 'a signature over the URL as typed is not what Appwrite sends');
  });

  it('rides out a key revoked mid-job: an authentication alert, the job kept (not taken for deleted), done once the key is back', async () => {
    const events: DaemonEvent[] = [];
    const vc = await start({ HEARTBEAT_SECONDS: '1', DOWNLOAD_CONNECT_TIMEOUT: '120s' }, events);
    await vc.daemon.poller.idle();
    const health = async () => (await (await fetch(`${vc.baseUrl}/health`)).json()) as any;
    addVideo(fake, 'revoked', { source_url: files.url('/gated.mp4') });
    await vc.api('POST', '/api/poll');
    await waitFor('the claim', () => videoRow(fake, 'revoked').status === 'processing' && files.hits.get('/gated.mp4'));

    fake.revoked.add(FULL_KEY);
    const since = fake.requests.length;
    const refused = (path: string, status: number) => () =>
      fake.requests.slice(since).some((r) => r.method === 'GET' && r.path.endsWith(path) && r.status === status);
    await vc.api('POST', '/api/poll');
    await waitFor('the disconnection', async () => (await health()).sources[0].connected === false);
    // /health is public: the code says why, the message (with its hosts) stays in the log and the alert.
    assert.equal((await health()).sources[0].error, 'cms_unauthorized');
    const disconnected = events.filter((e) => e.type === 'source_disconnected') as Array<{ error: string }>;
    assert.equal(disconnected.length, 1);
    assert.match(disconnected[0]!.error, /API key/, 'the "CMS disconnected" alert says why');
    // A heartbeat: the guest's 404 for the row, then the key check's 401. Two, to be sure the first did not stop the job.
    await waitFor('two heartbeats refused', () => fake.requests.slice(since).filter((r) => r.path.endsWith('/rows/revoked')).length >= 2);
    assert.ok(refused('/rows/revoked', 404)() && refused('/rows', 401)());
    assert.deepEqual(
      vc.daemon.poller.snapshot().active.map((job) => job.recordId),
      ['revoked'],
      'still running',
    );

    fake.revoked.delete(FULL_KEY);
    openGate();
    await vc.api('POST', '/api/poll');
    await waitFor('the row to be done', terminal('revoked'));
    const row = videoRow(fake, 'revoked');
    assert.deepEqual(
      [row.status, row.retry_count, row.last_retry_at, row.claimed_by],
      ['completed', 0, null, vc.daemon.poller.snapshot().workerId],
    );
    const [appwrite] = (await health()).sources;
    assert.deepEqual([appwrite.connected, appwrite.error], [true, undefined], 'connected again, no error left');
    assert.deepEqual(
      events.filter((e) => e.type.startsWith('source_') || e.type === 'job_failed').map((e) => e.type),
      ['source_disconnected', 'source_reconnected'],
    );
  });

  it('takes due rows by priority, then oldest first', async () => {
    const minutesAgo = (m: number): Date => new Date(Date.now() - m * 60_000);
    addVideo(fake, 'low', { source_url: files.url('/small.mp4'), priority: 10 }, minutesAgo(9));
    addVideo(fake, 'urgent-old', { source_url: files.url('/small.mp4'), priority: 1 }, minutesAgo(5));
    addVideo(fake, 'normal', { source_url: files.url('/small.mp4'), priority: 5 }, minutesAgo(8));
    addVideo(fake, 'urgent-new', { source_url: files.url('/small.mp4'), priority: 1 }, minutesAgo(1));
    await start({ CONCURRENCY: '1' });
    for (const id of ['low', 'urgent-old', 'normal', 'urgent-new']) await waitFor(`${id} done`, terminal(id));
    const claims = fake.writes.filter((w) => w.data.step === 'claimed').map((w) => w.rowId);
    assert.deepEqual(claims, ['urgent-old', 'urgent-new', 'normal', 'low']);
    for (const id of claims) assert.equal(videoRow(fake, id).status, 'completed');
  });

  it('retries a retryable failure on the RETRY_DELAYS schedule, then fails it for good', async () => {
    const vc = await start({ RETRY_DELAYS: '0,1s,2s' });
    addVideo(fake, 'flaky', { source_url: files.url('/flaky.mp4') });
    // Stands in for the cron: a poll every 250 ms; the row is only taken once it is due.
    await waitFor('the retries to run out', terminal('flaky'), {
      timeoutMs: 30_000,
      everyMs: 250,
      onTick: () => vc.api('POST', '/api/poll'),
    });
    const row = videoRow(fake, 'flaky');
    assert.equal(row.status, 'failed');
    assert.equal(row.error_code, 'source_server_error');
    assert.match(row.error, /gave up after 4 attempts/);
    assert.equal(row.retry_count, 3);
    assert.equal(row.retry_errors.length, 4);
    assert.ok(row.retry_errors.every((line: string) => /source_server_error/.test(line)));
    assert.equal(files.hits.get('/flaky.mp4'), 4, 'never tried before it was due');
    const scheduled = fake.writes.filter((w) => w.rowId === 'flaky' && w.data.status === 'pending' && w.data.next_attempt_at);
    const gaps = scheduled.map((w) => Date.parse(String(w.data.next_attempt_at)) - Date.parse(String(w.data.last_retry_at)));
    assert.deepEqual(gaps, [0, 1000, 2000]);
  });

  it('fails a permanent error at once, with the reason on the row', async () => {
    await start();
    addVideo(fake, 'gone', { source_url: files.url('/missing.mp4') });
    await daemons[0]!.api('POST', '/api/poll');
    await waitFor('the failure', terminal('gone'));
    const row = videoRow(fake, 'gone');
    assert.deepEqual(
      [row.status, row.error_code, row.retry_count, row.retry_errors.length, row.claimed_by],
      ['failed', 'source_not_found', 0, 1, null],
    );
    assert.match(row.error, /failed permanently/);
  });

  it('rides out an Appwrite outage: disconnected on /health and as an event, then resumes by itself', async () => {
    const events: DaemonEvent[] = [];
    const vc = await start({}, events);
    await vc.daemon.poller.idle();
    const health = async () => (await (await fetch(`${vc.baseUrl}/health`)).json()) as any;
    assert.deepEqual((await health()).sources, [{ kind: 'appwrite', connected: true }]);

    const port = fake.port;
    await fake.stop();
    await vc.api('POST', '/api/poll');
    await waitFor('the disconnection', async () => !(await health()).sources[0].connected);
    const disconnected = events.filter((e) => e.type === 'source_disconnected');
    assert.equal(disconnected.length, 1);
    assert.match((disconnected[0] as { error: string }).error, /Appwrite is unreachable/);
    await vc.api('POST', '/api/poll');
    await vc.daemon.poller.idle();
    assert.equal(events.filter((e) => e.type === 'source_disconnected').length, 1, 'reported once per outage');

    await fake.start(port);
    addVideo(fake, 'after-outage', { source_url: files.url('/small.mp4') });
    await vc.api('POST', '/api/poll');
    await waitFor('the row to be done', terminal('after-outage'));
    assert.equal(videoRow(fake, 'after-outage').status, 'completed');
    assert.deepEqual((await health()).sources, [{ kind: 'appwrite', connected: true }]);
    assert.deepEqual(
      events.filter((e) => e.type.startsWith('source_')).map((e) => e.type),
      ['source_disconnected', 'source_reconnected'],
    );
  });
});
