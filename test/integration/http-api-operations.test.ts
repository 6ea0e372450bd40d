/**
 * The operator's API beyond submit/retry/cancel: job keys, PATCH, DELETE, the per-job ladder and
 * callback_url on submission, the listing's search and totals. The CMS sources' side of the same
 * actions is held by test/contract/operations-contract.ts; the whole loop with WordPress and
 * Appwrite by test/e2e.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import request from 'supertest';
import { KEY, add, assertError, build, jobCount, jobs, storage, useApiFixture, worker } from '../helpers/api-fixture.js';
import { publishResultFor } from '../helpers/publish-result.js';

useApiFixture();

const api = (app = build()) => ({
  get: (url: string) => request(app).get(url).set('X-API-Key', KEY),
  post: (url: string, body?: object) => request(app).post(url).set('X-API-Key', KEY).send(body),
  patch: (url: string, body: unknown) =>
    request(app)
      .patch(url)
      .set('X-API-Key', KEY)
      .send(body as object),
  delete: (url: string) => request(app).delete(url).set('X-API-Key', KEY),
});

/** A local job claimed and completed with a ladder on disk. */
function completedWithLadder(): { id: string; key: string; dir: string } {
  const job = add();
  assert.ok(jobs.claim(job.id, 'test:1', job, 300));
  const key = `local-${job.id}`;
  jobs.complete(job.id, 'test:1', publishResultFor(key, { rungs: ['low'] }));
  const dir = path.join(storage.hlsDir, key);
  mkdirSync(path.join(dir, 'low'), { recursive: true });
  writeFileSync(path.join(dir, 'master.m3u8'), '#EXTM3U\n');
  return { id: job.id, key, dir };
}

describe('jobs addressed by key', () => {
  it('answers the same job by key and by bare local id, with its key, attempts and callbacks', async () => {
    const job = add();
    const byKey = await api().get(`/api/jobs/local-${job.id}`);
    const byId = await api().get(`/api/jobs/${job.id}`);
    assert.equal(byKey.status, 200);
    assert.deepEqual(byKey.body, byId.body);
    assert.equal(byKey.body.key, `local-${job.id}`);
    assert.deepEqual([byKey.body.attempts, byKey.body.callbacks, byKey.body.ladder], [[], [], []]);
  });

  it('refuses malformed keys with 400; an unknown prefix is a bare local id; an unconfigured source is 404', async () => {
    assertError(await api().get('/api/jobs/ftp-abc'), 404, 'not_found');
    assertError(await api().get('/api/jobs/ftp-a%2Fb'), 400, 'invalid_request');
    assertError(await api().get('/api/jobs/local-..'), 400, 'invalid_request');
    assertError(await api().get('/api/jobs/wordpress-12'), 404, 'not_found');
  });
});

describe('POST /api/jobs with ladder and callback_url', () => {
  it('keeps a valid per-job ladder', async () => {
    const res = await api().post('/api/jobs', { source_url: 'https://example.test/a.mp4', ladder: ['high', 'low'] });
    assert.equal(res.status, 202);
    assert.equal(res.body.key, `local-${res.body.id}`);
    assert.deepEqual(jobs.get(res.body.id)?.ladder, ['high', 'low']);
  });

  for (const ladder of [[], ['ultra'], ['low', 'low'], 'low', [1]]) {
    it(`refuses ladder ${JSON.stringify(ladder)} and writes nothing`, async () => {
      assertError(await api().post('/api/jobs', { source_url: 'https://example.test/a.mp4', ladder }), 400, 'invalid_request');
      assert.equal(jobCount(), 0);
    });
  }

  it('refuses a callback_url that is not an http(s) URL, and one when callbacks are unavailable', async () => {
    for (const callback_url of ['ftp://x.test/cb', 'not a url', `https://x.test/${'a'.repeat(2100)}`]) {
      assertError(await api().post('/api/jobs', { source_url: 'https://example.test/a.mp4', callback_url }), 400, 'invalid_request');
    }
    assertError(
      await api(build({ callbacks: null })).post('/api/jobs', {
        source_url: 'https://example.test/a.mp4',
        callback_url: 'https://x.test/cb',
      }),
      500,
      'internal_error',
    );
  });

  it('registers a valid callback_url for the new job', async () => {
    const registered: [string, string][] = [];
    const callbacks = {
      register: async (key: string, url: string) => void registered.push([key, url]),
      deliveriesJson: async () => [],
    };
    const res = await api(build({ callbacks })).post('/api/jobs', {
      source_url: 'https://example.test/a.mp4',
      callback_url: 'https://hooks.test/done',
    });
    assert.equal(res.status, 202);
    assert.deepEqual(registered, [[`local-${res.body.id}`, 'https://hooks.test/done']]);
  });
});

