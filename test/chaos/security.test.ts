import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import request from 'supertest';
import type { FakeAppwrite } from '../fakes/appwrite-server.js';
import { appwriteEnv, startFakeAppwrite } from '../helpers/appwrite-fixtures.js';
import { recordScenario } from '../helpers/chaos.js';
import { startServer, type TestServer } from '../helpers/http-fixtures.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { spawnDaemon, type SpawnedDaemon } from '../helpers/spawn-daemon.js';
import { rawRequest, serveFile, startTestDaemon, TEST_API_KEY, type TestDaemon } from '../helpers/test-daemon.js';

const SECRETS = {
  ADMIN_USER: 'ops',
  ADMIN_PASSWORD: 'chaos-admin-password-4f1d2c',
  SESSION_SECRET: 'chaos-session-secret-0123456789abcdef0123456789',
  METRICS_TOKEN: 'chaos-metrics-token-99aa88bb77cc',
  APPWRITE_WEBHOOK_SECRET: 'chaos-webhook-secret-5e6f7a8b',
};
const PUBLIC = new Set(['GET /health']);
const XSS = '<script>alert("x")</script>';
let tried = 0;
let survived = 0;
const check = (ok: boolean, what: string): void => {
  tried += 1;
  if (ok) survived += 1;
  assert.ok(ok, what);
};

/** Every route of the app, with its full path, walked from the Express 5 router stack. */
function enumerateRoutes(router: any, prefix = ''): string[] {
  const found: string[] = [];
  for (const layer of router?.stack ?? []) {
    const here = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? prefix + layer.rawPath : prefix;
    if (layer.route) for (const m of Object.keys(layer.route.methods)) found.push(`${m.toUpperCase()} ${prefix}${layer.route.path}`);
    else if (layer.handle?.stack) found.push(...enumerateRoutes(layer.handle, here));
  }
  return [...new Set(found)];
}

