import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import request from 'supertest';
import type { ServerConfig, StorageConfig } from '../../src/config/config.js';
import { createApp, type AppDeps } from '../../src/http/app.js';
import type { HealthProbe } from '../../src/http/routes/health.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { JobRepository } from '../../src/store/job-repository.js';
import { Ledger } from '../../src/store/ledger.js';
import { FakeWorker } from '../fakes/fake-worker.js';

const KEY = 'test-api-key-0123456789abcdef';
const root = mkdtempSync(path.join(tmpdir(), 'vc-http-'));
after(() => rmSync(root, { recursive: true, force: true }));

const storage: StorageConfig = {
  dir: root,
  tempDir: path.join(root, 'temp'),
  hlsDir: path.join(root, 'hls'),
  dbPath: path.join(root, 'state.db'),
  diskSpaceFactor: 3,
};
const server: ServerConfig = {
  host: '127.0.0.1',
  port: 0,
  apiKey: KEY,
  publicBaseUrl: 'http://localhost:3000',
  serveHls: true,
  trustProxy: false,
  version: '9.9.9',
  metricsToken: null,
};

// The storage tree the static route must and must not reach.
mkdirSync(path.join(storage.hlsDir, 'local-jabc', 'high'), { recursive: true });
mkdirSync(path.join(storage.tempDir, 'local-x'), { recursive: true });
writeFileSync(path.join(storage.hlsDir, 'local-jabc', 'master.m3u8'), '#EXTM3U\n');
writeFileSync(path.join(storage.hlsDir, 'local-jabc', 'high', 'segment000.ts'), Buffer.alloc(188, 0x47));
writeFileSync(path.join(storage.hlsDir, 'local-jabc', 'poster.jpg'), Buffer.from([0xff, 0xd8, 0xff]));
writeFileSync(path.join(storage.hlsDir, '.hidden'), 'hidden');
writeFileSync(path.join(storage.tempDir, 'local-x', 'secret.txt'), 'SECRET-TEMP');
openDatabase(storage.dbPath).close();

let n = 0;
let db: Database;
let jobs: JobRepository;
let ledger: Ledger;
let worker: FakeWorker;
let probe: HealthProbe;
let logged: string[];

function build(overrides: Partial<AppDeps> = {}) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged.push(chunk.toString());
      done();
    },
  });
  return createApp({
    server,
    storage,
    worker,
    jobs,
    ledger,
    health: async () => probe,
    log: pino({ level: 'info' }, sink),
    now: () => new Date('2024-01-01T00:01:40.000Z'),
    ...overrides,
  });
}

beforeEach(() => {
  // Each test gets its own store; storage/state.db stays untouched as a static-route target.
  db = openDatabase(path.join(root, `api-${(n += 1)}.db`));
  jobs = new JobRepository({ db, now: () => new Date() });
  ledger = new Ledger({ db, now: () => new Date() });
  worker = new FakeWorker();
  probe = { ffmpeg: '7.0', storageWritable: true };
  logged = [];
});

