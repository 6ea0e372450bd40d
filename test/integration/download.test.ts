import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { DownloadConfig } from '../../src/config/config.js';
import { AppError, type ErrorCode } from '../../src/errors.js';
import { silentLogger } from '../../src/logging/logger.js';
import { downloadSource, type DownloadOptions, type DownloadProgress } from '../../src/pipeline/download.js';
import { isPublicAddress, type LookupFn } from '../../src/pipeline/url-policy.js';
import {
  closedPortUrl,
  neverRespond,
  partialBody,
  redirect,
  routes,
  sendBody,
  slowBody,
  startServer,
  videoBytes,
  type TestServer,
} from '../helpers/http-fixtures.js';

const CONFIG: DownloadConfig = { maxBytes: 50 * 1024 * 1024, connectTimeoutMs: 2000, idleTimeoutMs: 2000, maxRedirects: 5, allowPrivate: true };
const POLICY_ON: DownloadConfig = { ...CONFIG, allowPrivate: false };

let dir: string;
let fileCounter = 0;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vc-download-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function dest(): string {
  fileCounter += 1;
  return path.join(dir, `source-${fileCounter}.bin`);
}

type Overrides = Partial<Omit<DownloadOptions, 'config'>> & { config?: Partial<DownloadConfig> };

function options(url: string, overrides: Overrides = {}): DownloadOptions {
  return { url, destPath: dest(), log: silentLogger(), ...overrides, config: { ...CONFIG, ...overrides.config } };
}

/** Runs a download that must fail with `code`, and checks that nothing was left on disk. */
async function expectFailure(opts: DownloadOptions, code: ErrorCode): Promise<AppError> {
  let caught: unknown;
  try {
    await downloadSource(opts);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof AppError, `expected an AppError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(existsSync(opts.destPath), false, 'the partial file must be removed');
  return caught;
}

/** Maps fake names to addresses; fails the test if asked about anything else. */
function fakeLookup(table: Record<string, string[]>, calls: string[] = []): LookupFn {
  return async (hostname) => {
    calls.push(hostname);
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

describe('downloadSource: success and redirects', { timeout: 10_000 }, () => {
  let server: TestServer;
  const body = videoBytes(256 * 1024);
  before(async () => {
    server = await startServer(
      routes({
        '/video.mp4': sendBody(body),
        '/chunked.mp4': sendBody(body, { contentLength: false }),
        '/r1': redirect('/r2', 302),
        '/r2': redirect('/video.mp4', 301),
        '/loop': redirect('/loop', 302),
        '/to-ftp': redirect('ftp://example.com/video.mp4', 302),
      }),
    );
  });
  after(() => server.close());

  it('writes the body to disk and reports bytes, type and final URL', async () => {
    const progress: DownloadProgress[] = [];
    const opts = options(server.url('/video.mp4'), { onProgress: (p) => progress.push(p) });
    const result = await downloadSource(opts);
    assert.deepEqual(result, { bytes: body.length, contentType: 'video/mp4', finalUrl: server.url('/video.mp4') });
    assert.ok((await readFile(opts.destPath)).equals(body));
    assert.deepEqual(progress.at(-1), { bytes: body.length, totalBytes: body.length });
  });

  it('accepts a chunked body without Content-Length', async () => {
    const opts = options(server.url('/chunked.mp4'), { progressIntervalMs: 0, onProgress: (p) => assert.equal(p.totalBytes, null) });
    const result = await downloadSource(opts);
    assert.equal(result.bytes, body.length);
    assert.ok((await readFile(opts.destPath)).equals(body));
  });

  it('follows a 302 → 301 → 200 chain', async () => {
    const result = await downloadSource(options(server.url('/r1')));
    assert.equal(result.finalUrl, server.url('/video.mp4'));
    assert.equal(result.bytes, body.length);
  });

  it('counts redirects against maxRedirects', async () => {
    await expectFailure(options(server.url('/r1'), { config: { maxRedirects: 1 } }), 'too_many_redirects');
  });

  it('stops a redirect loop with too_many_redirects', async () => {
    const before = server.hits.get('/loop') ?? 0;
    const err = await expectFailure(options(server.url('/loop'), { config: { maxRedirects: 3 } }), 'too_many_redirects');
    assert.equal(err.retryable, false);
    assert.equal((server.hits.get('/loop') ?? 0) - before, 4, 'the first request plus 3 redirects');
  });

  it('re-validates the scheme of every hop', async () => {
    await expectFailure(options(server.url('/to-ftp')), 'source_url_invalid');
  });

  it('never logs credentials or the query string', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => (lines.push(chunk.toString()), cb()) });
    const log = pino({ level: 'debug' }, sink);
    const url = `http://user:hunter2@127.0.0.1:${server.port}/r1?token=s3cret`;
    await downloadSource(options(url, { log }));
    const text = lines.join('');
    assert.match(text, /source downloaded/);
    assert.match(text, /source redirect/);
    assert.doesNotMatch(text, /hunter2|s3cret/);
  });
});

