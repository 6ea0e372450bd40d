/**
 * The WordPress source finds the site's REST root (wordpress-rest-root.ts) and sends every request
 * there: `/wp-json/<route>` with pretty permalinks, `index.php?rest_route=/<route>` without them.
 * Real HTTP against loopback fake sites (fake-wordpress.ts).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { WordpressConfig } from '../../src/config/config.js';
import { isAppError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging/logger.js';
import { checkWordpress } from '../../src/sources/wordpress-doctor.js';
import { WordpressSource } from '../../src/sources/wordpress-source.js';
import { closedPortUrl, serverPool } from '../helpers/http-fixtures.js';
import { startFakeWordpress, type FakeWordpress, type FakeWordpressOptions } from '../fakes/fake-wordpress.js';

const PASSWORD = 'abcd efgh ijkl mnop qrst uvwx';
const sites: FakeWordpress[] = [];
const pool = serverPool();
after(async () => {
  await Promise.all(sites.map((s) => s.close()));
  await pool.closeAll();
});

function wpConfig(url: string): WordpressConfig {
  return { url, user: 'video-bot', appPassword: PASSWORD, webhookSecret: 'secret-0123456789abcdef', timeoutMs: 5000 };
}

async function site(options: FakeWordpressOptions): Promise<FakeWordpress> {
  const wp = await startFakeWordpress(options);
  sites.push(wp);
  wp.media.set(7, { status: 'pending', priority: 1 });
  wp.media.set(9, { status: 'completed' });
  return wp;
}

function sourceOf(url: string): WordpressSource {
  return new WordpressSource({ config: wpConfig(url), workerId: 'test:1', leaseSeconds: 300, log: silentLogger() });
}

/** Lists pending videos and returns the media listings the site saw. */
async function listThrough(wp: FakeWordpress) {
  const { records } = await sourceOf(wp.url).listPending(10);
  assert.deepEqual(
    records.map((r) => r.id),
    ['7'],
  );
  return wp.restCalls('GET', '/wp/v2/media');
}

