import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import request from 'supertest';
import { type AppDeps } from '../../src/http/app.js';
import type { LedgerStore } from '../../src/store/store.js';
import { KEY, add, assertError, build, db, jobCount, jobs, ledger, logged, server, useApiFixture, worker } from '../helpers/api-fixture.js';
import { WorkerRegistry } from '../../src/store/worker-registry.js';

useApiFixture();

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
  const post = (app: ReturnType<typeof build>, id: string, action: string) =>
    request(app).post(`/api/jobs/${id}/${action}`).set('X-API-Key', KEY);

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

  it('answers 404 for unknown jobs, and for any job of a source that is not configured', async () => {
    assertError(await post(build(), 'jmissing', 'retry'), 404, 'not_found');
    assertError(await post(build(), 'jmissing', 'cancel'), 404, 'not_found');
    assertError(await post(build({ jobs: null }), 'jmissing', 'cancel'), 404, 'not_found');
    assertError(await post(build(), 'appwrite-abc', 'cancel'), 404, 'not_found');
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

  it('GET /api/workers lists the fleet from the store: state, jobs, last heartbeat, lost after silence', async () => {
    const registry = new WorkerRegistry(db);
    // The fixture's clock reads 2024-01-01T00:01:40Z.
    const jobsNow = [{ key: 'local-j1', title: 'Intro', percent: 40, step: 'encoding' }];
    const beat = { host: 'enc', version: '1.0.0', startedAt: '2024-01-01T00:00:00.000Z' };
    registry.beat({ ...beat, workerId: 'a:1', state: 'PROCESSING', jobs: jobsNow }, new Date('2024-01-01T00:01:35.000Z'));
    registry.beat({ ...beat, workerId: 'b:2', state: 'WAITING', jobs: [] }, new Date('2024-01-01T00:00:30.000Z'));
    const res = await request(build()).get('/api/workers').set('X-API-Key', KEY);
    assert.equal(res.status, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.deepEqual(res.body.workers, [
      {
        worker_id: 'a:1',
        host: 'enc',
        version: '1.0.0',
        state: 'PROCESSING',
        lost: false,
        jobs: jobsNow,
        heartbeat_at: '2024-01-01T00:01:35.000Z',
      },
      { worker_id: 'b:2', host: 'enc', version: '1.0.0', state: 'LOST', lost: true, jobs: [], heartbeat_at: '2024-01-01T00:00:30.000Z' },
    ]);
  });

  it('hides unexpected errors behind a logged 500', async () => {
    const broken = {
      stats: async () => {
        throw new Error('disk /secret/path exploded');
      },
    } as unknown as LedgerStore;
    const res = await request(build({ ledger: broken }))
      .get('/api/stats')
      .set('X-API-Key', KEY);
    assertError(res, 500, 'internal_error');
    assert.equal(res.text.includes('/secret/path'), false);
    assert.ok(
      logged.some((line) => line.includes('/secret/path')),
      'the real error is logged',
    );
  });

  it('sets security headers and hides the framework', async () => {
    const res = await request(build()).get('/health');
    assert.equal(res.headers['x-powered-by'], undefined);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });
});

describe('/storage/hls', () => {
  const get = (url: string, overrides: Partial<AppDeps> = {}) =>
    request(build(overrides))
      .get(url)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });

  const served: [string, string, RegExp][] = [
    ['/storage/hls/local-jabc/master.m3u8', 'application/vnd.apple.mpegurl', /max-age=10$/],
    ['/storage/hls/local-jabc/high/segment000.ts', 'video/mp2t', /max-age=31536000, immutable/],
    ['/storage/hls/local-jabc/poster.jpg', 'image/jpeg', /max-age=300/],
    ['/storage/hls/local-jabc/preview.mp4', 'video/mp4', /max-age=300$/],
    ['/storage/hls/local-jabc/storyboard/storyboard.vtt', 'text/vtt', /max-age=300$/],
    ['/storage/hls/local-jabc/metadata.json', 'application/json', /max-age=60$/],
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
