import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { makeAudioOnly, makeClip, makeTruncatedMp4 } from '../helpers/media-fixtures.js';
import { routes, startServer, type TestServer } from '../helpers/http-fixtures.js';
import { rawRequest, serveFile, startTestDaemon, TEST_API_KEY, type TestDaemon } from '../helpers/test-daemon.js';

const run = promisify(execFile);

/** The daemon end to end: API → poller → download → FFmpeg → publish → write-back, and bad input. */

/** The largest buffer the kernel gives one TCP socket (the third figure of /proc/sys/net/ipv4/<name>). */
function maxSocketBuffer(name: 'tcp_rmem' | 'tcp_wmem'): number {
  return Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/)[2]);
}

describe('daemon end to end (embedded store)', () => {
  let files: TestServer;
  let vc: TestDaemon;
  let hugeBytesSent = 0;
  const terminal = (job: { status: string; retry_count: number }) =>
    job.status === 'completed' || job.status === 'failed' || (job.status === 'pending' && job.retry_count > 0);

  before(async () => {
    const clip = await makeClip({ width: 1280, height: 720, seconds: 5 });
    const audio = await makeAudioOnly();
    const truncated = await makeTruncatedMp4();
    files = await startServer(
      routes({
        '/clip.mp4': serveFile(clip),
        '/page.html': (_req, res) =>
          res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!DOCTYPE html><html><body>Not a video</body></html>'),
        '/empty.mp4': (_req, res) => res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': 0 }).end(),
        '/truncated.mp4': serveFile(truncated),
        '/audio.m4a': serveFile(audio, 'audio/mp4'),
        '/huge.mp4': (_req, res) => {
          // Endless, without Content-Length: only the streaming cap can stop it.
          res.writeHead(200, { 'Content-Type': 'video/mp4' });
          const chunk = Buffer.alloc(64 * 1024, 1);
          const pump = (): void => {
            do {
              if (res.destroyed) return;
              hugeBytesSent += chunk.length;
            } while (res.write(chunk));
            res.once('drain', pump);
          };
          res.on('close', () => res.removeAllListeners('drain'));
          pump();
        },
        '/stall.mp4': (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': 1_000_000 });
          res.write(Buffer.alloc(100_000));
        },
      }),
    );
    vc = await startTestDaemon({ MAX_SOURCE_BYTES: '20MB', DOWNLOAD_IDLE_TIMEOUT: '1s', RETRY_DELAYS: '0,1h,6h' });
  });

  after(async () => {
    await vc?.close();
    await files?.close();
  });

  it('turns a submitted URL into a published, playable ladder', async () => {
    const submitted = await vc.api('POST', '/api/jobs', { source_url: files.url('/clip.mp4'), title: 'Clip', priority: 3 });
    assert.equal(submitted.status, 202);
    assert.equal(submitted.body.status, 'pending');
    const job = await vc.waitForJob(submitted.body.id, terminal);
    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.equal(job.hls_url, `http://localhost:${vc.daemon.port}/storage/hls/local-${job.id}/master.m3u8`);
    assert.deepEqual(
      job.renditions.map((r: { name: string; width: number; height: number }) => `${r.name}:${r.width}x${r.height}`),
      ['medium:1280x720', 'low:854x480'],
    );
    assert.equal(job.width, 1280);
    assert.ok(Math.abs(job.duration - 5) < 0.2);
    assert.ok(job.output_bytes > 0 && job.processing_ms > 0);
    assert.deepEqual(job.conversions, [], 'a plain progressive BT.709 clip needs no conversion');
    // The previews, written back and served like the ladder.
    const base = `http://localhost:${vc.daemon.port}/storage/hls/local-${job.id}`;
    assert.deepEqual(
      job.thumbnail_urls,
      [1, 2, 3, 4, 5].map((n) => `${base}/thumbnails/thumb-0${n}.jpg`),
    );
    assert.deepEqual(
      [job.storyboard_url, job.preview_url, job.metadata_url],
      [`${base}/storyboard/storyboard.vtt`, `${base}/preview.mp4`, `${base}/metadata.json`],
    );
    const metadata = (await (await fetch(job.metadata_url.replace(`http://localhost:${vc.daemon.port}`, vc.baseUrl))).json()) as {
      schema_version: number;
    };
    assert.equal(metadata.schema_version, 1);
    // Played over HTTP like a player would: the master, a variant, every segment decodes.
    const master = await fetch(`${vc.baseUrl}/storage/hls/local-${job.id}/master.m3u8`);
    assert.equal(master.status, 200);
    assert.match(master.headers.get('content-type') ?? '', /mpegurl/);
    const decoded = await run('ffmpeg', [
      '-v',
      'error',
      '-i',
      `${vc.baseUrl}/storage/hls/local-${job.id}/master.m3u8`,
      '-map',
      '0:v:0',
      '-f',
      'null',
      '-',
    ]);
    assert.equal(decoded.stderr.trim(), '');
    const poster = await fetch(job.poster_url.replace(`http://localhost:${vc.daemon.port}`, vc.baseUrl));
    assert.equal(poster.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual(await readdir(path.join(vc.storageDir, 'temp')), []);
  });

  const badInputs: Array<[string, string, string, boolean]> = [
    ['a 404 URL', '/missing.mp4', 'source_not_found', false],
    ['an HTML page', '/page.html', 'source_not_video', false],
    ['a zero-byte file', '/empty.mp4', 'source_empty', false],
    ['a truncated MP4', '/truncated.mp4', 'corrupt_source', false],
    ['an audio-only file', '/audio.m4a', 'no_video_stream', false],
    ['a file over MAX_SOURCE_BYTES', '/huge.mp4', 'source_too_large', false],
    ['a server that stalls mid-body', '/stall.mp4', 'source_timeout', true],
  ];
  for (const [what, route, code, retryable] of badInputs) {
    it(`records ${code} for ${what}, keeps running and loses nothing`, async () => {
      const { body } = await vc.api('POST', '/api/jobs', { source_url: files.url(route) });
      const job = await vc.waitForJob(body.id, terminal);
      assert.equal(job.error_code, code, JSON.stringify(job));
      assert.ok(job.error.length > 20, 'a message a person understands');
      if (retryable) {
        assert.equal(job.status, 'pending');
        assert.ok(job.retry_count >= 1 && job.next_attempt_at !== null);
        assert.match(job.error, /will retry at/);
      } else {
        assert.equal(job.status, 'failed');
        assert.equal(job.retry_count, 0);
        assert.match(job.error, /failed permanently/);
      }
      assert.equal(job.retry_errors.length >= 1, true);
      assert.equal((await fetch(`${vc.baseUrl}/health`)).status, 200);
    });
  }

  it('stops reading an oversized body as soon as it passes MAX_SOURCE_BYTES', () => {
    assert.equal(files.hits.get('/huge.mp4'), 1);
    // 20 MB limit. The endless body stopped: what the server pushed is what the daemon read plus
    // what the kernel held in flight, at most both sockets' buffers at their autotuning maximum
    // (this machine's tcp_rmem and tcp_wmem), and one chunk.
    const inFlight = maxSocketBuffer('tcp_rmem') + maxSocketBuffer('tcp_wmem') + 1e6;
    assert.ok(
      hugeBytesSent > 20e6 && hugeBytesSent < 20e6 + inFlight,
      `server sent ${hugeBytesSent} bytes (in flight at most ${inFlight})`,
    );
  });

  it('refuses non-http URLs and invalid fields at the edge, writing nothing', async () => {
    const before = (await vc.api('GET', '/api/jobs?limit=1')).body.total;
    for (const body of [
      { source_url: 'file:///etc/passwd' },
      { source_url: 'ftp://example.com/a.mp4' },
      { source_url: 'not a url' },
      { source_url: files.url('/clip.mp4'), priority: 0 },
      { source_url: files.url('/clip.mp4'), priority: 11 },
      { source_url: files.url('/clip.mp4'), priority: 'high' },
    ]) {
      const res = await vc.api('POST', '/api/jobs', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, 'invalid_request');
    }
    for (const id of ['..%2F..%2Fstate.db', '%2e%2e', '%2E%2E', 'a'.repeat(65), 'bad%00id', 'a%0d%0ab']) {
      assert.equal(await rawRequest(vc.baseUrl, 'GET', `/api/jobs/${id}`, { 'X-API-Key': TEST_API_KEY }), 400, id);
    }
    assert.equal((await vc.api('GET', '/api/jobs?limit=1')).body.total, before);
    assert.equal((await fetch(`${vc.baseUrl}/api/jobs`, { headers: { 'X-API-Key': `${TEST_API_KEY}x` } })).status, 401);
  });

  it('refuses a source on a private address when the policy is on', async () => {
    const strict = await startTestDaemon({ ALLOW_PRIVATE_SOURCE_URLS: 'false' });
    try {
      const { body } = await strict.api('POST', '/api/jobs', { source_url: files.url('/clip.mp4') });
      const job = await strict.waitForJob(body.id, terminal);
      assert.equal(job.status, 'failed');
      assert.equal(job.error_code, 'source_url_forbidden');
      assert.equal(files.hits.get('/clip.mp4'), 1, 'no connection was made by the strict daemon');
    } finally {
      await strict.close();
    }
  });

  it('reports the worker and the queue on /health without credentials', async () => {
    const res = await fetch(`${vc.baseUrl}/health`);
    const body = (await res.json()) as Record<string, any>;
    assert.equal(res.status, 200);
    assert.equal(body.status, 'ok');
    assert.ok(['IDLE', 'CHECKING', 'PROCESSING'].includes(body.state));
    assert.match(body.ffmpeg, /^\d/);
    assert.deepEqual(body.sources, [{ kind: 'local', connected: true }]);
    assert.equal(typeof body.queue.pending, 'number');
  });
});
