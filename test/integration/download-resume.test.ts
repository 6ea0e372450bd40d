import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { IncomingHttpHeaders, RequestListener } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { downloadSource } from '../../src/pipeline/download.js';
import { MAX_RESUMES, parseContentRange } from '../../src/pipeline/download-resume.js';
import { capturingLogger } from '../helpers/appwrite-fixtures.js';
import { expectFailure, makeDownloadDir, options, removeDownloadDir } from '../helpers/download-fixtures.js';
import { serverPool, videoBytes } from '../helpers/http-fixtures.js';

before(makeDownloadDir);
after(removeDownloadDir);

const BODY = videoBytes(256 * 1024);

interface RangeServerOptions {
  /**
   * The first `times` answers stop after `afterBytes` bytes. By default the server waits until the
   * client has those bytes on disk, then closes the connection: the client must resume exactly there.
   * With `reset` it resets the connection at once (RST): the client may lose what was still in its
   * buffers, so it resumes from anywhere up to the cut.
   */
  readonly cut?: { afterBytes: number; times: number; reset?: boolean };
  /** Resolves once the client's file holds `size` bytes (set by the test once it knows the path). */
  onDisk?: (size: number) => Promise<void>;
  /** An open-ended range gets at most this many bytes (Appwrite's Storage caps it). */
  readonly cap?: number;
  /** How a range request is answered instead of 206: 'ignore' sends 200 and the whole body, or a status. */
  readonly onRange?: 'ignore' | number;
  /** The total a 206 announces (a file replaced between requests). */
  readonly total?: number;
}

/** A file server that speaks single byte ranges, and whose connection breaks on demand. Records each request's headers. */
function rangeServer(body: Buffer, seen: IncomingHttpHeaders[], opts: RangeServerOptions = {}): RequestListener {
  let cuts = opts.cut?.times ?? 0;
  return (req, res) => {
    seen.push(req.headers);
    const match = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let [status, start, end] = [200, 0, body.length - 1];
    if (match && opts.onRange !== 'ignore') {
      if (typeof opts.onRange === 'number') return void res.writeHead(opts.onRange).end();
      start = Number(match[1]);
      end = match[2] ? Number(match[2]) : Math.min(body.length - 1, start + (opts.cap ?? body.length) - 1);
      status = 206;
    }
    const piece = body.subarray(start, end + 1);
    const range = status === 206 ? { 'Content-Range': `bytes ${start}-${end}/${opts.total ?? body.length}` } : {};
    res.writeHead(status, { 'Content-Type': 'video/mp4', 'Content-Length': piece.length, 'Accept-Ranges': 'bytes', ...range });
    if (cuts <= 0) return void res.end(piece);
    cuts -= 1;
    const { afterBytes, reset } = opts.cut!;
    res.write(piece.subarray(0, afterBytes), () => {
      if (reset) return void res.socket?.destroy();
      void (opts.onDisk?.(start + afterBytes) ?? Promise.resolve()).then(() => res.socket?.end());
    });
  };
}

/** Waits for the file to reach `size` bytes: the writes of the client under test, however slow the machine. */
async function untilSize(file: string, size: number): Promise<void> {
  const onDisk = async (): Promise<number> => (await stat(file).catch(() => null))?.size ?? 0;
  while ((await onDisk()) < size) await delay(5);
}

