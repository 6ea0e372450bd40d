import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { AppError, type ErrorCode } from '../../src/errors.js';
import { downloadSource, type DownloadOptions, type DownloadProgress } from '../../src/pipeline/download.js';
import { downloadInChild } from '../../src/pipeline/download-child.js';
import type { ChildMessage, DownloadRequest } from '../../src/pipeline/download-child-protocol.js';
import { POLICY_ON, fakeLookup, makeDownloadDir, options, removeDownloadDir } from '../helpers/download-fixtures.js';
import {
  partialBody,
  redirect,
  routes,
  sendBody,
  serverPool,
  slowBody,
  startServer,
  videoBytes,
  type TestServer,
} from '../helpers/http-fixtures.js';

before(makeDownloadDir);
after(removeDownloadDir);

const CHILD_MAIN = new URL('../../src/pipeline/download-child-main.ts', import.meta.url);

/** Like expectFailure, through downloadInChild. */
async function expectChildFailure(opts: DownloadOptions, code: ErrorCode): Promise<AppError> {
  const caught: unknown = await downloadInChild(opts).then(
    () => null,
    (err: unknown) => err,
  );
  assert.ok(caught instanceof AppError, `expected an AppError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(existsSync(opts.destPath), false, 'the partial file must be removed');
  return caught;
}

/** Pids of this process's live download children, from /proc. */
async function downloadChildren(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const [stat, cmdline] = await Promise.all([
      readFile(`/proc/${entry}/stat`, 'utf8').catch(() => ''),
      readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => ''),
    ]);
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === process.pid && cmdline.includes('download-child-main')) pids.push(Number(entry));
  }
  return pids;
}

/** An onProgress that resolves `reached` once `bytes` have arrived. */
function progressPast(bytes: number): { onProgress: (p: DownloadProgress) => void; reached: Promise<void> } {
  let resolve: () => void = () => undefined;
  const reached = new Promise<void>((r) => (resolve = r));
  return { reached, onProgress: (p) => p.bytes > bytes && resolve() };
}

function logSink(level: string): { log: pino.Logger; records: () => Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => (lines.push(chunk.toString()), cb()) });
  return { log: pino({ level }, sink), records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('downloadInChild: success, redirects and logs', { timeout: 30_000 }, () => {
  let server: TestServer;
  const body = videoBytes(3 * 1024 * 1024 + 17);
  before(async () => {
    server = await startServer(
      routes({
        '/video.mp4': sendBody(body),
        '/r1': redirect('/r2', 302),
        '/r2': redirect('/video.mp4', 301),
        '/loop': redirect('/loop', 302),
      }),
    );
  });
  after(() => server.close());

  it('writes the body, reports progress, and leaves no child behind', async () => {
    const progress: DownloadProgress[] = [];
    const opts = options(server.url('/video.mp4'), { progressIntervalMs: 0, onProgress: (p) => progress.push(p) });
    const result = await downloadInChild(opts);
    assert.deepEqual(result, { bytes: body.length, contentType: 'video/mp4', finalUrl: server.url('/video.mp4') });
    assert.ok((await readFile(opts.destPath)).equals(body));
    assert.ok(progress.length >= 2, `${progress.length} progress reports`);
    assert.ok(progress.every((p, i) => p.totalBytes === body.length && (i === 0 || p.bytes >= (progress[i - 1]?.bytes ?? 0))));
    assert.deepEqual(progress.at(-1), { bytes: body.length, totalBytes: body.length });
    assert.deepEqual(await downloadChildren(), []);
  });

  it('follows a 302 → 301 → 200 chain and logs through the caller, redacted', async () => {
    const { log, records } = logSink('debug');
    const url = `http://user:hunter2@127.0.0.1:${server.port}/r1?token=s3cret`;
    const result = await downloadInChild(options(url, { log }));
    assert.equal(result.bytes, body.length);
    assert.equal(result.finalUrl, `http://user:hunter2@127.0.0.1:${server.port}/video.mp4`);
    const redirects = records().filter((r) => r.msg === 'source redirect');
    assert.equal(redirects.length, 2);
    const done = records().find((r) => r.msg === 'source downloaded');
    assert.ok(done, 'a "source downloaded" record');
    assert.equal(done.bytes, body.length);
    assert.equal(typeof done.ms, 'number');
    assert.equal(done.level, 30);
    assert.equal(done.pid, process.pid, 'logged by the parent');
    assert.doesNotMatch(JSON.stringify(records()), /hunter2|s3cret/);
  });

  it('sends only the records the caller logs at its level', async () => {
    const { log, records } = logSink('info');
    await downloadInChild(options(server.url('/r1'), { log }));
    assert.deepEqual(
      records().map((r) => r.msg),
      ['source downloaded'],
    );
  });

  it('fails too_many_redirects with the in-process code, message and context', async () => {
    const opts = { config: { maxRedirects: 3 } };
    const ours = await expectChildFailure(options(server.url('/loop'), opts), 'too_many_redirects');
    const reference = await downloadSource(options(server.url('/loop'), opts)).then(
      () => assert.fail('the loop must fail'),
      (err: unknown) => err as AppError,
    );
    assert.equal(ours.message, reference.message);
    assert.equal(ours.retryable, false);
    assert.deepEqual(ours.context, reference.context);
  });

  it('refuses lookup and isAllowedAddress, which cannot cross to a child', async () => {
    await assert.rejects(downloadInChild(options(server.url('/video.mp4'), { lookup: fakeLookup({}) })), TypeError);
    await assert.rejects(downloadInChild(options(server.url('/video.mp4'), { isAllowedAddress: () => true })), TypeError);
  });
});

