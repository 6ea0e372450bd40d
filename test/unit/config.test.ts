import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { parseBytes, parseDurationMs, parseLadder } from '../../src/config/parsers.js';
import { envSchema } from '../../src/config/schema.js';

const KEY = 'k'.repeat(32);

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({ env: { API_KEY: KEY }, cwd: '/srv/vc', envFile: false });
    assert.equal(config.server.port, 3000);
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.server.publicBaseUrl, 'http://localhost:3000');
    assert.equal(config.storage.dbPath, '/srv/vc/storage/state.db');
    assert.equal(config.storage.tempDir, '/srv/vc/storage/temp');
    assert.equal(config.worker.pollCron, '*/2 * * * *');
    assert.equal(config.worker.concurrency, 1);
    assert.deepEqual(config.worker.retryDelaysMs, [0, 3_600_000, 21_600_000]);
    assert.deepEqual(config.worker.sources, ['local']);
    assert.deepEqual(
      config.media.ladder.map((r) => [r.name, r.height, r.crf]),
      [
        ['high', 1080, 23],
        ['medium', 720, 28],
        ['low', 480, 32],
      ],
    );
    assert.equal(config.media.segmentSeconds, 10);
    assert.equal(config.download.allowPrivate, false);
  });

  it('reports every problem at once with the variable name', () => {
    const env = {
      API_KEY: 'short',
      PORT: 'eighty',
      CONCURRENCY: '0',
      SOURCES: 'local,ftp',
      POLL_CRON: 'every minute',
      LADDER: 'high:1081:23',
      SERVE_HLS: 'maybe',
    };
    assert.throws(
      () => loadConfig({ env, envFile: false }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const text = err.problems.join('\n');
        for (const name of Object.keys(env)) assert.match(text, new RegExp(`^${name}:`, 'm'), `${name} reported`);
        assert.equal(err.problems.length >= 7, true);
        return true;
      },
    );
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({ env: { API_KEY: KEY }, envFile: false });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.media.ladder));
    assert.ok(Object.isFrozen(config.media.ladder[0]));
    assert.throws(() => {
      (config.server as { port: number }).port = 1;
    }, TypeError);
  });

  it('reads .env, lets the environment win and treats empty values as unset', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vc-config-'));
    writeFileSync(path.join(dir, '.env'), `API_KEY=${KEY}\nPORT=4000\nHOST=0.0.0.0\nPUBLIC_BASE_URL=\n`);
    const config = loadConfig({ env: { PORT: '5000' }, cwd: dir });
    assert.equal(config.server.apiKey, KEY);
    assert.equal(config.server.port, 5000);
    assert.equal(config.server.host, '0.0.0.0');
    assert.equal(config.server.publicBaseUrl, 'http://localhost:5000');
  });

  it('bounds FFmpeg runs with the encode watchdog: ENCODE_STALL_SECONDS and ENCODE_TIMEOUT_FACTOR', () => {
    const load = (env: Record<string, string>) => loadConfig({ env: { API_KEY: KEY, ...env }, envFile: false });
    assert.deepEqual(load({}).media.watchdog, { stallSeconds: 300, timeoutFactor: 10 });
    assert.deepEqual(load({ ENCODE_STALL_SECONDS: '2', ENCODE_TIMEOUT_FACTOR: '2.5' }).media.watchdog, {
      stallSeconds: 2,
      timeoutFactor: 2.5,
    });
    for (const [name, value] of [
      ['ENCODE_STALL_SECONDS', '0'],
      ['ENCODE_STALL_SECONDS', '1.5'],
      ['ENCODE_TIMEOUT_FACTOR', '0.5'],
    ] as const) {
      assert.throws(
        () => load({ [name]: value }),
        (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith(`${name}:`)),
      );
    }
  });

  it('leaves API_KEY optional for one-shot commands', () => {
    assert.equal(loadConfig({ env: {}, envFile: false }).server.apiKey, null);
  });

  it('.env.example documents every variable of the schema, and nothing else', () => {
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const documented = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]).sort();
    assert.deepEqual(documented, Object.keys(envSchema.shape).sort());
  });

  it('.env.example values parse to the defaults', () => {
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const values = Object.fromEntries([...example.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    const fromExample = loadConfig({ env: { ...values, API_KEY: KEY }, envFile: false, cwd: '/x' });
    const defaults = loadConfig({ env: { API_KEY: KEY }, envFile: false, cwd: '/x' });
    assert.deepEqual(
      { ...fromExample, worker: { ...fromExample.worker, id: '' } },
      { ...defaults, worker: { ...defaults.worker, id: '' } },
    );
  });
});

describe('parsers', () => {
  it('parses durations', () => {
    assert.equal(parseDurationMs('0'), 0);
    assert.equal(parseDurationMs('90'), 90_000);
    assert.equal(parseDurationMs('250ms'), 250);
    assert.equal(parseDurationMs('1h'), 3_600_000);
    assert.equal(parseDurationMs('1.5m'), 90_000);
    assert.equal(parseDurationMs('soon'), null);
    assert.equal(parseDurationMs('-1s'), null);
  });

  it('parses byte sizes', () => {
    assert.equal(parseBytes('1024'), 1024);
    assert.equal(parseBytes('500MB'), 500e6);
    assert.equal(parseBytes('10GiB'), 10 * 1024 ** 3);
    assert.equal(parseBytes('lots'), null);
  });

  it('parses the ladder, highest first, and lists problems', () => {
    const ok = parseLadder('low:480:32, high:1080:23:6000');
    assert.deepEqual(ok.problems, []);
    assert.deepEqual(
      ok.rungs.map((r) => [r.name, r.height, r.maxrateKbps]),
      [
        ['high', 1080, 6000],
        ['low', 480, 0],
      ],
    );
    const bad = parseLadder('a:1081:23,a:720:99,b:720:20');
    assert.equal(bad.problems.length, 4);
    assert.equal(parseLadder('').problems.length, 1);
  });
});
