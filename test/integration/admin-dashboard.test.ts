import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { Monitoring } from '../../src/alerts/monitoring.js';
import { loadConfig } from '../../src/config/config.js';
import { hashPassword, verifyPasswordHash } from '../../src/http/admin/password-hash.js';
import { LOGIN_ATTEMPTS } from '../../src/http/admin/login-routes.js';
import { daemonMounts } from '../../src/http/daemon-mounts.js';
import { silentLogger } from '../../src/logging/logger.js';
import type { WorkerControl } from '../../src/domain/worker.js';
import { openDatabase } from '../../src/store/database.js';
import { ignoreEvents } from '../../src/domain/events.js';
import { JobOperations } from '../../src/pipeline/job-operations.js';
import { sqliteStore } from '../../src/store/sqlite-store.js';
import { routes, sendBody, startServer, type TestServer } from '../helpers/http-fixtures.js';
import { snapshot } from '../helpers/monitoring-fixtures.js';
import { ADMIN_PASSWORD as PASSWORD, ADMIN_USER as USER, csrfOf, logIn } from '../helpers/admin-login.js';
import { startTestDaemon, TEST_API_KEY, type TestDaemon } from '../helpers/test-daemon.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const XSS_TITLE = '<script>alert("pwned")</script> & <img src=x onerror=alert(1)>';

/** Every protected route of the admin router; the test below fails if the router grows one that is not listed. */
const PROTECTED = [
  'GET /',
  'GET /api/overview',
  'POST /alerts/:id/ack',
  'POST /alerts/test',
  'POST /logout',
  'GET /jobs',
  'GET /jobs/:key',
  'GET /api/jobs/:key',
  'POST /jobs/:key/retry',
  'POST /jobs/:key/cancel',
  'POST /jobs/:key/priority',
  'POST /jobs/:key/delete',
  'POST /jobs/retry-failed',
  'POST /jobs/:key/poster',
];
const PUBLIC = ['GET /login', 'POST /login', 'GET /hls.min.js', 'GET /plyr.min.js', 'GET /plyr.css', 'GET /plyr.svg'];

function collectRoutes(router: any): string[] {
  const found: string[] = [];
  for (const layer of router.stack ?? []) {
    if (layer.route) for (const method of Object.keys(layer.route.methods)) found.push(`${method.toUpperCase()} ${layer.route.path}`);
    else if (layer.handle?.stack) found.push(...collectRoutes(layer.handle));
  }
  return found;
}