describe('downloadSource: private-address policy', { timeout: 10_000 }, () => {
  let server: TestServer;
  const body = videoBytes(4096);
  before(async () => {
    server = await startServer(
      routes({
        '/video.mp4': sendBody(body),
        '/to-loopback': redirect('/video.mp4'),
        '/to-literal': (_req, res) => redirect(server.url('/video.mp4'))(_req, res),
        '/to-internal-name': (_req, res) => redirect(`http://internal.example.test:${server.port}/video.mp4`)(_req, res),
      }),
    );
  });
  after(() => server.close());

  // The first hop must reach the loopback server while counting as public, so the test treats
  // the name public.example.test as public; everything else is judged by isPublicAddress.
  const lookup = fakeLookup({ 'public.example.test': ['127.0.0.1'], 'internal.example.test': ['127.0.0.1'] });
  const isAllowedAddress = (address: string, hostname: string): boolean => hostname === 'public.example.test' || isPublicAddress(address);

  it('follows the redirect when private addresses are allowed (control)', async () => {
    const url = `http://public.example.test:${server.port}/to-internal-name`;
    const result = await downloadSource(options(url, { lookup }));
    assert.equal(result.bytes, body.length);
  });

  it('refuses a redirect to a loopback literal', async () => {
    const before = server.hits.get('/video.mp4') ?? 0;
    const url = `http://public.example.test:${server.port}/to-literal`;
    await expectFailure(options(url, { config: POLICY_ON, lookup, isAllowedAddress }), 'source_url_forbidden');
    assert.equal(server.hits.get('/video.mp4') ?? 0, before, 'the private target must not be requested');
  });

  it('refuses a redirect to a name that resolves to loopback', async () => {
    const before = server.hits.get('/video.mp4') ?? 0;
    const url = `http://public.example.test:${server.port}/to-internal-name`;
    await expectFailure(options(url, { config: POLICY_ON, lookup, isAllowedAddress }), 'source_url_forbidden');
    assert.equal(server.hits.get('/video.mp4') ?? 0, before);
  });

  for (const host of ['127.0.0.1', '[::1]', '169.254.169.254', '10.0.0.1', '[::ffff:127.0.0.1]', '0.0.0.0']) {
    it(`refuses the literal ${host} without connecting or resolving`, async () => {
      const calls: string[] = [];
      const connectionsBefore = server.connections();
      const started = Date.now();
      const err = await expectFailure(
        options(`http://${host}:${server.port}/video.mp4`, { config: { ...POLICY_ON, connectTimeoutMs: 10_000 }, lookup: fakeLookup({}, calls) }),
        'source_url_forbidden',
      );
      assert.equal(err.retryable, false);
      assert.deepEqual(calls, []);
      assert.equal(server.connections(), connectionsBefore);
      assert.ok(Date.now() - started < 1000, 'refused before any connection attempt');
    });
  }

  it('refuses a name whose lookup returns 10.x', async () => {
    const calls: string[] = [];
    const url = 'http://intranet.example.test/video.mp4';
    await expectFailure(options(url, { config: POLICY_ON, lookup: fakeLookup({ 'intranet.example.test': ['10.20.30.40'] }, calls) }), 'source_url_forbidden');
    assert.deepEqual(calls, ['intranet.example.test']);
  });

  it('refuses a name when any of its addresses is private', async () => {
    const lookupMixed = fakeLookup({ 'mixed.example.test': ['93.184.216.34', '192.168.1.20'] });
    await expectFailure(options('http://mixed.example.test/video.mp4', { config: POLICY_ON, lookup: lookupMixed }), 'source_url_forbidden');
  });

  it('refuses localhost through the system resolver', async () => {
    await expectFailure(options(`http://localhost:${server.port}/video.mp4`, { config: POLICY_ON }), 'source_url_forbidden');
  });
});

