import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { downloadSource } from '../../src/pipeline/download.js';
import type { LookupFn } from '../../src/pipeline/url-policy.js';
import { closedPortUrl, neverRespond, partialBody, sendBody, serverPool, slowBody, videoBytes } from '../helpers/http-fixtures.js';
import { expectFailure, makeDownloadDir, options, removeDownloadDir } from '../helpers/download-fixtures.js';

before(makeDownloadDir);
after(removeDownloadDir);

describe('downloadSource: size limits, timeouts and broken transfers', { timeout: 10_000 }, () => {
  const { serve, closeAll } = serverPool();
  after(closeAll);

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
    assert.ok(
      typeof err.context.bytes === 'number' && err.context.bytes > maxBytes && err.context.bytes <= maxBytes + chunk,
      `received ${String(err.context.bytes)}`,
    );
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
    await expectFailure(
      options('http://slow-dns.example.test/video.mp4', { lookup: hanging, config: { connectTimeoutMs: 200 } }),
      'source_timeout',
    );
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