describe('downloadInChild: policy and limits', { timeout: 30_000 }, () => {
  const { serve, closeAll } = serverPool();
  after(closeAll);

  it('refuses 127.0.0.1 and localhost when private addresses are not allowed', async () => {
    const server = await serve(sendBody(videoBytes(4096)));
    for (const host of ['127.0.0.1', 'localhost']) {
      const err = await expectChildFailure(
        options(`http://${host}:${server.port}/video.mp4`, { config: POLICY_ON }),
        'source_url_forbidden',
      );
      assert.equal(err.retryable, false);
    }
    assert.equal(server.connections(), 0, 'the private server was never connected to');
  });

  it('stops a chunked body as soon as it passes maxBytes', async () => {
    const maxBytes = 64 * 1024;
    const { handler, stats } = slowBody({ totalBytes: 10 * 1024 * 1024, chunkBytes: 16 * 1024, intervalMs: 5, contentLength: false });
    const server = await serve(handler);
    const err = await expectChildFailure(options(server.url('/big.mp4'), { config: { maxBytes } }), 'source_too_large');
    assert.ok(typeof err.context.bytes === 'number' && err.context.bytes > maxBytes, `received ${String(err.context.bytes)}`);
    await stats.done;
    assert.equal(stats.clientClosedEarly, true);
  });

  it('times out when the body stalls', async () => {
    const server = await serve(partialBody({ announcedBytes: 100_000, sentBytes: 50_000, then: 'stall' }));
    const err = await expectChildFailure(options(server.url('/stall.mp4'), { config: { idleTimeoutMs: 300 } }), 'source_timeout');
    assert.equal(err.retryable, true);
    assert.match(err.message, /in 300 ms/);
  });

  it('aborts mid-body on the signal: child killed, partial file removed, rejects with the reason', async () => {
    const { handler, stats } = slowBody({ totalBytes: 10 * 1024 * 1024, chunkBytes: 16 * 1024, intervalMs: 5, contentLength: true });
    const server = await serve(handler);
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const { onProgress, reached } = progressPast(64 * 1024);
    const opts = options(server.url('/big.mp4'), { signal: controller.signal, progressIntervalMs: 0, onProgress });
    const download = downloadInChild(opts);
    await reached;
    const [pid, ...others] = await downloadChildren();
    assert.ok(pid !== undefined && others.length === 0, 'one download child while downloading');
    assert.equal(existsSync(opts.destPath), true, 'the partial file exists before the abort');
    controller.abort(reason);
    await assert.rejects(download, (err) => err === reason);
    assert.equal(existsSync(`/proc/${pid}`), false, 'the child is gone');
    assert.equal(existsSync(opts.destPath), false);
    await stats.done;
    assert.equal(stats.clientClosedEarly, true);
  });

  it('reports a child killed from outside as internal_error and removes the partial file', async () => {
    const { handler } = slowBody({ totalBytes: 10 * 1024 * 1024, chunkBytes: 16 * 1024, intervalMs: 5, contentLength: true });
    const server = await serve(handler);
    const { onProgress, reached } = progressPast(64 * 1024);
    const opts = options(server.url('/big.mp4'), { progressIntervalMs: 0, onProgress });
    const failure = expectChildFailure(opts, 'internal_error');
    await reached;
    const [pid] = await downloadChildren();
    assert.ok(pid !== undefined);
    process.kill(pid, 'SIGKILL');
    const err = await failure;
    assert.match(err.message, /killed by SIGKILL/);
    assert.equal(err.retryable, true);
  });

  it('rejects at once, without a child, when the signal is already aborted', async () => {
    const server = await serve(sendBody(videoBytes(10)));
    const reason = new Error('stop');
    await assert.rejects(downloadInChild(options(server.url('/x'), { signal: AbortSignal.abort(reason) })), (err) => err === reason);
    assert.equal(server.connections(), 0);
  });

  it('the child aborts and exits when the daemon closes the channel', async () => {
    const { handler, stats } = slowBody({ totalBytes: 10 * 1024 * 1024, chunkBytes: 16 * 1024, intervalMs: 5, contentLength: true });
    const server = await serve(handler);
    const { destPath, config } = options(server.url('/big.mp4'));
    const child = fork(CHILD_MAIN, [], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const request: DownloadRequest = {
      type: 'start',
      url: server.url('/big.mp4'),
      destPath,
      config,
      progressIntervalMs: 0,
      logLevel: 'silent',
    };
    child.send(request);
    await new Promise<void>((resolve) =>
      child.on('message', (m: ChildMessage) => m.type === 'progress' && m.bytes > 64 * 1024 && resolve()),
    );
    child.disconnect();
    assert.equal(await exited, 0);
    assert.equal(existsSync(destPath), false, 'the child removed its partial file');
    await stats.done;
    assert.equal(stats.clientClosedEarly, true);
  });
});