const jobCount = (): number => (db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
const add = (priority = 5) => jobs.create({ sourceUrl: 'https://example.test/v.mp4', priority, title: null });

function assertError(res: request.Response, status: number, code: string): void {
  assert.equal(res.status, status, `${res.status} ${res.text}`);
  assert.match(String(res.headers['content-type']), /application\/json/);
  assert.equal(res.body.error?.code, code, res.text);
  assert.equal(typeof res.body.error.message, 'string');
  assert.equal(res.text.includes('    at '), false, 'no stack trace in the body');
}

describe('authentication', () => {
  const routes: [string, string][] = [
    ['get', '/api/jobs'],
    ['post', '/api/jobs'],
    ['get', '/api/jobs/jabc'],
    ['post', '/api/jobs/jabc/retry'],
    ['post', '/api/jobs/jabc/cancel'],
    ['post', '/api/poll'],
    ['get', '/api/stats'],
    ['get', '/api/nope'],
  ];

  it('refuses every /api route without the key or with a wrong one', async () => {
    const app = build();
    for (const [method, url] of routes) {
      for (const key of [undefined, '', 'wrong', `${KEY}x`, KEY.slice(0, -1)]) {
        let req = request(app)[method as 'get' | 'post'](url);
        if (key !== undefined) req = req.set('X-API-Key', key);
        assertError(await req.send({ source_url: 'https://example.test/a.mp4' }), 401, 'unauthorized');
      }
    }
    assert.equal(jobCount(), 0);
    assert.deepEqual(worker.calls, []);
  });

  it('accepts the right key', async () => {
    const app = build();
    const res = await request(app).get('/api/jobs').set('X-API-Key', KEY);
    assert.equal(res.status, 200);
    const poll = await request(app).post('/api/poll').set('x-api-key', KEY);
    assert.equal(poll.status, 202);
  });

  it('refuses everything when no key is configured', async () => {
    const app = build({ server: { ...server, apiKey: null } });
    assertError(await request(app).get('/api/jobs').set('X-API-Key', ''), 401, 'unauthorized');
  });
});

describe('GET /health', () => {
  it('answers without auth, with the documented fields', async () => {
    worker.sources = [{ kind: 'local', connected: true, pending: 3, lastPollAt: null, lastError: null }];
    const res = await request(build()).get('/health');
    assert.equal(res.status, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.deepEqual(res.body, {
      status: 'ok',
      state: 'IDLE',
      uptime_s: 100,
      version: '9.9.9',
      ffmpeg: '7.0',
      sources: [{ kind: 'local', connected: true }],
      queue: { pending: 3 },
    });
  });

  it('is degraded (200) when a source is disconnected', async () => {
    worker.sources = [
      { kind: 'local', connected: true, pending: 0, lastPollAt: null, lastError: null },
      { kind: 'appwrite', connected: false, pending: 0, lastPollAt: null, lastError: 'down' },
    ];
    const res = await request(build()).get('/health');
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'degraded');
  });

  const unhealthy: [string, () => void][] = [
    ['worker in ERROR', () => (worker.state = 'ERROR')],
    ['worker shutting down', () => (worker.state = 'SHUTDOWN')],
    ['no ffmpeg', () => (probe = { ...probe, ffmpeg: null })],
    ['storage not writable', () => (probe = { ...probe, storageWritable: false })],
  ];
  for (const [name, breakIt] of unhealthy) {
    it(`answers 503 unhealthy: ${name}`, async () => {
      breakIt();
      const res = await request(build()).get('/health');
      assert.equal(res.status, 503);
      assert.equal(res.body.status, 'unhealthy');
    });
  }

  it('answers 503 when the probe itself throws', async () => {
    const res = await request(build({ health: () => Promise.reject(new Error('probe broke')) })).get('/health');
    assert.equal(res.status, 503);
    assert.equal(res.body.ffmpeg, null);
  });
});

describe('POST /api/jobs', () => {
  const post = (body: unknown) => request(build()).post('/api/jobs').set('X-API-Key', KEY).send(body as object);

  it('queues a job (202) and nudges the poller', async () => {
    const res = await post({ source_url: 'https://example.test/a b.mp4'.replace(' ', '%20'), title: '  Holiday  ' });
    assert.equal(res.status, 202);
    assert.equal(res.body.status, 'pending');
    assert.match(res.body.id, /^j[0-9a-f]{20}$/);
    const job = jobs.get(res.body.id);
    assert.equal(job?.priority, 5);
    assert.equal(job?.title, 'Holiday');
    assert.equal(job?.sourceUrl, 'https://example.test/a%20b.mp4');
    assert.equal(worker.count('pollSoon'), 1);
  });

  it('accepts an explicit priority and http URLs', async () => {
    const res = await post({ source_url: 'http://example.test/x.mov', priority: 10 });
    assert.equal(res.status, 202);
    assert.equal(jobs.get(res.body.id)?.priority, 10);
  });

  const invalid: [string, unknown][] = [
    ['file URL', { source_url: 'file:///etc/passwd' }],
    ['ftp URL', { source_url: 'ftp://example.test/a.mp4' }],
    ['javascript URL', { source_url: 'javascript:alert(1)' }],
    ['not a URL', { source_url: 'not-a-url' }],
    ['relative URL', { source_url: '/a.mp4' }],
    ['URL with a space', { source_url: 'https://example.test/a b.mp4' }],
    ['URL over 2048 chars', { source_url: `https://example.test/${'a'.repeat(2030)}` }],
    ['URL not a string', { source_url: 42 }],
    ['missing URL', { title: 'x' }],
    ['priority 0', { source_url: 'https://example.test/a.mp4', priority: 0 }],
    ['priority 11', { source_url: 'https://example.test/a.mp4', priority: 11 }],
    ['priority "x"', { source_url: 'https://example.test/a.mp4', priority: 'x' }],
    ['priority "5"', { source_url: 'https://example.test/a.mp4', priority: '5' }],
    ['priority 2.5', { source_url: 'https://example.test/a.mp4', priority: 2.5 }],
    ['title too long', { source_url: 'https://example.test/a.mp4', title: 'x'.repeat(201) }],
    ['title with NUL', { source_url: 'https://example.test/a.mp4', title: 'a\u0000b' }],
    ['unknown field', { source_url: 'https://example.test/a.mp4', status: 'completed' }],
    ['array body', [{ source_url: 'https://example.test/a.mp4' }]],
  ];
  for (const [name, body] of invalid) {
    it(`refuses ${name} with 400 and writes nothing`, async () => {
      assertError(await post(body), 400, 'invalid_request');
      assert.equal(jobCount(), 0);
      assert.equal(worker.count('pollSoon'), 0);
    });
  }

  it('accepts a 200-character title', async () => {
    assert.equal((await post({ source_url: 'https://example.test/a.mp4', title: 'x'.repeat(200) })).status, 202);
  });

  it('refuses malformed JSON and non-JSON bodies with 400', async () => {
    const app = build();
    const bad = await request(app).post('/api/jobs').set('X-API-Key', KEY).set('Content-Type', 'application/json').send('{"source_url": ');
    assertError(bad, 400, 'invalid_request');
    const text = await request(app).post('/api/jobs').set('X-API-Key', KEY).set('Content-Type', 'text/plain').send('source_url=https://a.test/');
    assertError(text, 400, 'invalid_request');
    assert.equal(jobCount(), 0);
  });

  it('refuses a body over 64 KB with 413', async () => {
    const res = await post({ source_url: 'https://example.test/a.mp4', title: 'x'.repeat(70_000) });
    assertError(res, 413, 'payload_too_large');
    assert.equal(jobCount(), 0);
  });

  it('answers 409 when the local source is disabled', async () => {
    const res = await request(build({ jobs: null })).post('/api/jobs').set('X-API-Key', KEY).send({ source_url: 'https://example.test/a.mp4' });
    assertError(res, 409, 'conflict');
    assert.match(res.body.error.message, /SOURCES/);
  });
});

describe('GET /api/jobs', () => {
  const get = (query: string) => request(build()).get(`/api/jobs${query}`).set('X-API-Key', KEY);

  it('lists newest first with total, filters and pagination', async () => {
    const a = add();
    await new Promise((r) => setTimeout(r, 5));
    const b = add();
    await new Promise((r) => setTimeout(r, 5));
    const c = add();
    jobs.cancel(b.id);
    const all = await get('');
    assert.equal(all.status, 200);
    assert.equal(all.body.total, 3);
    assert.deepEqual(all.body.jobs.map((j: { id: string }) => j.id), [c.id, b.id, a.id]);
    const page = await get('?limit=1&offset=1');
    assert.deepEqual(page.body.jobs.map((j: { id: string }) => j.id), [b.id]);
    assert.equal(page.body.total, 3);
    const cancelled = await get('?status=cancelled&source=local');
    assert.equal(cancelled.body.total, 1);
    assert.equal(cancelled.body.jobs[0].status, 'cancelled');
    assert.equal(cancelled.body.jobs[0].source_url, 'https://example.test/v.mp4');
    assert.deepEqual((await get('?source=appwrite')).body, { total: 0, jobs: [] });
    assert.equal((await get('?limit=100&offset=1000000')).status, 200);
  });

  for (const query of ['?limit=0', '?limit=101', '?limit=x', '?limit=', '?offset=-1', '?offset=1000001', '?offset=1.5', '?status=done', '?source=youtube', '?status=pending&status=failed']) {
    it(`refuses ${query} with 400`, async () => {
      assertError(await get(query), 400, 'invalid_request');
    });
  }
});

describe('GET /api/jobs/:id', () => {
  it('returns the job with snake_case fields and its ledger attempts', async () => {
    const job = add(2);
    const attempt = ledger.start({ key: `local-${job.id}`, source: 'local', recordId: job.id, title: null, workerId: 'w1' });
    ledger.finish(attempt, { status: 'retrying', errorCode: 'source_timeout', error: 'slow', logTail: ['x'] });
    ledger.start({ key: 'local-other', source: 'local', recordId: 'other', title: null, workerId: 'w1' });
    const res = await request(build()).get(`/api/jobs/${job.id}`).set('X-API-Key', KEY);
    assert.equal(res.status, 200);
    assert.equal(res.body.id, job.id);
    assert.equal(res.body.source, 'local');
    assert.equal(res.body.priority, 2);
    assert.deepEqual(res.body.retry_errors, []);
    for (const field of ['source_url', 'retry_count', 'next_attempt_at', 'error_code', 'claimed_by', 'heartbeat_at', 'progress', 'step', 'hls_url', 'poster_url', 'renditions', 'processing_ms', 'output_bytes', 'completed_at', 'created_at', 'updated_at']) {
      assert.ok(field in res.body, field);
    }
    assert.equal(res.body.attempts.length, 1);
    assert.equal(res.body.attempts[0].status, 'retrying');
    assert.equal(res.body.attempts[0].error_code, 'source_timeout');
    assert.deepEqual(res.body.attempts[0].log_tail, ['x']);
  });

  it('shows the live progress of a job this daemon is running', async () => {
    const job = add();
    const claimed = jobs.claim(job.id, 'w1', job, 300);
    assert.ok(claimed);
    jobs.heartbeat(job.id, 'w1', { percent: 10, step: 'downloading' });
    const app = build();
    worker.active = [{ key: `local-${job.id}`, source: 'local', recordId: job.id, title: null, step: 'transcoding', percent: 57, rung: 'high', etaSeconds: 42, startedAt: new Date().toISOString() }];
    const res = await request(app).get(`/api/jobs/${job.id}`).set('X-API-Key', KEY);
    assert.equal(res.body.progress, 57);
    assert.equal(res.body.step, 'transcoding');
    assert.equal(res.body.eta_seconds, 42);
    worker.active = [];
    const stored = await request(app).get(`/api/jobs/${job.id}`).set('X-API-Key', KEY);
    assert.equal(stored.body.progress, 10);
    assert.equal(stored.body.step, 'downloading');
  });

  it('answers 404 for an unknown id, also when the local source is disabled', async () => {
    assertError(await request(build()).get('/api/jobs/jnothere').set('X-API-Key', KEY), 404, 'not_found');
    assertError(await request(build({ jobs: null })).get('/api/jobs/jnothere').set('X-API-Key', KEY), 404, 'not_found');
  });
});

const BAD_IDS = ['%2e%2e', '..%2F..%2Fetc', '..', 'a%00b', 'a%20b', 'x'.repeat(65), '%zz', 'a%2Fb'];

describe('ids in the path', () => {
  for (const id of BAD_IDS) {
    it(`refuses ${id.length > 20 ? `${id.length} chars` : id} with 400 on get, retry and cancel`, async () => {
      const job = add();
      jobs.cancel(job.id);
      const app = build();
      assertError(await request(app).get(`/api/jobs/${id}`).set('X-API-Key', KEY), 400, 'invalid_request');
      assertError(await request(app).post(`/api/jobs/${id}/retry`).set('X-API-Key', KEY), 400, 'invalid_request');
      assertError(await request(app).post(`/api/jobs/${id}/cancel`).set('X-API-Key', KEY), 400, 'invalid_request');
      assert.equal(jobCount(), 1);
      assert.deepEqual(jobs.countByStatus(), { pending: 0, processing: 0, completed: 0, failed: 0, cancelled: 1 });
      assert.deepEqual(worker.calls, []);
    });
  }
});

describe('retry and cancel', () => {
  const post = (app: ReturnType<typeof build>, id: string, action: string) => request(app).post(`/api/jobs/${id}/${action}`).set('X-API-Key', KEY);

  it('cancels a pending job without aborting anything', async () => {
    const job = add();
    const res = await post(build(), job.id, 'cancel');
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'cancelled');
    assert.equal(worker.count('abortJob'), 0);
    assertError(await post(build(), job.id, 'cancel'), 409, 'conflict');
  });

  it('cancels a processing job and aborts it on this daemon', async () => {
    const job = add();
    assert.ok(jobs.claim(job.id, 'w1', job, 300));
    const res = await post(build(), job.id, 'cancel');
    assert.equal(res.status, 200);
    assert.deepEqual(worker.aborted, [{ key: `local-${job.id}`, reason: 'cancelled' }]);
  });

  it('retries a cancelled job at priority 1 and polls soon; refuses other states', async () => {
    const job = add(8);
    assertError(await post(build(), job.id, 'retry'), 409, 'conflict');
    jobs.cancel(job.id);
    const res = await post(build(), job.id, 'retry');
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'pending');
    assert.equal(res.body.priority, 1);
    assert.equal(worker.count('pollSoon'), 1);
  });

  it('answers 404 for unknown jobs and 409 when the local source is disabled', async () => {
    assertError(await post(build(), 'jmissing', 'retry'), 404, 'not_found');
    assertError(await post(build(), 'jmissing', 'cancel'), 404, 'not_found');
    assertError(await post(build({ jobs: null }), 'jmissing', 'cancel'), 409, 'conflict');
  });
});

