import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { FFMPEG, FFPROBE, makeClip } from '../helpers/media-fixtures.js';
import { routes, startServer, type TestServer } from '../helpers/http-fixtures.js';
import { startNginx, type HttpResult, type NginxServer } from '../helpers/nginx-server.js';
import { freePort, serveFile, startTestDaemon, TEST_API_KEY, type TestDaemon } from '../helpers/test-daemon.js';

const run = promisify(execFile);
const SQLITE_MAGIC = 'SQLite format 3';

/**
 * Production layout: the daemon (SERVE_HLS=false, TRUST_PROXY=true) behind the shipped nginx site,
 * a ladder produced by the real pipeline, fetched and decoded through nginx.
 */
describe('nginx site (nginx/video-compressor.conf)', () => {
  let files: TestServer;
  let daemon: TestDaemon;
  let nginx: NginxServer;
  let key: string;
  let hlsUrl: string;

  const get = (rawPath: string, headers: Record<string, string> = {}): Promise<HttpResult> => nginx.request('GET', rawPath, headers);
  const ladder = (file: string): string => `/storage/hls/${key}/${file}`;

  before(async () => {
    const clip = await makeClip({ width: 1280, height: 720, seconds: 4 });
    files = await startServer(routes({ '/clip.mp4': serveFile(clip) }));
    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    daemon = await startTestDaemon({ SERVE_HLS: 'false', TRUST_PROXY: 'true', PUBLIC_BASE_URL: `https://127.0.0.1:${httpsPort}` });
    // mkdtemp makes 0700 directories; nginx's workers (nobody when the test runs as root) must read.
    await chmod(daemon.storageDir, 0o755);
    nginx = await startNginx({ upstreamPort: daemon.daemon.port, httpPort, httpsPort, hlsDir: path.join(daemon.storageDir, 'hls') });

    // Submitted through nginx's /api/ proxy.
    const headers = { 'X-API-Key': TEST_API_KEY, 'Content-Type': 'application/json' };
    const created = await nginx.request('POST', '/api/jobs', headers, JSON.stringify({ source_url: files.url('/clip.mp4') }));
    assert.equal(created.status, 202, created.body.toString());
    const { id } = JSON.parse(created.body.toString()) as { id: string };
    const job = await daemon.waitForJob(id, (j) => j.status === 'completed' || j.status === 'failed');
    assert.equal(job.status, 'completed', JSON.stringify(job));
    key = `local-${id}`;
    hlsUrl = job.hls_url;

    // Things nginx must never hand out.
    await mkdir(path.join(daemon.storageDir, 'temp', 'local-wip'), { recursive: true });
    await writeFile(path.join(daemon.storageDir, 'temp', 'local-wip', 'source'), 'private');
    await mkdir(path.join(daemon.storageDir, 'hls', `.${key}.incoming`));
    await writeFile(path.join(daemon.storageDir, 'hls', `.${key}.incoming`, 'master.m3u8'), '#EXTM3U\n');
  });

  after(async () => {
    await nginx?.stop();
    await daemon?.close();
    await files?.close();
    if (daemon) await rm(daemon.storageDir, { recursive: true, force: true });
  });

  it('writes back URLs on the public origin, and the daemon itself does not serve them (SERVE_HLS=false)', async () => {
    assert.equal(hlsUrl, `${nginx.origin}${ladder('master.m3u8')}`);
    const direct = await fetch(`${daemon.baseUrl}${ladder('master.m3u8')}`);
    assert.equal(direct.status, 404);
  });

  it('serves playlists as application/vnd.apple.mpegurl, short-cached, gzipped, with CORS', async () => {
    const master = await get(ladder('master.m3u8'));
    assert.equal(master.status, 200);
    assert.equal(master.headers['content-type'], 'application/vnd.apple.mpegurl');
    assert.equal(master.headers['cache-control'], 'public, max-age=10');
    assert.equal(master.headers['access-control-allow-origin'], '*');
    assert.equal(master.headers['access-control-allow-methods'], 'GET, HEAD, OPTIONS');
    assert.match(master.body.toString(), /^#EXTM3U/);

    // The master (two rungs) is over gzip_min_length; so is any real media playlist.
    const onDisk = await readFile(path.join(daemon.storageDir, 'hls', key, 'master.m3u8'));
    assert.ok(onDisk.length > 256);
    const zipped = await get(ladder('master.m3u8'), { 'Accept-Encoding': 'gzip' });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers['vary'], 'Accept-Encoding');
    assert.equal(zipped.headers['access-control-allow-origin'], '*', 'CORS survives gzip');
    assert.deepEqual(gunzipSync(zipped.body), onDisk);
  });

  it('serves segments as video/mp2t with an immutable long cache, CORS, HEAD and byte ranges', async () => {
    const segment = ladder('low/segment000.ts');
    const whole = await get(segment);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers['content-type'], 'video/mp2t');
    assert.equal(whole.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(whole.headers['access-control-allow-origin'], '*');
    assert.equal(whole.headers['accept-ranges'], 'bytes');
    assert.equal(whole.headers['content-encoding'], undefined, 'segments are not gzipped');
    assert.equal(whole.body[0], 0x47, 'an MPEG-TS sync byte');

    const head = await nginx.request('HEAD', segment);
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers['content-length']), whole.body.length);

    const range = await get(segment, { Range: 'bytes=188-375' });
    assert.equal(range.status, 206);
    assert.equal(range.headers['content-range'], `bytes 188-375/${whole.body.length}`);
    assert.equal(range.headers['access-control-allow-origin'], '*');
    assert.deepEqual(range.body, whole.body.subarray(188, 376));
  });

  it('serves the poster as image/jpeg, cached', async () => {
    const poster = await get(ladder('poster.jpg'));
    assert.equal(poster.status, 200);
    assert.equal(poster.headers['content-type'], 'image/jpeg');
    assert.equal(poster.headers['cache-control'], 'public, max-age=300');
    assert.equal(poster.headers['access-control-allow-origin'], '*');
  });

  it('serves the previews with their types: thumbnails, storyboard cues and sprites, preview loop, metadata', async () => {
    const expected: Array<[string, string, string]> = [
      ['thumbnails/thumb-01.jpg', 'image/jpeg', 'public, max-age=300'],
      ['storyboard/storyboard.vtt', 'text/vtt', 'public, max-age=300'],
      ['storyboard/sprite-1.jpg', 'image/jpeg', 'public, max-age=300'],
      ['preview.mp4', 'video/mp4', 'public, max-age=300'],
      ['metadata.json', 'application/json', 'public, max-age=60'],
    ];
    for (const [file, type, cache] of expected) {
      const res = await get(ladder(file));
      assert.equal(res.status, 200, file);
      assert.equal(res.headers['content-type'], type, file);
      assert.equal(res.headers['cache-control'], cache, file);
      assert.equal(res.headers['access-control-allow-origin'], '*', file);
    }
    assert.match((await get(ladder('storyboard/storyboard.vtt'))).body.toString(), /^WEBVTT/);
  });

  it('answers the CORS preflight with 204 and the headers a player needs', async () => {
    for (const file of ['master.m3u8', 'low/segment000.ts']) {
      const preflight = await nginx.request('OPTIONS', ladder(file), {
        Origin: 'https://player.example',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'range',
      });
      assert.equal(preflight.status, 204, file);
      assert.equal(preflight.headers['access-control-allow-origin'], '*');
      assert.equal(preflight.headers['access-control-allow-methods'], 'GET, HEAD, OPTIONS');
      assert.match(String(preflight.headers['access-control-allow-headers']), /\bRange\b/i);
      assert.equal(preflight.headers['access-control-max-age'], '86400');
      assert.equal(preflight.body.length, 0);
    }
  });

  it('refuses storage/temp, state.db (also through ../ and encoded dots), dotfiles, listings and writes', async () => {
    const denied: [string, number][] = [
      ['/storage/temp/local-wip/source', 403],
      ['/storage/temp/', 403],
      ['/storage/state.db', 403],
      ['/storage/state.db-wal', 403],
      ['/storage/hls/../state.db', 403],
      ['/storage/hls/%2e%2e/state.db', 403],
      ['/storage/hls/..%2fstate.db', 403],
      ['/storage/hls/../temp/local-wip/source', 403],
      [`/storage/hls/.${key}.incoming/master.m3u8`, 404],
      ['/storage/hls/', 403],
      [`/storage/hls/${key}/`, 403],
      ['/storage/hls', 403],
      ['/', 404],
    ];
    for (const [rawPath, status] of denied) {
      const res = await get(rawPath);
      assert.equal(res.status, status, rawPath);
      assert.ok(!res.body.toString('latin1').includes(SQLITE_MAGIC), `${rawPath} leaked the database`);
      assert.ok(!res.body.toString().includes('private'), `${rawPath} leaked a work file`);
    }
    for (const method of ['POST', 'PUT', 'DELETE']) {
      assert.equal((await nginx.request(method, ladder('master.m3u8'))).status, 403, method);
    }
  });

  it('proxies /health, /api/, /admin and /metrics to the daemon', async () => {
    const health = await get('/health');
    assert.equal(health.status, 200);
    assert.equal(JSON.parse(health.body.toString()).status, 'ok');

    const anonymous = await get('/api/jobs');
    assert.equal(anonymous.status, 401);
    assert.equal(JSON.parse(anonymous.body.toString()).error.code, 'unauthorized');
    const listed = await get('/api/jobs', { 'X-API-Key': TEST_API_KEY });
    assert.equal(JSON.parse(listed.body.toString()).total, 1);

    // Whatever these routes answer in this build, nginx must relay the daemon's answer, not its own.
    for (const route of ['/admin', '/admin/login', '/metrics']) {
      const direct = await fetch(`${daemon.baseUrl}${route}`, { redirect: 'manual' });
      const proxied = await get(route);
      assert.equal(proxied.status, direct.status, route);
      assert.equal(proxied.headers['content-type'], direct.headers.get('content-type') ?? undefined, route);
    }
  });

  it('redirects plain HTTP to HTTPS and serves the ACME challenge over HTTP', async () => {
    const redirect = await nginx.requestPlain('GET', '/storage/hls/x/master.m3u8?t=1');
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.location, 'https://127.0.0.1/storage/hls/x/master.m3u8?t=1');
    const challenge = await nginx.requestPlain('GET', '/.well-known/acme-challenge/token-1');
    assert.equal(challenge.status, 200);
    assert.equal(challenge.body.toString(), 'challenge-answer');
  });

  it('delivers a ladder that ffprobe reads and ffmpeg decodes entirely over HTTPS through nginx', async () => {
    const { stdout } = await run(FFPROBE, ['-v', 'error', '-show_entries', 'stream=codec_type,width,height', '-of', 'json', hlsUrl]);
    const streams = (JSON.parse(stdout) as { streams: { codec_type: string; width?: number; height?: number }[] }).streams;
    const heights = streams
      .filter((s) => s.codec_type === 'video')
      .map((s) => s.height)
      .sort();
    assert.deepEqual(heights, [480, 720]);
    assert.ok(streams.some((s) => s.codec_type === 'audio'));

    // Every stream of every rung, decoded to the end.
    await run(FFMPEG, ['-v', 'error', '-nostdin', '-i', hlsUrl, '-map', '0', '-f', 'null', '-']);
    const log = await nginx.accessLog();
    for (const rung of ['low', 'medium']) {
      assert.match(
        log,
        new RegExp(`"GET /storage/hls/${key}/${rung}/segment000\\.ts HTTP/1\\.1" 20[06]`),
        `${rung} segments went through nginx`,
      );
    }
  });
});
