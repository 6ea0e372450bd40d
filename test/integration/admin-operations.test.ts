/**
 * The dashboard's operator actions through its forms (CSRF, session): the per-source totals and
 * filters, retry all failed, priority, delete with its confirmation. A real daemon on the local
 * source; the same actions on WordPress and Appwrite records are in test/e2e/operator-window.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, ADMIN_USER, logIn } from '../helpers/admin-login.js';
import { routes, sendBody, startServer, type TestServer } from '../helpers/http-fixtures.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

describe('dashboard: the operator actions', () => {
  let vc: TestDaemon;
  let source: TestServer;
  before(async () => {
    source = await startServer(routes({ '/missing.mp4': sendBody('gone', { status: 404, contentType: 'text/plain' }) }));
    vc = await startTestDaemon({ ADMIN_USER, ADMIN_PASSWORD, RETRY_DELAYS: '1h' });
  });
  after(async () => {
    await vc.close();
    await source.close();
  });

  const failedJob = async (title: string): Promise<string> => {
    const { body } = await vc.api('POST', '/api/jobs', { source_url: source.url('/missing.mp4'), title });
    await vc.waitForJob(body.id, (j) => j.status === 'failed', 20_000);
    return body.id as string;
  };

  it('shows the totals per source and status, filters by source and status, and retries every failed job', async () => {
    const { agent, csrf } = await logIn(vc.baseUrl);
    const ids = [await failedJob('first broken'), await failedJob('second broken')];
    const page = await agent.get('/admin/jobs?source=local&status=failed').set('Accept', 'text/html').expect(200);
    assert.match(
      page.text,
      /<tr data-source="local"><td>local<\/td><td><a[^>]*>0<\/a><\/td><td><a[^>]*>0<\/a><\/td><td><a[^>]*>0<\/a><\/td><td><a[^>]*>2<\/a>/,
    );
    for (const id of ids) assert.ok(page.text.includes(`data-key="local-${id}"`), `${id} listed`);
    assert.match(page.text, /<option value="local" selected>/);

    const forged = await agent.post('/admin/jobs/retry-failed').type('form').send({ source: 'local' });
    assert.equal(forged.status, 403, 'the CSRF token is required');
    const bad = await agent.post('/admin/jobs/retry-failed').type('form').send({ _csrf: csrf, source: 'ftp' });
    assert.equal(bad.status, 400);
    const res = await agent.post('/admin/jobs/retry-failed').type('form').send({ _csrf: csrf, source: 'local', returnTo: '/admin/jobs' });
    assert.equal(res.status, 303);
    for (const id of ids) {
      const job = (await vc.api('GET', `/api/jobs/local-${id}`)).body;
      assert.equal(job.priority, 1, 'retried at priority 1');
      assert.ok(['pending', 'processing', 'failed'].includes(job.status));
      assert.ok(job.retry_errors.length >= 1, 'the history is kept');
    }
    const flash = await agent.get('/admin/jobs').set('Accept', 'text/html').expect(200);
    assert.match(flash.text, /local: 2 failed jobs queued again at priority 1/);
  });

  it('changes the priority of a job from its row', async () => {
    const { agent, csrf } = await logIn(vc.baseUrl);
    const id = await failedJob('reprioritised');
    const set = (priority: string) => agent.post(`/admin/jobs/local-${id}/priority`).type('form').send({ _csrf: csrf, priority });
    assert.equal((await set('0')).status, 400);
    assert.equal((await set('x')).status, 400);
    assert.equal((await vc.api('GET', `/api/jobs/${id}`)).body.priority, 5, 'nothing written');
    assert.equal((await set('8')).status, 303);
    assert.equal((await vc.api('GET', `/api/jobs/${id}`)).body.priority, 8);
  });

  it('deletes a job and its ladder only with the confirmation', async () => {
    const { agent, csrf } = await logIn(vc.baseUrl);
    const id = await failedJob('to delete');
    const ladder = path.join(vc.storageDir, 'hls', `local-${id}`);
    mkdirSync(ladder, { recursive: true });
    writeFileSync(path.join(ladder, 'master.m3u8'), '#EXTM3U\n');
    const page = await agent.get(`/admin/jobs/local-${id}`).set('Accept', 'text/html').expect(200);
    assert.match(page.text, /<details class="confirm inline"><summary[^>]*>Delete…<\/summary>/);
    assert.match(page.text, /Deletes the job and its ladder\./);

    const unconfirmed = await agent.post(`/admin/jobs/local-${id}/delete`).type('form').send({ _csrf: csrf });
    assert.equal(unconfirmed.status, 400);
    assert.ok(existsSync(ladder), 'nothing removed without the confirmation');
    assert.equal((await vc.api('GET', `/api/jobs/${id}`)).status, 200);

    const res = await agent.post(`/admin/jobs/local-${id}/delete`).type('form').send({ _csrf: csrf, confirm: 'yes' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/admin/jobs');
    assert.equal((await vc.api('GET', `/api/jobs/${id}`)).status, 404);
    assert.equal(existsSync(ladder), false);
  });

  it('opens a job page by key and by bare id, and refuses a malformed key', async () => {
    const { agent } = await logIn(vc.baseUrl);
    const id = await failedJob('addressed');
    for (const url of [`/admin/jobs/local-${id}`, `/admin/jobs/${id}`]) {
      const page = await agent.get(url).set('Accept', 'text/html').expect(200);
      assert.ok(page.text.includes(`data-job-key="local-${id}"`), url);
    }
    assert.equal((await agent.get('/admin/jobs/local-..').set('Accept', 'text/html')).status, 400);
    assert.equal((await agent.get('/admin/jobs/wordpress-1').set('Accept', 'text/html')).status, 404, 'a source that is not configured');
  });
});