describe('poll, stats, errors', () => {
  it('POST /api/poll triggers a tick', async () => {
    const res = await request(build()).post('/api/poll').set('X-API-Key', KEY);
    assert.equal(res.status, 202);
    assert.deepEqual(res.body, { polling: true });
    assert.deepEqual(worker.calls, ['pollNow']);
  });

  it('GET /api/stats returns ledger figures and queue counts', async () => {
    add();
    const done = ledger.start({ key: 'local-a', source: 'local', recordId: 'a', title: null, workerId: 'w' });
    ledger.finish(done, { status: 'completed', processingMs: 2000, outputBytes: 50 });
    const res = await request(build()).get('/api/stats').set('X-API-Key', KEY);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.today, { completed: 1, failed: 0, retried: 0, processing: 0 });
    assert.equal(res.body.average_processing_ms, 2000);
    assert.equal(res.body.success_rate, 1);
    assert.equal(res.body.storage_used_today_bytes, 50);
    assert.equal(typeof res.body.last_completed_at, 'string');
    assert.deepEqual(res.body.queue, { pending: 1, processing: 0, completed: 0, failed: 0, cancelled: 0 });
  });

  it('answers unknown routes with the JSON 404 shape', async () => {
    assertError(await request(build()).get('/nowhere'), 404, 'not_found');
    assertError(await request(build()).delete('/api/jobs').set('X-API-Key', KEY), 404, 'not_found');
  });

  it('hides unexpected errors behind a logged 500', async () => {
    const broken = { stats: () => { throw new Error('disk /secret/path exploded'); } } as unknown as Ledger;
    const res = await request(build({ ledger: broken })).get('/api/stats').set('X-API-Key', KEY);
    assertError(res, 500, 'internal_error');
    assert.equal(res.text.includes('/secret/path'), false);
    assert.ok(logged.some((line) => line.includes('/secret/path')), 'the real error is logged');
  });

  it('sets security headers and hides the framework', async () => {
    const res = await request(build()).get('/health');
    assert.equal(res.headers['x-powered-by'], undefined);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });
});

