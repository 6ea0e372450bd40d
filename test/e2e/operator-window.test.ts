/**
 * The operator's window over every source at once: one daemon with SOURCES=local,appwrite,wordpress
 * against a real WordPress with the plugin (root only, scripts/wordpress-test-site.sh) and the
 * Appwrite fake, real FFmpeg on small lavfi clips. Jobs are addressed by key `<source>-<id>`.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { Client, TablesDB } from 'node-appwrite';
import request from 'supertest';
import type { DaemonEvent } from '../../src/domain/events.js';
import { FULL_KEY, PROJECT, type FakeAppwrite } from '../fakes/appwrite-server.js';
import { addVideo, appwriteEnv, DATABASE, startFakeAppwrite, TABLE, videoRow, waitFor } from '../helpers/appwrite-fixtures.js';
import { routes, startServer, videoBytes, type TestServer } from '../helpers/http-fixtures.js';
import { ffmpeg, fixtureDir, makeClip } from '../helpers/media-fixtures.js';
import { serveFile, startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { startWordpressSite, uploadMedia, type WordpressSite } from '../helpers/wordpress-site.js';

const ADMIN_USER = 'ops';
const ADMIN_PASSWORD = 'correct horse battery staple';
/** Where Debian's WordPress keeps wp-content (scripts/wordpress-test-site.sh). */
const WP_ROOT = '/var/lib/wordpress';

const exists = (file: string): Promise<boolean> =>
  stat(file).then(
    () => true,
    () => false,
  );

/** Command lines of the running processes (other than this one) that mention `text`. */
async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) found.push(cmdline.replaceAll('\0', ' '));
  }
  return found;
}

/**
 * A 720p clip long enough that its encode (two rungs) is still running when the test acts on it:
 * a 2 s low-entropy pattern (a few MB in all), looped by stream copy.
 */