describe('downloadSource: status codes and content', { timeout: 10_000 }, () => {
  let server: TestServer;
  const html = '<!DOCTYPE html>\n<html><head><title>Login</title></head><body>Please sign in</body></html>';
  before(async () => {
    server = await startServer(
      routes({
        '/404': sendBody('gone', { status: 404, contentType: 'text/plain' }),
        '/410': sendBody('gone', { status: 410, contentType: 'text/plain' }),
        '/403': sendBody('no', { status: 403, contentType: 'text/plain' }),
        '/429': sendBody('slow down', { status: 429, contentType: 'text/plain' }),
        '/503': sendBody('later', { status: 503, contentType: 'text/plain' }),
        '/page': sendBody(html, { contentType: 'text/html; charset=utf-8' }),
        '/disguised.mp4': sendBody(`\uFEFF  ${html}`, { contentType: 'video/mp4' }),
        '/empty': sendBody('', { contentType: 'video/mp4' }),
        '/empty-chunked': sendBody('', { contentType: 'video/mp4', contentLength: false }),
        '/tiny.mp4': sendBody(videoBytes(100)),
      }),
    );
  });
  after(() => server.close());

  const cases: Array<[string, ErrorCode, boolean]> = [
    ['/404', 'source_not_found', false],
    ['/410', 'source_not_found', false],
    ['/403', 'source_http_error', false],
    ['/429', 'source_http_error', true],
    ['/503', 'source_server_error', true],
    ['/page', 'source_not_video', false],
    ['/disguised.mp4', 'source_not_video', false],
    ['/empty', 'source_empty', false],
    ['/empty-chunked', 'source_empty', false],
  ];
  for (const [route, code, retryable] of cases) {
    it(`${route} → ${code} (${retryable ? 'retryable' : 'permanent'})`, async () => {
      const err = await expectFailure(options(server.url(route)), code);
      assert.equal(err.retryable, retryable);
      assert.equal(err.context.url, server.url(route));
    });
  }

  it('keeps a body shorter than the sniff window intact', async () => {
    const opts = options(server.url('/tiny.mp4'));
    assert.equal((await downloadSource(opts)).bytes, 100);
    assert.ok((await readFile(opts.destPath)).equals(videoBytes(100)));
  });

  it('refuses invalid or non-http URLs', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://x/y', 'not a url', 'javascript:alert(1)', 'data:video/mp4;base64,AAAA', `http://x/${'a'.repeat(2100)}`]) {
      const err = await expectFailure(options(url), 'source_url_invalid');
      assert.equal(err.retryable, false);
    }
  });
});