describe('admin dashboard: login, session, CSRF', () => {
  let vc: TestDaemon;
  let source: TestServer;
  before(async () => {
    source = await startServer(
      routes({ '/missing.mp4': sendBody('gone', { status: 404, contentType: 'text/plain' }), '/stall.mp4': () => undefined }),
    );
    vc = await startTestDaemon({ ADMIN_USER: USER, ADMIN_PASSWORD: PASSWORD, METRICS_TOKEN, RETRY_DELAYS: '1h' });
  });
  after(async () => {
    await vc.close();
    await source.close();
  });

  it('covers every route of the router in this test', () => {
    const config = loadConfig({ envFile: false, env: { ADMIN_PASSWORD: PASSWORD } });
    const now = () => new Date();
    const store = sqliteStore(openDatabase(':memory:'), now);
    const monitoring = new Monitoring({ config, store, jobs: null, log: silentLogger(), now });
    const metrics = { metrics: async () => '', contentType: 'text/plain' };
    const worker = { snapshot: () => snapshot({ now: new Date() }) } as WorkerControl;
    const mounts = daemonMounts({
      config,
      apiKey: TEST_API_KEY,
      worker,
      operations: new JobOperations({ sources: [], worker, events: ignoreEvents, hlsDir: '/nonexistent', log: silentLogger() }),
      ledger: store.ledger,
      workers: store.workers,
      monitoring,
      metrics,
      log: silentLogger(),
      now,
    });
    const admin = mounts.find((m) => m.path === '/admin');
    assert.deepEqual(collectRoutes(admin?.handler).sort(), [...PROTECTED, ...PUBLIC].sort());
  });

  it('refuses every protected route without a session: pages go to the login, the rest answer 401', async () => {
    for (const route of PROTECTED) {
      const [method, pattern] = route.split(' ') as [string, string];
      const url = `/admin${pattern.replace(':id', '1').replace(':key', 'local-1')}`;
      if (method === 'GET') {
        const page = await request(vc.baseUrl).get(url).set('Accept', 'text/html');
        assert.equal(page.status, 303, route);
        assert.equal(page.headers.location, `/admin/login?next=${encodeURIComponent(url)}`);
        const json = await request(vc.baseUrl).get(url).set('Accept', 'application/json');
        assert.equal(json.status, 401, route);
        assert.equal(json.body.error.code, 'unauthorized');
      } else {
        const res = await request(vc.baseUrl).post(url).type('form').send({ _csrf: 'x' });
        assert.equal(res.status, 401, route);
      }
    }
    assert.equal((await request(vc.baseUrl).get('/admin/nonexistent').set('Accept', 'text/html')).status, 303, 'unknown paths too');
  });

  it('logs in with a CSRF token and sets a strict, httpOnly session cookie scoped to /admin', async () => {
    const agent = request.agent(vc.baseUrl);
    const page = await agent.get('/admin/login').expect(200);
    assert.match(page.text, /<form method="post" action="\/admin\/login"/);
    const noToken = await agent.post('/admin/login').type('form').send({ user: USER, password: PASSWORD });
    assert.equal(noToken.status, 403, 'no token, no login');
    const wrong = await agent
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrfOf(page.text), user: USER, password: 'not the password' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.text, /Wrong user name or password/);
    const { loginResponse } = await logIn(vc.baseUrl);
    const cookies = ([] as string[]).concat(loginResponse.headers['set-cookie'] ?? []);
    const session = cookies.find((c) => c.startsWith('vc_admin='));
    assert.ok(session, 'session cookie set');
    assert.match(session, /; path=\/admin/);
    assert.match(session, /; samesite=strict/i);
    assert.match(session, /; httponly/i);
    assert.doesNotMatch(session, /; secure/i, 'plain HTTP without a trusted proxy: not Secure');
    assert.ok(!cookies.join(';').includes(PASSWORD));
  });

  it('never redirects outside /admin after login', async () => {
    const agent = request.agent(vc.baseUrl);
    const page = await agent.get('/admin/login?next=https://evil.example/').expect(200);
    const res = await agent
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrfOf(page.text), user: USER, password: PASSWORD, next: '//evil.example/admin' });
    assert.equal(res.headers.location, '/admin');
  });

  it('renders every panel, with a CSP that allows only its own scripts', async () => {
    const { agent } = await logIn(vc.baseUrl);
    const res = await agent.get('/admin').set('Accept', 'text/html').expect(200);
    for (const panel of ['System resources', 'Worker', 'Fleet', 'Performance', 'Alerts', 'Send test alert', 'Last 14 days'])
      assert.ok(res.text.includes(panel), panel);
    const csp = res.headers['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self';/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https:/);
    assert.doesNotMatch(res.text, /<script>(?!<\/script>)|https?:\/\/cdn/i, 'no inline script, no CDN');
    const json = await agent.get('/admin/api/overview').expect(200);
    assert.equal(json.body.performance.chart.bars.length, 14);
    assert.ok(['IDLE', 'CHECKING', 'INITIALIZING'].includes(json.body.worker.state));
    // The fleet: this daemon, from its first beat at start (one row with the embedded store and one daemon).
    assert.deepEqual(
      json.body.fleet.map((w: { workerId: string; level: string }) => [w.workerId, w.level]),
      [[json.body.worker.workerId, 'ok']],
    );
    assert.ok(res.text.includes(json.body.worker.workerId), 'the fleet table names the worker');
    const hls = await request(vc.baseUrl).get('/admin/assets/hls.min.js').expect(200);
    assert.match(hls.headers['content-type'] ?? '', /javascript/);
    await request(vc.baseUrl).get('/admin/assets/dashboard.js').expect(200);
  });

  it('state-changing actions need the CSRF token; retry and cancel work through the forms', async () => {
    const { agent, csrf } = await logIn(vc.baseUrl);
    const failed = await vc.api('POST', '/api/jobs', { source_url: source.url('/missing.mp4'), title: 'gone' });
    await vc.waitForJob(failed.body.id, (j) => j.status === 'failed', 20_000);
    const forged = await agent.post(`/admin/jobs/${failed.body.id}/retry`).type('form').send({});
    assert.equal(forged.status, 403);
    assert.equal((await vc.api('GET', `/api/jobs/${failed.body.id}`)).body.status, 'failed', 'nothing happened');
    const wrongToken = await agent
      .post(`/admin/jobs/${failed.body.id}/retry`)
      .type('form')
      .send({ _csrf: `${csrf}x` });
    assert.equal(wrongToken.status, 403);
    const retried = await agent.post(`/admin/jobs/${failed.body.id}/retry`).type('form').send({ _csrf: csrf, returnTo: '/admin/jobs' });
    assert.equal(retried.status, 303);
    assert.equal(retried.headers.location, '/admin/jobs');
    const job = (await vc.api('GET', `/api/jobs/${failed.body.id}`)).body;
    assert.equal(job.priority, 1, 'retried at priority 1');
    // The poster pick checks its input and the job: a ladder is needed, and a thumbnail number.
    await vc.waitForJob(failed.body.id, (j) => j.status === 'failed', 20_000);
    const poster = (body: Record<string, string>) =>
      agent
        .post(`/admin/jobs/${failed.body.id}/poster`)
        .type('form')
        .send({ _csrf: csrf, ...body });
    assert.equal((await poster({ poster: 'x' })).status, 400);
    assert.equal((await poster({ poster: '-1' })).status, 400);
    assert.equal((await poster({ poster: '2' })).status, 409, 'no ladder yet');
    assert.equal((await vc.api('GET', `/api/jobs/${failed.body.id}`)).body.poster_url, null);

    const stalled = await vc.api('POST', '/api/jobs', { source_url: source.url('/stall.mp4'), title: 'stalled' });
    await vc.waitForJob(stalled.body.id, (j) => j.status === 'processing', 20_000);
    const cancelled = await agent.post(`/admin/jobs/${stalled.body.id}/cancel`).type('form').send({ _csrf: csrf });
    assert.equal(cancelled.status, 303);
    await vc.waitForJob(stalled.body.id, (j) => j.status === 'cancelled', 20_000);
    const flash = await agent.get('/admin/jobs').set('Accept', 'text/html').expect(200);
    assert.match(flash.text, new RegExp(`Job local-${stalled.body.id} cancelled`));
  });

  it('escapes what came from the CMS: a title with <script> is text on every page', async () => {
    const { agent } = await logIn(vc.baseUrl);
    const created = await vc.api('POST', '/api/jobs', { source_url: source.url('/missing.mp4'), title: XSS_TITLE });
    await vc.waitForJob(created.body.id, (j) => j.status === 'failed', 20_000);
    for (const url of ['/admin/jobs', `/admin/jobs/${created.body.id}`, `/admin/jobs?q=${encodeURIComponent(XSS_TITLE)}`]) {
      const page = await agent.get(url).set('Accept', 'text/html').expect(200);
      assert.ok(!page.text.includes('<script>alert'), url);
      assert.ok(!page.text.includes('<img src=x'), url);
      assert.ok(page.text.includes('&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;'), url);
    }
  });

  it('searches by title or id, filters by status and pages the job table', async () => {
    const { agent } = await logIn(vc.baseUrl);
    const ids: string[] = [];
    for (let i = 0; i < 27; i += 1)
      ids.push((await vc.api('POST', '/api/jobs', { source_url: source.url('/missing.mp4'), title: `batch clip ${i}` })).body.id);
    const page1 = await agent.get('/admin/jobs?q=batch+clip').set('Accept', 'text/html').expect(200);
    assert.match(page1.text, /27 jobs/);
    assert.match(page1.text, /Page 1 of 2/);
    assert.equal(page1.text.match(/batch clip \d+/g)?.length, 25);
    const page2 = await agent.get('/admin/jobs?q=batch+clip&page=2').set('Accept', 'text/html').expect(200);
    assert.equal(page2.text.match(/batch clip \d+/g)?.length, 2);
    const byId = await agent.get(`/admin/jobs?q=local-${ids[3]}`).set('Accept', 'text/html').expect(200);
    assert.match(byId.text, /1 job</);
    assert.match(byId.text, /batch clip 3</);
    const none = await agent.get('/admin/jobs?q=batch&status=completed').set('Accept', 'text/html').expect(200);
    assert.match(none.text, /No job matches/);
    const literal = await agent.get('/admin/jobs?q=%25').set('Accept', 'text/html').expect(200);
    assert.match(literal.text, /0 jobs/, '% is a character, not a wildcard');
  });

  it('logout ends the session, and the old cookie cannot be replayed', async () => {
    const { agent, csrf, loginResponse } = await logIn(vc.baseUrl);
    const cookie = ([] as string[])
      .concat(loginResponse.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0])
      .join('; ');
    const replay = () => request(vc.baseUrl).get('/admin/api/overview').set('Accept', 'application/json').set('Cookie', cookie);
    assert.equal((await replay()).status, 200, 'the copied cookie works while logged in');
    const out = await agent.post('/admin/logout').type('form').send({ _csrf: csrf });
    assert.equal(out.status, 303);
    assert.equal(out.headers.location, '/admin/login');
    assert.equal((await agent.get('/admin').set('Accept', 'text/html')).status, 303);
    assert.equal((await replay()).status, 401, 'revoked on logout');
  });

  it('/metrics needs the API key or METRICS_TOKEN', async () => {
    assert.equal((await request(vc.baseUrl).get('/metrics')).status, 401);
    assert.equal((await request(vc.baseUrl).get('/metrics').set('Authorization', 'Bearer wrong-token-0123456789abcdef')).status, 401);
    const byToken = await request(vc.baseUrl).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
    assert.match(byToken.headers['content-type'] ?? '', /text\/plain/);
    const byKey = await request(vc.baseUrl).get('/metrics').set('X-API-Key', TEST_API_KEY).expect(200);
    for (const name of [
      'video_compressor_jobs{status="failed"}',
      'video_compressor_queue_pending{source="local"}',
      'video_compressor_job_attempts_total{outcome="failed"}',
      'video_compressor_http_requests_total{method="GET",route="/admin/jobs",status="200"}',
      'video_compressor_http_requests_total{method="POST",route="/api/jobs",status="202"}',
      'process_cpu_seconds_total',
    ]) {
      assert.ok(byKey.text.includes(name), name);
    }
  });
});