describe('chaos: API and dashboard security', { timeout: 120_000 }, () => {
  let fake: FakeAppwrite;
  let files: TestServer;
  let inProcess: TestDaemon;
  let vc: SpawnedDaemon;
  let env: Record<string, string>;
  const started = Date.now();

  before(async () => {
    fake = await startFakeAppwrite();
    files = await startServer(serveFile(await makeClip({ width: 160, height: 120, seconds: 1 })));
    env = {
      ...appwriteEnv(fake, { SOURCES: 'local,appwrite', ...SECRETS }),
      HLS_SEGMENT_SECONDS: '2',
      X264_PRESET: 'ultrafast',
      LOG_LEVEL: 'debug',
    };
    inProcess = await startTestDaemon(env);
    vc = await spawnDaemon(env);
    await vc.waitHealthy();
  });
  after(async () => {
    vc?.kill();
    await inProcess?.close();
    await files?.close();
    await fake?.stop();
    recordScenario({
      scenario: '7 API/dashboard security',
      tried,
      survived,
      lost: 0,
      notes: 'routes, traversal, 413, XSS, CRLF, secrets in logs',
      seconds: (Date.now() - started) / 1000,
    });
  });

  it('every route refuses anonymous requests, except /health and the HLS files', async () => {
    const app = inProcess.daemon.server.listeners('request')[0] as any;
    const all = enumerateRoutes(app.router);
    assert.ok(all.length >= 20, `routes found: ${all.join(', ')}`);
    for (const route of all) {
      const [method, template] = route.split(' ') as [string, string];
      if (PUBLIC.has(route) || /^\/admin\/(login|assets|hls\.min\.js)/.test(template)) continue;
      const url = template.replace(/:(\w+)/g, 'abc123');
      const res = await fetch(vc.baseUrl + url, {
        method,
        redirect: 'manual',
        headers: { 'Content-Type': 'application/json' },
        body: method === 'GET' ? undefined : '{}',
      });
      const toLogin = [302, 303].includes(res.status) && (res.headers.get('location') ?? '').startsWith('/admin/login');
      check([401, 403].includes(res.status) || toLogin, `${route} answered ${res.status} without credentials`);
    }
  });

  it('refuses hostile ids and never serves state.db through /storage/hls', async () => {
    const key = { 'X-API-Key': TEST_API_KEY };
    for (const id of ['..%2f..%2fstate.db', '%2e%2e', '%2e%2e%2fstate.db', 'a%00b', 'x'.repeat(65), '..']) {
      const status = await rawRequest(vc.baseUrl, 'GET', `/api/jobs/${id}`, key);
      check(status === 400 || status === 404, `/api/jobs/${id} answered ${status}`);
    }
    for (const p of [
      '/storage/hls/../state.db',
      '/storage/hls/%2e%2e/state.db',
      '/storage/hls/%2e%2e%2fstate.db',
      '/storage/hls/..%5cstate.db',
      '/storage/hls/a%00.m3u8',
    ]) {
      const status = await rawRequest(vc.baseUrl, 'GET', p);
      check(status === 404 || status === 400, `${p} answered ${status}`);
    }
  });

  it('refuses JSON bodies over 64 KB with 413', async () => {
    const res = await fetch(`${vc.baseUrl}/api/jobs`, {
      method: 'POST',
      headers: { 'X-API-Key': TEST_API_KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({ source_url: files.url('/v.mp4'), title: 'x'.repeat(70 * 1024) }),
    });
    check(res.status === 413, `a 70 KB body answered ${res.status}`);
  });

  it('renders a <script> title escaped and keeps CRLF out of headers', async () => {
    const crlf = 'evil\r\nSet-Cookie: pwned=1';
    const job = await fetch(`${vc.baseUrl}/api/jobs`, {
      method: 'POST',
      headers: { 'X-API-Key': TEST_API_KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({ source_url: files.url('/v.mp4'), title: `${XSS} ${crlf}` }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    const agent = request.agent(vc.baseUrl);
    const csrf = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const login = await agent.get('/admin/login');
    const res = await agent
      .post('/admin/login')
      .type('form')
      .send({
        _csrf: csrf(login.text),
        user: SECRETS.ADMIN_USER,
        password: SECRETS.ADMIN_PASSWORD,
        next: `/admin/jobs/${job.id}\r\nX-Evil: 1`,
      });
    check(
      res.status === 303 && !('x-evil' in res.headers) && !/[\r\n]/.test(String(res.headers.location)),
      `login redirect ${res.status} ${JSON.stringify(res.headers)}`,
    );
    for (const page of ['/admin/jobs', `/admin/jobs/${job.id}`, '/admin']) {
      const html = (await agent.get(page).set('Accept', 'text/html')).text;
      check(!html.includes(XSS) && !html.includes('<script>alert'), `${page} shows the raw <script> title`);
      check(
        !('set-cookie' in (await agent.get(page)).headers && String((await agent.get(page)).headers['set-cookie']).includes('pwned')),
        `${page} leaks a header`,
      );
    }
    const traced = await rawRequest(vc.baseUrl, 'GET', '/api/jobs/abc%0d%0aX-Evil:%201', { 'X-API-Key': TEST_API_KEY });
    check(traced === 400 || traced === 404, `CRLF id answered ${traced}`);
  });

  it('keeps every configured secret out of the log files', async () => {
    // Give the loggers traffic that carries each secret: a wrong and a right key, a login, metrics.
    await fetch(`${vc.baseUrl}/api/stats`, { headers: { 'X-API-Key': TEST_API_KEY } });
    await fetch(`${vc.baseUrl}/api/stats`, { headers: { Authorization: `Bearer ${TEST_API_KEY}x` } });
    await fetch(`${vc.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${SECRETS.METRICS_TOKEN}` } });
    await fetch(`${vc.baseUrl}/api/webhooks/appwrite`, {
      method: 'POST',
      headers: { 'X-Appwrite-Webhook-Signature': SECRETS.APPWRITE_WEBHOOK_SECRET },
      body: '{}',
    });
    await delay(1500); // pino's transport writes asynchronously
    const logDir = path.join(vc.storageDir, 'logs');
    const text = (await Promise.all((await readdir(logDir)).map((f) => readFile(path.join(logDir, f), 'utf8')))).join('\n');
    assert.ok(text.length > 500, 'the daemon wrote logs');
    const secrets = { API_KEY: TEST_API_KEY, APPWRITE_API_KEY: env.APPWRITE_API_KEY ?? '', ...SECRETS };
    for (const [name, value] of Object.entries(secrets)) {
      if (name === 'ADMIN_USER' || value.length < 8) continue;
      check(!text.includes(value), `${name} appears in the logs`);
    }
  });
});