async function longClip(seconds: number): Promise<string> {
  const piece = path.join(fixtureDir(), 'pattern-720p-2s.mp4');
  const out = path.join(fixtureDir(), `pattern-720p-${seconds}s.mp4`);
  const video = ['-f', 'lavfi', '-i', 'testsrc=size=1280x720:rate=30:duration=2'];
  const audio = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=2'];
  await ffmpeg([...video, ...audio, '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '28', '-pix_fmt', 'yuv420p', '-c:a', 'aac', piece]);
  await ffmpeg(['-stream_loop', String(seconds / 2 - 1), '-i', piece, '-c', 'copy', out]);
  return out;
}

/** A logged-in dashboard session (supertest agent, cookies kept). */
async function dashboard(baseUrl: string) {
  const agent = request.agent(baseUrl);
  const page = await agent.get('/admin/login').expect(200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? assert.fail('no CSRF token on the login page');
  const res = await agent
    .post('/admin/login')
    .type('form')
    .send({ _csrf: csrf, user: ADMIN_USER, password: ADMIN_PASSWORD, next: '/admin' });
  assert.equal(res.status, 303, res.text);
  return agent;
}

describe('operator window over local, Appwrite and WordPress', () => {
  let site: WordpressSite;
  let fake: FakeAppwrite;
  let files: TestServer;
  let vc: TestDaemon;
  let cms: TablesDB;
  let clip: Buffer;
  const events: DaemonEvent[] = [];
  /** Holds the download of /gated.mp4 (and so the only worker) until opened. */
  let gate: { opened: Promise<void>; open: () => void } = { opened: Promise.resolve(), open: () => undefined };
  const closeGate = (): void => {
    let open = (): void => undefined;
    const opened = new Promise<void>((resolve) => (open = resolve));
    gate = { opened, open };
  };

  const wpMeta = async (id: number): Promise<Record<string, any>> => {
    const res = await site.rest('admin', 'GET', `wp/v2/media/${id}?context=edit`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.meta;
  };
  const rowStatus = (id: string): string => videoRow(fake, id).status;
  const terminal = (status: string): boolean => ['completed', 'failed', 'cancelled'].includes(status);
  const anonymous = (method: string, route: string, body?: unknown) =>
    fetch(`${vc.baseUrl}${route}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const running = (key: string): boolean => vc.daemon.poller.snapshot().active.some((job) => job.key === key);
  /** An upload as the editor does it; the plugin marks it pending. */
  const uploadVideo = async (bytes: Buffer, name: string): Promise<{ id: number; file: string }> => {
    const upload = await uploadMedia(site, 'editor', bytes, name, 'video/mp4');
    // Pending on upload, unless a poll of the daemon already running took it while WordPress answered.
    assert.ok(['pending', 'processing'].includes(upload.meta.vcmp_status), JSON.stringify(upload.meta));
    return { id: upload.id, file: path.join(WP_ROOT, decodeURIComponent(new URL(upload.source_url).pathname)) };
  };

  before(async () => {
    site = await startWordpressSite();
    fake = await startFakeAppwrite();
    cms = new TablesDB(new Client().setEndpoint(fake.endpoint).setProject(PROJECT).setKey(FULL_KEY));
    const small = await makeClip({ width: 320, height: 180, seconds: 2 });
    clip = await readFile(small);
    files = await startServer(
      routes({
        '/small.mp4': serveFile(small),
        '/hd.mp4': serveFile(await makeClip({ width: 1280, height: 720, seconds: 2 })),
        '/long.mp4': serveFile(await longClip(60)),
        '/gated.mp4': (req, res) => void gate.opened.then(() => !res.destroyed && serveFile(small)(req, res)),
      }),
    );
    vc = await startTestDaemon(
      {
        ...appwriteEnv(fake),
        SOURCES: 'local,appwrite,wordpress',
        WP_URL: site.url,
        WP_USER: site.users.admin.user,
        WP_APP_PASSWORD: site.users.admin.password,
        ADMIN_USER,
        ADMIN_PASSWORD,
        // A retryable error waits an hour (the test would time out); permanent ones fail at once.
        RETRY_DELAYS: '1h',
        // Every rung is encoded, never stream-copied: the cancel needs a running encode.
        PASSTHROUGH: 'off',
        // Not what this file is about, and they double the time of every job.
        PREVIEWS: 'off',
      },
      { events: { emit: (event) => void events.push(event) } },
    );
    await vc.daemon.poller.idle();
  });
  afterEach(async () => {
    gate.open();
    await waitFor('the worker to be idle', () => vc.daemon.poller.snapshot().active.length === 0, { timeoutMs: 60_000 });
    await vc.daemon.poller.idle();
    fake.table(DATABASE, TABLE).rows.clear();
    fake.writes.length = 0;
    const media = await site.rest('admin', 'GET', 'wp/v2/media?per_page=100&_fields=id');
    for (const item of media.body) await site.rest('admin', 'DELETE', `wp/v2/media/${item.id}?force=true`);
    for (const job of (await vc.api('GET', '/api/jobs?source=local&per_page=100')).body.jobs)
      await vc.api('DELETE', `/api/jobs/${job.key}`);
    events.length = 0;
  });
  after(async () => {
    await vc?.close();
    await files?.close();
    await fake?.stop();
    await site?.close();
  });

  it('lists failed CMS jobs of both sources (API and dashboard), and retries them once their sources are fixed', async () => {
    const wp = await uploadVideo(videoBytes(64 * 1024), 'broken.mp4');
    const wpKey = `wordpress-${wp.id}`;
    addVideo(fake, 'missing', { source_url: files.url('/missing.mp4'), title: 'Missing' });
    await vc.api('POST', '/api/poll');
    await waitFor('both failures', async () => rowStatus('missing') === 'failed' && (await wpMeta(wp.id)).vcmp_status === 'failed', {
      timeoutMs: 30_000,
      everyMs: 200,
    });

    const list = await vc.api('GET', '/api/jobs?status=failed');
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.deepEqual(list.body.jobs.map((j: any) => j.key).sort(), ['appwrite-missing', wpKey]);
    assert.equal(list.body.total, 2);
    assert.deepEqual(list.body.errors, []);
    const totals = Object.fromEntries(list.body.sources.map((s: any) => [s.source, [s.total, s.counts.failed]]));
    assert.deepEqual(totals, { local: [0, 0], appwrite: [1, 1], wordpress: [1, 1] });
    const byKey = new Map(list.body.jobs.map((j: any) => [j.key, j]));
    assert.equal((byKey.get('appwrite-missing') as any).error_code, 'source_not_found');
    assert.equal((byKey.get(wpKey) as any).error_code, 'corrupt_source');

    const page = await (await dashboard(vc.baseUrl)).get('/admin/jobs?status=failed').set('Accept', 'text/html').expect(200);
    for (const key of ['appwrite-missing', wpKey]) assert.ok(page.text.includes(`data-key="${key}"`), `${key} on the dashboard`);

    // The fixes: a real video where the WordPress file was, a good URL in the row (through the CMS's SDK).
    await writeFile(wp.file, clip);
    await cms.updateRow({ databaseId: DATABASE, tableId: TABLE, rowId: 'missing', data: { source_url: files.url('/small.mp4') } });
    // The only worker is kept busy downloading a local job, so the retried records stay pending while read.
    closeGate();
    const gated = (await vc.api('POST', '/api/jobs', { source_url: files.url('/gated.mp4') })).body.key;
    await waitFor('the worker to be held', () => files.hits.get('/gated.mp4') === 1);
    for (const key of ['appwrite-missing', wpKey]) {
      const retried = await vc.api('POST', `/api/jobs/${key}/retry`);
      assert.deepEqual([retried.status, retried.body.status, retried.body.priority], [200, 'pending', 1], key);
    }
    const row = videoRow(fake, 'missing');
    assert.deepEqual([row.status, row.priority, row.error_code], ['pending', 1, null]);
    const meta = await wpMeta(wp.id);
    assert.deepEqual([meta.vcmp_status, meta.vcmp_priority, meta.vcmp_error_code], ['pending', 1, '']);

    // Cancelling the job that held the worker frees it for the retried ones.
    assert.equal((await vc.api('POST', `/api/jobs/${gated}/cancel`)).status, 200);
    await waitFor('both to be done', async () => terminal(rowStatus('missing')) && terminal((await wpMeta(wp.id)).vcmp_status), {
      timeoutMs: 60_000,
      everyMs: 200,
    });
    assert.equal(rowStatus('missing'), 'completed', JSON.stringify(videoRow(fake, 'missing')));
    assert.equal((await wpMeta(wp.id)).vcmp_status, 'completed');
    assert.match(videoRow(fake, 'missing').hls_url, /\/storage\/hls\/appwrite-missing\/master\.m3u8$/);
    assert.match((await wpMeta(wp.id)).vcmp_hls_url, new RegExp(`/storage/hls/${wpKey}/master\\.m3u8$`));
  });

  it('cancels a running Appwrite job: the row ends cancelled, its FFmpeg is gone and so is its temp directory', async () => {
    const key = 'appwrite-long';
    const temp = path.join(vc.storageDir, 'temp', key);
    addVideo(fake, 'long', { source_url: files.url('/long.mp4') });
    await vc.api('POST', '/api/poll');
    await waitFor('the encode', async () => (await vc.api('GET', `/api/jobs/${key}`)).body.step === 'transcoding', { everyMs: 20 });
    const encoders = await waitFor('an FFmpeg of the job', async () => (await processesMentioning(temp)).length > 0);
    assert.ok(encoders);

    const cancelled = await vc.api('POST', `/api/jobs/${key}/cancel`);
    assert.deepEqual([cancelled.status, cancelled.body.status], [200, 'cancelled'], JSON.stringify(cancelled.body));
    await waitFor('the worker to let go of the job', () => !running(key));

    const row = videoRow(fake, 'long');
    assert.deepEqual([row.status, row.step, row.hls_url], ['cancelled', null, null], JSON.stringify(row));
    const attempts = (await vc.api('GET', `/api/jobs/${key}`)).body.attempts.map((attempt: any) => attempt.status);
    assert.deepEqual(attempts, ['cancelled'], 'the ledger has the attempt as cancelled');
    assert.equal(fake.writesTo('long', { status: 'failed' }), 0, 'no failure written over the cancel');
    assert.deepEqual(
      events.filter((e) => 'key' in e && e.key === key && e.type !== 'job_started').map((e) => e.type),
      ['job_cancelled'],
    );
    assert.deepEqual(await processesMentioning(temp), []);
    assert.equal(await exists(temp), false, 'the temp directory is removed');
    assert.equal(await exists(path.join(vc.storageDir, 'hls', key)), false, 'nothing was published');
  });

  it('encodes only the rungs a job asks for (ladder: ["low"] on a 720p clip)', async () => {
    const submitted = await vc.api('POST', '/api/jobs', { source_url: files.url('/hd.mp4'), ladder: ['low'] });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const job = await vc.waitForJob(submitted.body.key, (j) => ['completed', 'failed'].includes(j.status), 60_000);
    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.deepEqual(
      job.renditions.map((r: any) => `${r.name}:${r.width}x${r.height}`),
      ['low:854x480'],
    );
    const master = await readFile(path.join(vc.storageDir, 'hls', submitted.body.key, 'master.m3u8'), 'utf8');
    assert.equal(master.match(/#EXT-X-STREAM-INF/g)?.length, 1, master);
    assert.match(master, /RESOLUTION=854x480/);
  });

  it('DELETE removes the ladder of a CMS job (the record stays, its URLs cleared) and a local job altogether', async () => {
    const wp = await uploadVideo(clip, 'kept.mp4');
    addVideo(fake, 'done', { source_url: files.url('/small.mp4') });
    const local = (await vc.api('POST', '/api/jobs', { source_url: files.url('/small.mp4') })).body.key;
    for (const key of [`wordpress-${wp.id}`, 'appwrite-done', local]) {
      const job = await vc.waitForJob(key, (j) => terminal(j.status), 60_000);
      assert.equal(job.status, 'completed', JSON.stringify(job));
    }
    const ladder = (key: string): string => path.join(vc.storageDir, 'hls', key);

    for (const key of [`wordpress-${wp.id}`, 'appwrite-done']) {
      assert.equal(await exists(ladder(key)), true, key);
      const cleared = await vc.api('DELETE', `/api/jobs/${key}`);
      assert.deepEqual(cleared, { status: 200, body: { key, record: 'cleared', ladder_removed: true } });
      assert.equal(await exists(ladder(key)), false, key);
    }
    const row = videoRow(fake, 'done');
    assert.deepEqual([row.status, row.hls_url, row.poster_url, row.renditions], ['completed', null, null, null]);
    const meta = await wpMeta(wp.id);
    assert.deepEqual([meta.vcmp_status, meta.vcmp_hls_url, meta.vcmp_poster_url], ['completed', '', '']);

    assert.equal(await exists(ladder(local)), true);
    const deleted = await vc.api('DELETE', `/api/jobs/${local}`);
    assert.deepEqual(deleted, { status: 200, body: { key: local, record: 'deleted', ladder_removed: true } });
    assert.equal(await exists(ladder(local)), false);
    assert.equal((await vc.api('GET', `/api/jobs/${local}`)).status, 404);
  });

  it('refuses anonymous GET, PATCH, DELETE, retry and cancel of CMS jobs (401, nothing changed) and a priority of 0 (400)', async () => {
    const wp = await uploadVideo(videoBytes(4096), 'edge.mp4');
    addVideo(fake, 'edge', { source_url: files.url('/missing.mp4') });
    await vc.api('POST', '/api/poll');
    await waitFor('both failures', async () => rowStatus('edge') === 'failed' && (await wpMeta(wp.id)).vcmp_status === 'failed', {
      timeoutMs: 30_000,
      everyMs: 200,
    });
    const before = { row: { ...videoRow(fake, 'edge') }, meta: await wpMeta(wp.id), writes: fake.writes.length };

    for (const key of ['appwrite-edge', `wordpress-${wp.id}`]) {
      const calls: Array<[string, string, unknown?]> = [
        ['GET', `/api/jobs/${key}`],
        ['PATCH', `/api/jobs/${key}`, { priority: 1 }],
        ['DELETE', `/api/jobs/${key}`],
        ['POST', `/api/jobs/${key}/retry`],
        ['POST', `/api/jobs/${key}/cancel`],
      ];
      for (const [method, route, body] of calls) {
        const res = await anonymous(method, route, body);
        assert.equal(res.status, 401, `${method} ${route}`);
        assert.equal(((await res.json()) as any).error.code, 'unauthorized');
      }
      const zero = await vc.api('PATCH', `/api/jobs/${key}`, { priority: 0 });
      assert.deepEqual([zero.status, zero.body.error.code], [400, 'invalid_request'], key);
    }
    assert.deepEqual(videoRow(fake, 'edge'), before.row);
    assert.equal(fake.writes.length, before.writes);
    assert.deepEqual(await wpMeta(wp.id), before.meta);

    // The same change with the key goes through: the refusals above were the auth and the validation.
    for (const key of ['appwrite-edge', `wordpress-${wp.id}`])
      assert.equal((await vc.api('PATCH', `/api/jobs/${key}`, { priority: 7 })).status, 200);
    assert.deepEqual([videoRow(fake, 'edge').priority, (await wpMeta(wp.id)).vcmp_priority], [7, 7]);
  });
});