describe('downloadSource: size limits, timeouts and broken transfers', { timeout: 10_000 }, () => {
  const servers: TestServer[] = [];
  async function serve(handler: Parameters<typeof startServer>[0]): Promise<TestServer> {
    const server = await startServer(handler);
    servers.push(server);
    return server;
  }
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('refuses an announced Content-Length over maxBytes without reading the body', async () => {
    const { handler, stats } = slowBody({ totalBytes: 10 * 1024 * 1024, chunkBytes: 64 * 1024, intervalMs: 10, contentLength: true });
    const server = await serve(handler);
    const err = await expectFailure(options(server.url('/big.mp4'), { config: { maxBytes: 1024 * 1024 } }), 'source_too_large');
    assert.equal(err.context.bytes, 0, 'no body byte was consumed');
    await stats.done;
    assert.equal(stats.clientClosedEarly, true);
    assert.ok(stats.bytesWritten <= 512 * 1024, `server wrote ${stats.bytesWritten} bytes`);
  });

  it('stops a chunked body as soon as it passes maxBytes', async () => {
    const chunk = 16 * 1024;
    const maxBytes = 64 * 1024;
    const { handler, stats } = slowBody({ totalBytes: 10 * 1024 * 1024, chunkBytes: chunk, intervalMs: 5, contentLength: false });
    const server = await serve(handler);
    const err = await expectFailure(options(server.url('/big.mp4'), { config: { maxBytes } }), 'source_too_large');
    assert.ok(typeof err.context.bytes === 'number' && err.context.bytes > maxBytes && err.context.bytes <= maxBytes + chunk, `received ${String(err.context.bytes)}`);
    await stats.done;
    assert.equal(stats.clientClosedEarly, true);
    assert.ok(stats.bytesWritten <= 1024 * 1024, `server wrote ${stats.bytesWritten} bytes`);
  });

  it('times out when the body stalls', async () => {
    const server = await serve(partialBody({ announcedBytes: 100_000, sentBytes: 50_000, then: 'stall' }));
    const started = Date.now();
    const err = await expectFailure(options(server.url('/stall.mp4'), { config: { idleTimeoutMs: 300 } }), 'source_timeout');
    const elapsed = Date.now() - started;
    assert.equal(err.retryable, true);
    assert.ok(elapsed >= 250 && elapsed < 2000, `took ${elapsed} ms`);
  });

  it('lets a slow but steady body run longer than the idle timeout', async () => {
    const { handler } = slowBody({ totalBytes: 30 * 1024, chunkBytes: 1024, intervalMs: 15, contentLength: true });
    const server = await serve(handler);
    const started = Date.now();
    const result = await downloadSource(options(server.url('/steady.mp4'), { config: { idleTimeoutMs: 200 } }));
    assert.equal(result.bytes, 30 * 1024);
    assert.ok(Date.now() - started > 300, 'the transfer outlasted the idle timeout');
  });

  it('times out a body trickling under 1 KiB per idle timeout (slow loris)', async () => {
    // 16 bytes every 50 ms: data keeps arriving, but far too little to ever finish a video.
    const { handler, stats } = slowBody({ totalBytes: 1024 * 1024, chunkBytes: 16, intervalMs: 50, contentLength: true });
    const server = await serve(handler);
    const started = Date.now();
    await expectFailure(options(server.url('/trickle.mp4'), { config: { idleTimeoutMs: 1000 } }), 'source_timeout');
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    await stats.done;
    assert.equal(stats.clientClosedEarly, true);
  });

  it('times out when the server never sends headers', async () => {
    const server = await serve(neverRespond());
    const started = Date.now();
    await expectFailure(options(server.url('/silent'), { config: { idleTimeoutMs: 300 } }), 'source_timeout');
    assert.ok(Date.now() - started < 2000);
  });

  it('applies the connect timeout to name resolution too', async () => {
    const hanging: LookupFn = () => new Promise(() => undefined);
    const started = Date.now();
    await expectFailure(options('http://slow-dns.example.test/video.mp4', { lookup: hanging, config: { connectTimeoutMs: 200 } }), 'source_timeout');
    assert.ok(Date.now() - started < 2000);
  });

  it('reports a body shorter than its Content-Length as truncated', async () => {
    const server = await serve(partialBody({ announcedBytes: 1000, sentBytes: 500, then: 'close' }));
    const err = await expectFailure(options(server.url('/short.mp4')), 'source_truncated');
    assert.equal(err.retryable, true);
    assert.equal(err.context.expectedBytes, 1000);
  });

  it('reports a chunked body cut off mid-way as a network error', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'video/mp4' });
      res.write(videoBytes(2000), () => res.socket?.destroy());
    });
    const err = await expectFailure(options(server.url('/cut.mp4')), 'source_network_error');
    assert.equal(err.retryable, true);
  });

  it('reports a refused connection as a network error', async () => {
    const err = await expectFailure(options(await closedPortUrl()), 'source_network_error');
    assert.equal(err.retryable, true);
  });

  it('aborts mid-body on the signal, rejecting with its reason', async () => {
    const { handler, stats } = slowBody({ totalBytes: 10 * 1024 * 1024, chunkBytes: 16 * 1024, intervalMs: 5, contentLength: true });
    const server = await serve(handler);
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const opts = options(server.url('/big.mp4'), {
      signal: controller.signal,
      progressIntervalMs: 0,
      onProgress: (p) => p.bytes > 64 * 1024 && controller.abort(reason),
    });
    await assert.rejects(downloadSource(opts), (err) => err === reason);
    assert.equal(existsSync(opts.destPath), false);
    await stats.done;
    assert.equal(stats.clientClosedEarly, true);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const server = await serve(sendBody(videoBytes(10)));
    const reason = new Error('stop');
    const opts = options(server.url('/x'), { signal: AbortSignal.abort(reason) });
    await assert.rejects(downloadSource(opts), (err) => err === reason);
    assert.equal(server.connections(), 0);
  });
});