describe('admin dashboard: password hash, rate limit, TLS, disabled', () => {
  it('accepts an ADMIN_PASSWORD_HASH login and rate-limits failed attempts per address', async () => {
    const hash = await hashPassword(PASSWORD, { log2N: 10, r: 8, p: 1 });
    assert.ok(await verifyPasswordHash(PASSWORD, hash));
    assert.equal(await verifyPasswordHash('wrong', hash), false);
    const vc = await startTestDaemon({ ADMIN_USER: USER, ADMIN_PASSWORD_HASH: hash });
    try {
      await logIn(vc.baseUrl);
      const agent = request.agent(vc.baseUrl);
      const token = csrfOf((await agent.get('/admin/login')).text);
      for (let i = 0; i < LOGIN_ATTEMPTS; i += 1) {
        const res = await agent
          .post('/admin/login')
          .type('form')
          .send({ _csrf: token, user: USER, password: `guess ${i}` });
        assert.equal(res.status, 401, `attempt ${i + 1}`);
      }
      const blocked = await agent
        .post('/admin/login')
        .type('form')
        .send({ _csrf: token, user: USER, password: PASSWORD })
        .set('Accept', 'text/html');
      assert.equal(blocked.status, 429, 'even the right password waits');
      assert.match(blocked.text, /too many login attempts/);
    } finally {
      await vc.close();
    }
  });

  it('marks the cookie Secure behind a TLS proxy (TRUST_PROXY + X-Forwarded-Proto)', async () => {
    const vc = await startTestDaemon({ ADMIN_PASSWORD: PASSWORD, TRUST_PROXY: 'true' });
    try {
      const page = await request(vc.baseUrl).get('/admin/login').set('X-Forwarded-Proto', 'https').expect(200);
      const cookies = ([] as string[]).concat(page.headers['set-cookie'] ?? []);
      assert.match(cookies.find((c) => c.startsWith('vc_admin=')) ?? '', /; secure/i);
    } finally {
      await vc.close();
    }
  });

  it('without a password, /admin explains how to enable it and opens nothing', async () => {
    const vc = await startTestDaemon();
    try {
      const page = await request(vc.baseUrl).get('/admin').expect(503);
      assert.match(page.text, /ADMIN_PASSWORD/);
      assert.match(page.text, /video-compressor hash-password/);
      const json = await request(vc.baseUrl).get('/admin/api/overview').set('Accept', 'application/json').expect(503);
      assert.equal(json.body.error.code, 'admin_disabled');
      await request(vc.baseUrl).post('/admin/login').type('form').send({ user: 'admin', password: '' }).expect(503);
    } finally {
      await vc.close();
    }
  });
});
