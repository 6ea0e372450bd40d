import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import {
  setProbe,
  KEY,
  add,
  assertError,
  build,
  jobCount,
  jobs,
  ledger,
  probe,
  server,
  useApiFixture,
  worker,
} from '../helpers/api-fixture.js';

useApiFixture();

describe('authentication', () => {
  const routes: [string, string][] = [
    ['get', '/api/jobs'],
    ['post', '/api/jobs'],
    ['get', '/api/jobs/jabc'],
    ['post', '/api/jobs/jabc/retry'],
    ['post', '/api/jobs/jabc/cancel'],
    ['get', '/api/jobs/local-jabc'],
    ['post', '/api/jobs/local-jabc/retry'],
    ['patch', '/api/jobs/local-jabc'],
    ['delete', '/api/jobs/local-jabc'],
    ['post', '/api/poll'],
    ['get', '/api/stats'],
    ['get', '/api/workers'],
    ['get', '/api/nope'],
  ];

  it('refuses every /api route without the key or with a wrong one', async () => {
    const app = build();
    for (const [method, url] of routes) {
      for (const key of [undefined, '', 'wrong', `${KEY}x`, KEY.slice(0, -1)]) {
        let req = request(app)[method as 'get' | 'post' | 'patch' | 'delete'](url);
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
    worker.sources = [{ kind: 'local', connected: true, pending: 3, lastPollAt: null, lastError: null, lastErrorCode: null }];
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
      { kind: 'local', connected: true, pending: 0, lastPollAt: null, lastError: null, lastErrorCode: null },
      {
        kind: 'appwrite',
        connected: false,
        pending: 0,
        lastPollAt: null,
        lastError: 'Appwrite refused the request at http://10.0.0.5/v1: the API key or project id is wrong',
        lastErrorCode: 'cms_unauthorized',
      },
    ];
    const res = await request(build()).get('/health');
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'degraded');
    assert.deepEqual(res.body.sources, [
      { kind: 'local', connected: true },
      { kind: 'appwrite', connected: false, error: 'cms_unauthorized' },
    ]);
    assert.doesNotMatch(res.text, /10\.0\.0\.5|API key/, 'the message stays behind the API key: /health is public');
  });

  const unhealthy: [string, () => void][] = [
    ['worker in ERROR', () => (worker.state = 'ERROR')],
    ['worker shutting down', () => (worker.state = 'SHUTDOWN')],
    ['no ffmpeg', () => setProbe({ ...probe, ffmpeg: null })],
    ['storage not writable', () => setProbe({ ...probe, storageWritable: false })],
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
  const post = (body: unknown) =>
    request(build())
      .post('/api/jobs')
      .set('X-API-Key', KEY)
      .send(body as object);

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
    const text = await request(app)
      .post('/api/jobs')
      .set('X-API-Key', KEY)
      .set('Content-Type', 'text/plain')
      .send('source_url=https://a.test/');
    assertError(text, 400, 'invalid_request');
    assert.equal(jobCount(), 0);
  });

  it('refuses a body over 64 KB with 413', async () => {
    const res = await post({ source_url: 'https://example.test/a.mp4', title: 'x'.repeat(70_000) });
    assertError(res, 413, 'payload_too_large');
    assert.equal(jobCount(), 0);
  });

  it('answers 409 when the local source is disabled', async () => {
    const res = await request(build({ jobs: null }))
      .post('/api/jobs')
      .set('X-API-Key', KEY)
      .send({ source_url: 'https://example.test/a.mp4' });
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
    assert.deepEqual(
      all.body.jobs.map((j: { id: string }) => j.id),
      [c.id, b.id, a.id],
    );
    const page = await get('?limit=1&offset=1');
    assert.deepEqual(
      page.body.jobs.map((j: { id: string }) => j.id),
      [b.id],
    );
    assert.equal(page.body.total, 3);
    const cancelled = await get('?status=cancelled&source=local');
    assert.equal(cancelled.body.total, 1);
    assert.equal(cancelled.body.jobs[0].status, 'cancelled');
    assert.equal(cancelled.body.jobs[0].source_url, 'https://example.test/v.mp4');
    const other = await get('?source=appwrite');
    assertError(other, 400, 'invalid_request');
    assert.match(other.body.error.message, /appwrite source is not configured/);
    assert.equal((await get('?limit=100&offset=1000000')).status, 200);
  });

  for (const query of [
    '?limit=0',
    '?limit=101',
    '?limit=x',
    '?limit=',
    '?offset=-1',
    '?offset=1000001',
    '?offset=1.5',
    '?status=done',
    '?source=youtube',
    '?status=pending&status=failed',
  ]) {
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
    for (const field of [
      'source_url',
      'retry_count',
      'next_attempt_at',
      'error_code',
      'claimed_by',
      'heartbeat_at',
      'progress',
      'step',
      'hls_url',
      'poster_url',
      'renditions',
      'processing_ms',
      'output_bytes',
      'completed_at',
      'created_at',
      'updated_at',
    ]) {
      assert.ok(field in res.body, field);
    }
    assert.equal(res.body.attempts.length, 1);
    assert.equal(res.body.attempts[0].status, 'retrying');
    assert.equal(res.body.attempts[0].error_code, 'source_timeout');
    assert.deepEqual(res.body.attempts[0].log_tail, ['x']);
    assert.equal(res.body.conversions, null, 'no attempt completed yet');
  });

  it('shows what the completed attempt did to the source', async () => {
    const job = add(2);
    const key = `local-${job.id}`;
    const failed = ledger.start({ key, source: 'local', recordId: job.id, title: null, workerId: 'w1' });
    ledger.finish(failed, { status: 'retrying', errorCode: 'source_timeout', error: 'slow' });
    const done = ledger.start({ key, source: 'local', recordId: job.id, title: null, workerId: 'w1' });
    ledger.finish(done, { status: 'completed', conversions: ['deinterlaced', 'anamorphic'] });
    const res = await request(build()).get(`/api/jobs/${job.id}`).set('X-API-Key', KEY);
    assert.deepEqual(res.body.conversions, ['deinterlaced', 'anamorphic']);
    assert.deepEqual(
      res.body.attempts.map((a: { conversions: unknown }) => a.conversions),
      [['deinterlaced', 'anamorphic'], null],
    );
  });

  it('shows the live progress of a job this daemon is running', async () => {
    const job = add();
    const claimed = jobs.claim(job.id, 'w1', job, 300);
    assert.ok(claimed);
    jobs.heartbeat(job.id, 'w1', { percent: 10, step: 'downloading' });
    const app = build();
    worker.active = [
      {
        key: `local-${job.id}`,
        source: 'local',
        recordId: job.id,
        title: null,
        step: 'transcoding',
        percent: 57,
        rung: 'high',
        etaSeconds: 42,
        startedAt: new Date().toISOString(),
      },
    ];
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
    assertError(
      await request(build({ jobs: null }))
        .get('/api/jobs/jnothere')
        .set('X-API-Key', KEY),
      404,
      'not_found',
    );
  });
});
