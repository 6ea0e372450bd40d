import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import express from 'express';
import request from 'supertest';
import { healthRouter } from '../../src/http/routes/health.js';
import { silentLogger } from '../../src/logging/logger.js';
import { AppwriteSource } from '../../src/sources/appwrite-source.js';
import { checkAppwrite } from '../../src/sources/appwrite-doctor.js';
import { compareVersions, versionWarning } from '../../src/sources/appwrite-version.js';
import type { FakeAppwrite } from '../fakes/appwrite-server.js';
import { FakeWorker } from '../fakes/fake-worker.js';
import { addVideo, appwriteConfig, capturingLogger, useFakeAppwrite } from '../helpers/appwrite-fixtures.js';

/**
 * The Appwrite server's version (claims are locked by the server from 1.9.5 on) and its warnings
 * (X-Appwrite-Warning), through the real SDK against the fake: in the log, on /health, in doctor.
 */
describe('Appwrite server version and warnings', () => {
  let fake: FakeAppwrite;
  const versionReads = (): number => fake.requests.filter((r) => r.path === '/v1/health/version').length;

  useFakeAppwrite((started) => (fake = started));
  beforeEach(() => {
    fake.requests.length = 0;
  });

  it('compares versions and words the warning', () => {
    assert.equal(compareVersions('1.9.0', '1.9.5')! < 0, true);
    assert.equal(compareVersions('1.10.0', '1.9.5')! > 0, true);
    assert.equal(compareVersions('1.9.5-rc.1', '1.9.5'), 0);
    assert.equal(compareVersions('latest', '1.9.5'), null);
    assert.equal(versionWarning('1.9.5'), null);
    assert.equal(versionWarning('1.10.2'), null);
    assert.match(
      versionWarning('1.9.0')!,
      /Appwrite 1\.9\.0 checks X-Appwrite-Timestamp without a row lock .*claim token.*upgrade to 1\.9\.5/,
    );
    assert.match(versionWarning('1.8.1')!, /row lock/);
    assert.match(versionWarning('1.7.4')!, /older than 1\.8/);
    assert.match(versionWarning('nightly')!, /not one the daemon knows/);
  });

  it('reads the version once, at the first poll, and warns about 1.9.0 once: in the log and in warnings()', async () => {
    fake.version = '1.9.0';
    const captured = capturingLogger();
    const worker = new AppwriteSource({ config: appwriteConfig(fake), workerId: 'host-a:1', leaseSeconds: 60, log: captured.log });
    assert.deepEqual(worker.warnings(), [], 'nothing known before the first poll');
    for (let i = 0; i < 3; i += 1) await worker.listPending(5);
    assert.equal(versionReads(), 1);
    const warned = captured.lines.filter((l) => l.appwriteVersion === '1.9.0');
    assert.equal(warned.length, 1);
    assert.equal(warned[0]!.level, 40);
    assert.deepEqual(worker.warnings(), [warned[0]!.msg]);
    assert.match(worker.warnings()[0]!, /without a row lock/);
  });

  it('says nothing of a 1.9.5 server, and asks again at the next poll while Appwrite cannot be reached', async () => {
    const captured = capturingLogger();
    const worker = new AppwriteSource({ config: appwriteConfig(fake), workerId: 'host-a:1', leaseSeconds: 60, log: captured.log });
    fake.outage = { kind: 'status', status: 503 };
    await assert.rejects(worker.listPending(5));
    fake.outage = null;
    await worker.listPending(5);
    await worker.listPending(5);
    assert.equal(versionReads(), 2, 'once while down, once more when back, then never');
    assert.deepEqual(worker.warnings(), []);
    assert.equal(captured.lines.filter((l) => l.appwriteVersion === '1.9.5' && l.level === 30).length, 1);
  });

  it("routes Appwrite's X-Appwrite-Warning into the source's log, once per distinct message, never to the console", async (t) => {
    const consoleWarn = t.mock.method(console, 'warn', () => undefined);
    const captured = capturingLogger();
    const worker = new AppwriteSource({ config: appwriteConfig(fake), workerId: 'host-a:1', leaseSeconds: 60, log: captured.log });
    addVideo(fake, 'w1', { source_url: 'https://cdn.test/w1.mp4' });
    fake.version = '1.9.0';
    for (let i = 0; i < 3; i += 1) await worker.listPending(5);
    const claimed = await worker.claim((await worker.listPending(1)).records[0]!, 'host-a:1');
    assert.ok(claimed, 'a claim, its read-back and a heartbeat work through the dispatcher');
    await worker.heartbeat('w1', { percent: 10, step: 'downloading' });
    fake.version = '1.9.1';
    await worker.listPending(5);
    await worker.listPending(5);

    const warnings = captured.lines.filter((l) => typeof l.appwriteWarning === 'string').map((l) => l.appwriteWarning as string);
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(
      warnings[0]!,
      /^The current SDK is built for Appwrite 1\.9\.5\. However, the current Appwrite server version is 1\.9\.0\./,
    );
    assert.match(warnings[1]!, /server version is 1\.9\.1\./);
    assert.equal(consoleWarn.mock.callCount(), 0);
    assert.ok(fake.requests.length > 8, 'every answer carried the header');
  });

  it('shows the warning on /health, on the source’s entry, and nowhere else', async () => {
    const worker = new FakeWorker();
    worker.sources = [
      { kind: 'local', connected: true, pending: 0, lastPollAt: null, lastError: null, lastErrorCode: null },
      { kind: 'appwrite', connected: true, pending: 2, lastPollAt: null, lastError: null, lastErrorCode: null },
    ];
    const app = express().use(
      healthRouter({
        server: {
          host: '127.0.0.1',
          port: 0,
          apiKey: 'k',
          publicBaseUrl: 'http://localhost',
          serveHls: false,
          trustProxy: false,
          version: '1',
          metricsToken: null,
        },
        worker,
        health: async () => ({ ffmpeg: '7.0', storageWritable: true, sourceWarnings: { local: [], appwrite: ['Appwrite 1.9.0 checks…'] } }),
        log: silentLogger(),
        now: () => new Date(),
      }),
    );
    const res = await request(app).get('/health');
    assert.equal(res.body.status, 'ok', 'a warning does not degrade the daemon');
    assert.deepEqual(res.body.sources, [
      { kind: 'local', connected: true },
      { kind: 'appwrite', connected: true, warnings: ['Appwrite 1.9.0 checks…'] },
    ]);
  });

  it("doctor reports the version (ok from 1.9.5, a warning before) and the server's own warnings", async (t) => {
    const consoleWarn = t.mock.method(console, 'warn', () => undefined);
    const versionCheck = async () => (await checkAppwrite(appwriteConfig(fake))).find((c) => c.name === 'appwrite version')!;
    assert.deepEqual(await versionCheck(), { level: 'ok', name: 'appwrite version', detail: '1.9.5: claims are locked by the server' });
    fake.version = '1.9.0';
    const checks = await checkAppwrite(appwriteConfig(fake));
    const old = checks.find((c) => c.name === 'appwrite version')!;
    assert.equal(old.level, 'warn');
    assert.match(old.detail, /1\.9\.0 checks X-Appwrite-Timestamp without a row lock/);
    // The server's own warning, once in the report rather than printed by the SDK at every request.
    const warned = checks.filter((c) => c.name === 'appwrite warning');
    assert.deepEqual(
      warned.map((c) => c.level),
      ['warn'],
    );
    assert.match(warned[0]!.detail, /server version is 1\.9\.0/);
    assert.equal(consoleWarn.mock.callCount(), 0);
  });
});
