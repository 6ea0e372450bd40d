import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppwriteException } from 'node-appwrite';
import { parseFieldMap } from '../../src/config/appwrite-field-map.js';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { missingScopes } from '../../src/sources/appwrite-client.js';

const base = {
  APPWRITE_ENDPOINT: 'https://aw.example.com/v1/',
  APPWRITE_PROJECT_ID: 'proj',
  APPWRITE_API_KEY: 'secret-key',
  APPWRITE_DATABASE_ID: 'media',
};

describe('Appwrite configuration', () => {
  it('builds the slice with its defaults', () => {
    const config = loadConfig({
      env: { ...base, SOURCES: 'local,appwrite', PUBLIC_BASE_URL: 'https://video.example.com/' },
      envFile: false,
    }).appwrite!;
    assert.equal(config.endpoint, 'https://aw.example.com/v1');
    assert.equal(config.tableId, 'videos');
    assert.equal(config.webhookSecret, null);
    assert.equal(config.webhookUrl, 'https://video.example.com/api/webhooks/appwrite');
    assert.equal(config.timeoutMs, 15_000);
    assert.equal(config.columns.hls_url, 'hls_url');
    assert.ok(Object.isFrozen(config.columns));
  });

  it('is null when not configured, and SOURCES=appwrite then names every missing variable along with other problems', () => {
    assert.equal(loadConfig({ env: {}, envFile: false }).appwrite, null);
    assert.throws(
      () => loadConfig({ env: { SOURCES: 'appwrite', APPWRITE_PROJECT_ID: 'p', PORT: 'x' }, envFile: false }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(
          err.problems.filter((p) => p.startsWith('APPWRITE_')),
          [
            'APPWRITE_ENDPOINT: is required when SOURCES includes appwrite',
            'APPWRITE_API_KEY: is required when SOURCES includes appwrite',
            'APPWRITE_DATABASE_ID: is required when SOURCES includes appwrite',
          ],
        );
        assert.ok(err.problems.some((p) => p.startsWith('PORT:')));
        return true;
      },
    );
  });

  it('refuses an endpoint without /v1, ids Appwrite would refuse and a bad field map', () => {
    const env = {
      ...base,
      APPWRITE_ENDPOINT: 'https://aw.example.com',
      APPWRITE_TABLE_ID: '_videos',
      APPWRITE_FIELD_MAP: 'hls:stream',
      APPWRITE_TIMEOUT: '10ms',
    };
    assert.throws(
      () => loadConfig({ env, envFile: false }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        for (const name of ['APPWRITE_ENDPOINT', 'APPWRITE_TABLE_ID', 'APPWRITE_FIELD_MAP', 'APPWRITE_TIMEOUT']) {
          assert.ok(
            err.problems.some((p) => p.startsWith(`${name}:`)),
            name,
          );
        }
        assert.ok(!err.message.includes('secret-key'));
        return true;
      },
    );
  });

  it('parses the field map', () => {
    assert.deepEqual(parseFieldMap(' hls_url:stream_url , poster_url:thumbnail '), {
      map: { hls_url: 'stream_url', poster_url: 'thumbnail' },
      problems: [],
    });
    assert.deepEqual(parseFieldMap('').map, {});
    assert.equal(parseFieldMap('nope:x').problems.length, 1);
    assert.equal(parseFieldMap('hls_url:has space').problems.length, 1);
    assert.equal(parseFieldMap('hls_url:a,hls_url:b').problems.length, 1);
    assert.equal(parseFieldMap('hls_url:a,poster_url:a').problems.length, 1);
    const config = loadConfig({ env: { ...base, APPWRITE_FIELD_MAP: 'hls_url:stream_url' }, envFile: false }).appwrite!;
    assert.deepEqual([config.columns.hls_url, config.columns.poster_url], ['stream_url', 'poster_url']);
  });

  it('reads the missing scopes out of a 401', () => {
    const err = (message: string) => new AppwriteException(message, 401, 'general_unauthorized_scope');
    assert.deepEqual(
      missingScopes(err('app.p@service.cloud.appwrite.io (role: applications) missing scopes (["rows.read","rows.write"])')),
      ['rows.read', 'rows.write'],
    );
    assert.deepEqual(missingScopes(err('User (role: guests) missing scope (rows.read)')), ['rows.read']);
    assert.deepEqual(missingScopes(err('Invalid API key')), []);
  });
});