describe('downloadSource: resuming a cut body with Range', () => {
  const pool = serverPool();
  after(() => pool.closeAll());

  async function download(server: RangeServerOptions, extra: Parameters<typeof options>[1] = {}) {
    const seen: IncomingHttpHeaders[] = [];
    const serverOptions: RangeServerOptions = { ...server };
    const origin = await pool.serve(rangeServer(BODY, seen, serverOptions));
    const captured = capturingLogger();
    const opts = options(origin.url('/v.mp4'), { log: captured.log, ...extra });
    serverOptions.onDisk = (size) => untilSize(opts.destPath, size);
    return { seen, captured, opts };
  }

  it('asks for the rest after a cut and appends it: the file is whole, the resume logged', async () => {
    const { seen, captured, opts } = await download({ cut: { afterBytes: 100_000, times: 1 } });
    const result = await downloadSource(opts);
    assert.equal(result.bytes, BODY.length);
    assert.ok((await readFile(opts.destPath)).equals(BODY), 'byte for byte the source');
    assert.equal(seen.length, 2);
    assert.equal(seen[0]?.range, undefined);
    assert.equal(seen[1]?.range, 'bytes=100000-', 'resumed where the cut body ended');
    assert.match(captured.text(), /source download resumed/);
  });

  it('resumes after a reset from whatever arrived (a reset may drop the bytes still in flight)', async () => {
    const { seen, opts } = await download({ cut: { afterBytes: 100_000, times: 1, reset: true } });
    assert.equal((await downloadSource(opts)).bytes, BODY.length);
    assert.ok((await readFile(opts.destPath)).equals(BODY), 'byte for byte the source');
    const offset = Number(/^bytes=(\d+)-$/.exec(seen[1]?.range ?? '')?.[1]);
    assert.ok(offset >= 0 && offset <= 100_000, `resumed from ${seen[1]?.range}`);
  });

  it('takes the rest piece by piece from a server that caps ranges, without counting pieces as cuts', async () => {
    const cap = 40 * 1024;
    const { seen, opts } = await download({ cut: { afterBytes: 30_000, times: 1 }, cap });
    assert.equal((await downloadSource(opts)).bytes, BODY.length);
    assert.ok((await readFile(opts.destPath)).equals(BODY));
    const starts = seen.slice(1).map((h) => Number(/^bytes=(\d+)-$/.exec(h.range ?? '')?.[1]));
    assert.ok(starts.length >= Math.ceil((BODY.length - 30_000) / cap), `${starts.length} pieces`);
    assert.ok(starts.length > MAX_RESUMES, 'more pieces than the resume budget: a whole piece is no cut');
    starts.slice(1).forEach((start, i) => assert.equal(start, starts[i]! + cap, 'each piece starts where the last one ended'));
  });

  it('starts over when the server ignores Range and sends the whole body again', async () => {
    const { seen, opts } = await download({ cut: { afterBytes: 50_000, times: 1 }, onRange: 'ignore' });
    assert.equal((await downloadSource(opts)).bytes, BODY.length);
    assert.ok((await readFile(opts.destPath)).equals(BODY));
    assert.equal(seen.length, 2);
  });

  it(`gives up after ${MAX_RESUMES} cuts as source_truncated, retryable, the partial file removed`, async () => {
    const { seen, opts } = await download({ cut: { afterBytes: 20_000, times: 100 } });
    const error = await expectFailure(opts, 'source_truncated');
    assert.equal(error.retryable, true);
    assert.equal(seen.length, 1 + MAX_RESUMES);
  });

  for (const [what, server] of [
    ['a 416', { onRange: 416 }],
    ['a 500', { onRange: 500 }],
    ['a different total (the file was replaced)', { total: BODY.length + 1 }],
  ] as const) {
    it(`ends with the cut's own error when the range request gets ${what}`, async () => {
      const { seen, captured, opts } = await download({ cut: { afterBytes: 60_000, times: 1 }, ...server });
      await expectFailure(opts, 'source_truncated');
      assert.equal(seen.length, 2, 'one try, no loop');
      assert.match(captured.text(), /source download could not be resumed/);
    });
  }

  it('never resumes a body without a length (no telling a cut from the end)', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const origin = await pool.serve((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'Content-Type': 'video/mp4' });
      res.write(BODY.subarray(0, 70_000), () => res.socket?.destroy());
    });
    await expectFailure(options(origin.url('/v.mp4')), 'source_network_error');
    assert.equal(seen.length, 1);
  });

  it('sends the source’s own headers (an API key) with the range request', async () => {
    const headers = { 'X-Appwrite-Project': 'p', 'X-Appwrite-Key': 'k-0123456789' };
    const { seen, opts } = await download({ cut: { afterBytes: 90_000, times: 1 } }, { headers });
    await downloadSource(opts);
    assert.deepEqual(
      seen.map((h) => h['x-appwrite-key']),
      ['k-0123456789', 'k-0123456789'],
    );
  });
});

describe('parseContentRange', () => {
  it('reads bytes a-b/total and refuses what cannot continue a file', () => {
    assert.deepEqual(parseContentRange('bytes 10-19/100'), { start: 10, end: 19, total: 100 });
    for (const value of ['bytes 10-19/*', 'bytes */100', 'items 0-1/2', 'bytes 20-10/100', 'bytes 0-100/100', null])
      assert.equal(parseContentRange(value), null, String(value));
  });
});
