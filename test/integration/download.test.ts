import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { ErrorCode } from '../../src/errors.js';
import { downloadSource, type DownloadProgress } from '../../src/pipeline/download.js';
import { isPublicAddress } from '../../src/pipeline/url-policy.js';
import { redirect, routes, sendBody, startServer, videoBytes, type TestServer } from '../helpers/http-fixtures.js';
import { POLICY_ON, expectFailure, fakeLookup, makeDownloadDir, options, removeDownloadDir } from '../helpers/download-fixtures.js';

before(makeDownloadDir);
after(removeDownloadDir);

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
        options(`http://${host}:${server.port}/video.mp4`, {
          config: { ...POLICY_ON, connectTimeoutMs: 10_000 },
          lookup: fakeLookup({}, calls),
        }),
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
    await expectFailure(
      options(url, { config: POLICY_ON, lookup: fakeLookup({ 'intranet.example.test': ['10.20.30.40'] }, calls) }),
      'source_url_forbidden',
    );
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
    for (const url of [
      'file:///etc/passwd',
      'ftp://x/y',
      'not a url',
      'javascript:alert(1)',
      'data:video/mp4;base64,AAAA',
      `http://x/${'a'.repeat(2100)}`,
    ]) {
      const err = await expectFailure(options(url), 'source_url_invalid');
      assert.equal(err.retryable, false);
    }
  });
});