describe('PATCH /api/jobs/:key', () => {
  it('changes priority and ladder, and polls soon for a pending job', async () => {
    const job = add();
    const res = await api().patch(`/api/jobs/local-${job.id}`, { priority: 2, ladder: ['low'] });
    assert.equal(res.status, 200);
    assert.deepEqual([res.body.priority, res.body.ladder], [2, ['low']]);
    assert.equal(worker.count('pollSoon'), 1);
    const back = await api().patch(`/api/jobs/local-${job.id}`, { ladder: null });
    assert.deepEqual([back.body.priority, back.body.ladder], [2, []]);
  });

  for (const body of [{}, { priority: 0 }, { priority: 11 }, { priority: '3' }, { ladder: ['ultra'] }, { status: 'completed' }, []]) {
    it(`refuses ${JSON.stringify(body)} and changes nothing`, async () => {
      const job = add(7);
      assertError(await api().patch(`/api/jobs/local-${job.id}`, body), 400, 'invalid_request');
      assert.deepEqual([jobs.get(job.id)?.priority, jobs.get(job.id)?.ladder], [7, []]);
    });
  }

  it('answers 404 for an unknown job', async () => {
    assertError(await api().patch('/api/jobs/local-jnope', { priority: 3 }), 404, 'not_found');
  });
});

describe('DELETE /api/jobs/:key', () => {
  it('deletes a local job and its ladder', async () => {
    const { id, key, dir } = completedWithLadder();
    const res = await api().delete(`/api/jobs/${key}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { key, record: 'deleted', ladder_removed: true });
    assert.equal(jobs.get(id), null);
    assert.equal(existsSync(dir), false);
    assertError(await api().delete(`/api/jobs/${key}`), 404, 'not_found');
  });

  it('removes the ladder of a job trimmed from the store (its record gone, its files kept)', async () => {
    const { id, key, dir } = completedWithLadder();
    jobs.remove(id);
    const res = await api().delete(`/api/jobs/${key}`);
    assert.deepEqual(res.body, { key, record: 'absent', ladder_removed: true });
    assert.equal(existsSync(dir), false);
  });

  it('refuses a job being processed and keeps everything', async () => {
    const job = add();
    assert.ok(jobs.claim(job.id, 'w1', job, 300));
    assertError(await api().delete(`/api/jobs/local-${job.id}`), 409, 'conflict');
    assert.equal(jobs.get(job.id)?.status, 'processing');
  });
});

describe('GET /api/jobs search and totals', () => {
  it('searches titles and ids and reports the totals per source and status', async () => {
    const lisbon = jobs.create({ sourceUrl: 'https://example.test/a.mp4', priority: 5, title: 'Lisbon by night' });
    // The store stamps with the wall clock here: a later millisecond makes the order certain.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const other = jobs.create({ sourceUrl: 'https://example.test/b.mp4', priority: 5, title: 'Porto' });
    jobs.cancel(other.id);
    const found = await api().get('/api/jobs?q=lisbon');
    assert.deepEqual(
      found.body.jobs.map((j: { id: string }) => j.id),
      [lisbon.id],
    );
    assert.deepEqual(found.body.sources, [
      { source: 'local', total: 1, counts: { pending: 1, processing: 0, completed: 0, failed: 0, cancelled: 1 } },
    ]);
    assert.deepEqual([found.body.page, found.body.per_page, found.body.errors], [1, 20, []]);
    const byKey = await api().get(`/api/jobs?q=local-${other.id}`);
    assert.equal(byKey.body.total, 1);
    const paged = await api().get('/api/jobs?page=2&per_page=1');
    assert.deepEqual(
      paged.body.jobs.map((j: { id: string }) => j.id),
      [lisbon.id],
    );
  });

  for (const query of ['?page=0', '?per_page=101', '?q=' + 'x'.repeat(201), '?q=%07bell', '?status=done', '?source=ftp']) {
    it(`refuses ${query.slice(0, 30)} with 400`, async () => {
      assertError(await api().get(`/api/jobs${query}`), 400, 'invalid_request');
    });
  }
});