describe('/storage/hls', () => {
  const get = (url: string, overrides: Partial<AppDeps> = {}) => request(build(overrides)).get(url).buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });

  const served: [string, string, RegExp][] = [
    ['/storage/hls/local-jabc/master.m3u8', 'application/vnd.apple.mpegurl', /max-age=10$/],
    ['/storage/hls/local-jabc/high/segment000.ts', 'video/mp2t', /max-age=31536000, immutable/],
    ['/storage/hls/local-jabc/poster.jpg', 'image/jpeg', /max-age=300/],
  ];
  for (const [url, type, cache] of served) {
    it(`serves ${path.basename(url)} as ${type} with CORS, without auth`, async () => {
      const res = await get(url);
      assert.equal(res.status, 200);
      assert.equal(String(res.headers['content-type']).split(';')[0], type);
      assert.equal(res.headers['access-control-allow-origin'], '*');
      assert.equal(res.headers['cross-origin-resource-policy'], 'cross-origin');
      assert.match(String(res.headers['cache-control']), cache);
    });
  }

  const refused = [
    '/storage/hls/../state.db',
    '/storage/hls/state.db',
    '/storage/hls/temp/local-x/secret.txt',
    '/storage/hls/%2e%2e/state.db',
    '/storage/hls/%2E%2E/state.db',
    '/storage/hls/..%2fstate.db',
    '/storage/hls/..%5cstate.db',
    '/storage/hls/local-jabc/../../state.db',
    '/storage/hls/x/../../temp/local-x/secret.txt',
    '/storage/hls/%2e%2e/temp/local-x/secret.txt',
    '/storage/hls/.hidden',
    '/storage/hls/local-jabc/master.m3u8%00.ts',
    '/storage/hls/local-jabc/',
    '/storage/hls/local-jabc',
    '/storage/hls/',
    '/storage/hls/missing/master.m3u8',
    '/storage/state.db',
    '/storage/temp/local-x/secret.txt',
  ];
  for (const url of refused) {
    it(`never serves ${url}`, async () => {
      const res = await get(url);
      assert.equal(res.status, 404, `${url} -> ${res.status}`);
      const body = (res.body as Buffer).toString();
      assert.equal(body.includes('SQLite format'), false);
      assert.equal(body.includes('SECRET-TEMP'), false);
      assert.equal(body.includes('hidden'), false);
      assert.equal(JSON.parse(body).error.code, 'not_found');
    });
  }

  it('is not mounted when SERVE_HLS is false', async () => {
    const res = await get('/storage/hls/local-jabc/master.m3u8', { server: { ...server, serveHls: false } });
    assert.equal(res.status, 404);
  });

  it('serves nothing for other methods', async () => {
    const res = await request(build()).post('/storage/hls/local-jabc/master.m3u8');
    assertError(res, 404, 'not_found');
  });
});
