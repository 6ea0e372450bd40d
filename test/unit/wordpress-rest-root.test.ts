import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AxiosRequestConfig } from 'axios';
import { AppError } from '../../src/errors.js';
import { apiRootLinks, RestRootCache, routeRequest, type FoundRoot } from '../../src/sources/wordpress-rest-root.js';

const SITE = 'https://blog.example.com/';

describe('WordPress REST root: the Link header', () => {
  it('finds rel="https://api.w.org/" among several links and several headers', () => {
    assert.deepEqual(apiRootLinks('<https://blog.example.com/wp-json/>; rel="https://api.w.org/"', SITE), [
      'https://blog.example.com/wp-json/',
    ]);
    assert.deepEqual(
      apiRootLinks(
        [
          '<https://blog.example.com/?p=4>; rel=shortlink, <https://blog.example.com/feed/>; rel="alternate"; title="News, <and> more; really"',
          '<http://127.0.0.1:8080/index.php?rest_route=/>; rel="https://api.w.org/", <https://blog.example.com/wp-json/wp/v2/pages/4>; rel="alternate"; type="application/json"',
        ],
        SITE,
      ),
      ['http://127.0.0.1:8080/index.php?rest_route=/'],
    );
  });

  it('matches the relation exactly, within a space-separated list, and resolves a relative URI', () => {
    assert.deepEqual(apiRootLinks('<https://x.example/>; rel="https://api.w.org/v2"', SITE), []);
    assert.deepEqual(apiRootLinks('<https://x.example/>; rel="alternate"; title="rel=https://api.w.org/"', SITE), []);
    assert.deepEqual(apiRootLinks('</blog/wp-json/>; rel="preload https://api.w.org/"', SITE), ['https://blog.example.com/blog/wp-json/']);
    assert.deepEqual(apiRootLinks('<https://blog.example.com/wp-json/>; REL=https://api.w.org/', SITE), [
      'https://blog.example.com/wp-json/',
    ]);
    assert.deepEqual(apiRootLinks(undefined, SITE), []);
    assert.deepEqual(apiRootLinks('garbage, <unterminated', SITE), []);
  });
});

describe('WordPress REST root: routing a request', () => {
  it('appends the route to a /wp-json/ root, its inline query kept with the params', () => {
    const config = routeRequest('https://blog.example.com/wp-json/', {
      url: 'wp/v2/users/me?context=edit',
      params: { _fields: 'id' },
    });
    assert.equal(config.url, 'https://blog.example.com/wp-json/wp/v2/users/me');
    assert.deepEqual(config.params, { context: 'edit', _fields: 'id' });
    assert.equal(routeRequest('https://blog.example.com/wp-json/', { url: '' }).url, 'https://blog.example.com/wp-json/');
  });

  it('puts the route into rest_route for a query root, first, the root’s other params kept', () => {
    const config = routeRequest('http://127.0.0.1:8080/index.php?lang=en&rest_route=/', {
      url: 'wp/v2/media',
      params: { vcmp_status: 'pending', per_page: 10 },
    });
    assert.equal(config.url, 'http://127.0.0.1:8080/index.php');
    assert.deepEqual(Object.entries(config.params as object), [
      ['rest_route', '/wp/v2/media'],
      ['lang', 'en'],
      ['vcmp_status', 'pending'],
      ['per_page', 10],
    ]);
    assert.deepEqual(routeRequest<AxiosRequestConfig>('http://127.0.0.1:8080/?rest_route=/', { url: '' }).params, { rest_route: '/' });
  });
});

describe('WordPress REST root: the cache', () => {
  it('discovers once for concurrent requests, again after a failure or forget()', async () => {
    const answers: Array<FoundRoot | Error> = [new AppError('cms_error', 'down'), { root: 'https://a.example/wp-json/', via: 'link' }];
    let calls = 0;
    const cache = new RestRootCache(async () => {
      const answer = answers[Math.min(calls++, answers.length - 1)]!;
      if (answer instanceof Error) throw answer;
      return answer;
    });
    await assert.rejects(cache.get(), /down/);
    const [a, b] = await Promise.all([cache.get(), cache.get()]);
    assert.deepEqual([a, b, calls], ['https://a.example/wp-json/', 'https://a.example/wp-json/', 2]);
    await cache.get();
    assert.equal(calls, 2);
    cache.forget();
    await cache.get();
    assert.equal(calls, 3);
  });
});