describe('WordPress REST root discovery', () => {
  it('pretty permalinks: the Link header names /wp-json/, routes are appended to it', async () => {
    const wp = await site({ permalinks: 'pretty' });
    const calls = await listThrough(wp);
    assert.deepEqual(
      calls.map((c) => [c.path, c.query.get('rest_route'), c.query.get('vcmp_status'), c.query.get('media_type')]),
      [
        ['/wp-json/wp/v2/media', null, 'pending', 'video'],
        ['/wp-json/wp/v2/media', null, 'processing', 'video'],
      ],
    );
    const pages = wp.requests.filter((r) => r.route === null);
    assert.deepEqual(
      pages.map((r) => [r.path, r.authorized]),
      [['/', false]],
      'one discovery for the two concurrent requests, without the password',
    );
  });

  it('plain permalinks: the route goes into rest_route on index.php, the other params kept', async () => {
    const wp = await site({ permalinks: 'plain' });
    const calls = await listThrough(wp);
    assert.deepEqual(
      calls.map((c) => [c.path, c.query.get('rest_route'), c.query.get('vcmp_status'), c.query.get('context'), c.query.get('per_page')]),
      [
        ['/index.php', '/wp/v2/media', 'pending', 'edit', '10'],
        ['/index.php', '/wp/v2/media', 'processing', 'edit', '10'],
      ],
    );
    assert.ok(calls.every((c) => c.authorized));
    // The operator's side goes through the same requests.
    const source = sourceOf(wp.url);
    assert.equal((await source.getJob('9'))?.status, 'completed');
    assert.equal((await source.listJobs({ limit: 10, offset: 0, status: 'completed' })).jobs.length, 1);
    const routes = wp
      .restCalls('GET')
      .slice(-3)
      .map((c) => `${c.path} ${c.query.get('rest_route')} ${c.query.get('vcmp_status')}`);
    assert.deepEqual(routes.sort(), [
      '/index.php /video-compressor/v1/status null',
      '/index.php /wp/v2/media completed',
      '/index.php /wp/v2/media/9 null',
    ]);
    assert.equal(wp.requests.filter((r) => r.path.startsWith('/wp-json')).length, 0, 'never tries /wp-json/');
  });

  it('without a Link header: probes /wp-json/, then ?rest_route=/', async () => {
    const plain = await site({ permalinks: 'plain', link: false });
    const calls = await listThrough(plain);
    assert.deepEqual(
      calls.map((c) => [c.path, c.query.get('rest_route')]),
      [
        ['/', '/wp/v2/media'],
        ['/', '/wp/v2/media'],
      ],
    );
    assert.deepEqual(
      plain.requests.slice(0, 3).map((r) => [r.path, r.route, r.authorized]),
      [
        ['/', null, false],
        ['/wp-json/', null, false],
        ['/', '/', false],
      ],
      'the home page, the 404 of /wp-json/, the index at ?rest_route=/',
    );
    const pretty = await site({ permalinks: 'pretty', link: false });
    assert.deepEqual(
      (await listThrough(pretty)).map((c) => c.path),
      ['/wp-json/wp/v2/media', '/wp-json/wp/v2/media'],
    );
  });

  it('several links, in one header or several: takes the API link on WP_URL’s origin', async () => {
    const oneHeader = await site({
      permalinks: 'plain',
      link: [
        '<https://cdn.example.com/wp-json/>; rel="https://api.w.org/", <{origin}/feed/>; rel="alternate"; title="a, b; c", ' +
          '<{origin}/index.php?rest_route=/>; rel="preload https://api.w.org/"',
      ],
    });
    assert.deepEqual(
      (await listThrough(oneHeader)).map((c) => [c.path, c.query.get('rest_route')]),
      [
        ['/index.php', '/wp/v2/media'],
        ['/index.php', '/wp/v2/media'],
      ],
    );
    const twoHeaders = await site({
      permalinks: 'pretty',
      link: ['<{origin}/?p=1>; rel=shortlink', '<{origin}/wp-json/>; rel="https://api.w.org/"'],
    });
    assert.deepEqual(
      (await listThrough(twoHeaders)).map((c) => c.path),
      ['/wp-json/wp/v2/media', '/wp-json/wp/v2/media'],
    );
  });

  it('a root announced on another origin is ignored (the password stays on WP_URL): the probes decide', async () => {
    const wp = await site({ permalinks: 'plain', link: '<https://public.example.com/index.php?rest_route=/>; rel="https://api.w.org/"' });
    assert.deepEqual(
      (await listThrough(wp)).map((c) => [c.path, c.query.get('rest_route')]),
      [
        ['/', '/wp/v2/media'],
        ['/', '/wp/v2/media'],
      ],
    );
  });

  it('finding nothing is a retryable cms_error naming what was tried; the next request looks again', async () => {
    let wordpress = false;
    const server = await pool.serve((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (wordpress && url.searchParams.get('rest_route') === '/')
        return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"namespaces":["wp/v2"]}');
      if (wordpress && url.searchParams.get('rest_route') === '/wp/v2/media')
        return void res.writeHead(200, { 'Content-Type': 'application/json', 'X-WP-Total': '0' }).end('[]');
      res.writeHead(url.pathname === '/' ? 302 : 404, { 'Content-Type': 'text/html', Location: '/login' }).end('<html>');
    });
    const source = sourceOf(server.origin);
    await assert.rejects(source.listPending(5), (err: unknown) => {
      assert.ok(isAppError(err, 'cms_error') && err.retryable);
      assert.match(err.message, /found no WordPress REST API at http:\/\/127\.0\.0\.1:\d+/);
      assert.match(err.message, /home page \(HTTP 302 redirecting to \/login\) has no Link/);
      assert.match(err.message, /\/wp-json\/ answered HTTP 404, not a REST index/);
      assert.match(err.message, /Check WP_URL/);
      assert.ok(!err.message.includes('abcd'));
      return true;
    });
    wordpress = true;
    assert.deepEqual(await source.listPending(5), { total: 0, records: [] });
  });

  it('an unreachable site is a retryable cms_error', async () => {
    const url = (await closedPortUrl('/')).replace(/\/$/, '');
    await assert.rejects(sourceOf(url).listPending(5), (err: unknown) => {
      assert.ok(isAppError(err, 'cms_error') && err.retryable);
      assert.match(err.message, /is unreachable \(ECONNREFUSED\) while looking for its REST API/);
      return true;
    });
  });

  it('looks again after an HTML 404: the permalinks were switched off', async () => {
    const options = { permalinks: 'pretty' as 'pretty' | 'plain' };
    const wp = await startFakeWordpress(options);
    sites.push(wp);
    wp.media.set(7, { status: 'pending' });
    const source = sourceOf(wp.url);
    assert.equal((await source.listPending(5)).records.length, 1);
    options.permalinks = 'plain';
    await assert.rejects(source.listPending(5), (err: unknown) => isAppError(err, 'cms_error') && /HTTP 404/.test(err.message));
    assert.equal((await source.listPending(5)).records.length, 1);
    assert.equal(wp.restCalls('GET', '/wp/v2/media').at(-1)?.path, '/index.php');
  });

  it('doctor: reports the root it found and reads the site through it', async () => {
    const wp = await site({
      permalinks: 'plain',
      capabilities: { manage_video_compressor: true, upload_files: true, edit_others_posts: true },
    });
    const checks = await checkWordpress(wpConfig(wp.url));
    assert.deepEqual(
      checks.map((c) => `${c.name}:${c.level}`),
      ['wordpress site:ok', 'wordpress credentials:ok', 'wordpress plugin:ok', 'wordpress webhook:ok'],
    );
    assert.match(checks[0]!.detail, /\(Fake site\), REST API at http:\/\/127\.0\.0\.1:\d+\/index\.php\?rest_route=\//);
    assert.deepEqual(
      wp.restCalls('GET').map((c) => [c.path, c.query.get('rest_route'), c.query.get('context')]),
      [
        ['/index.php', '/', null],
        ['/index.php', '/wp/v2/users/me', 'edit'],
        ['/index.php', '/video-compressor/v1/status', null],
      ],
    );
    const nowhere = await checkWordpress(wpConfig((await closedPortUrl('/')).replace(/\/$/, '')));
    assert.deepEqual(
      nowhere.map((c) => `${c.name}:${c.level}`),
      ['wordpress site:fail'],
    );
  });
});
