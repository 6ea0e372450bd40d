import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, beforeEach } from 'node:test';
import { pino } from 'pino';
import type request from 'supertest';
import type { ServerConfig, StorageConfig } from '../../src/config/config.js';
import { createApp, type AppDeps } from '../../src/http/app.js';
import type { HealthProbe } from '../../src/http/routes/health.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { JobRepository } from '../../src/store/job-repository.js';
import { Ledger } from '../../src/store/ledger.js';
import { WorkerRegistry } from '../../src/store/worker-registry.js';
import { promised } from '../../src/store/store.js';
import { FakeWorker } from '../fakes/fake-worker.js';
import { ignoreEvents } from '../../src/domain/events.js';
import { JobOperations } from '../../src/pipeline/job-operations.js';
import { LocalSource } from '../../src/sources/local-source.js';

/** The Express app of http-api*.test.ts over a fresh store per test, a fake worker and a storage tree for the static route. */
export const KEY = 'test-api-key-0123456789abcdef';
export const root = mkdtempSync(path.join(tmpdir(), 'vc-http-'));

export const storage: StorageConfig = {
  dir: root,
  tempDir: path.join(root, 'temp'),
  hlsDir: path.join(root, 'hls'),
  dbPath: path.join(root, 'state.db'),
  storeUrl: null,
  diskSpaceFactor: 3,
};
export const server: ServerConfig = {
  host: '127.0.0.1',
  port: 0,
  apiKey: KEY,
  publicBaseUrl: 'http://localhost:3000',
  serveHls: true,
  trustProxy: false,
  version: '9.9.9',
  metricsToken: null,
};

// The storage tree the static route must and must not reach.
mkdirSync(path.join(storage.hlsDir, 'local-jabc', 'high'), { recursive: true });
mkdirSync(path.join(storage.tempDir, 'local-x'), { recursive: true });
writeFileSync(path.join(storage.hlsDir, 'local-jabc', 'master.m3u8'), '#EXTM3U\n');
writeFileSync(path.join(storage.hlsDir, 'local-jabc', 'high', 'segment000.ts'), Buffer.alloc(188, 0x47));
writeFileSync(path.join(storage.hlsDir, 'local-jabc', 'poster.jpg'), Buffer.from([0xff, 0xd8, 0xff]));
writeFileSync(path.join(storage.hlsDir, 'local-jabc', 'preview.mp4'), Buffer.alloc(16));
writeFileSync(path.join(storage.hlsDir, 'local-jabc', 'metadata.json'), '{"schema_version":1}');
mkdirSync(path.join(storage.hlsDir, 'local-jabc', 'storyboard'));
writeFileSync(path.join(storage.hlsDir, 'local-jabc', 'storyboard', 'storyboard.vtt'), 'WEBVTT\n');
writeFileSync(path.join(storage.hlsDir, '.hidden'), 'hidden');
writeFileSync(path.join(storage.tempDir, 'local-x', 'secret.txt'), 'SECRET-TEMP');
openDatabase(storage.dbPath).close();

export let n = 0;
export let db: Database;
export let jobs: JobRepository;
export let ledger: Ledger;
export let worker: FakeWorker;
export let probe: HealthProbe;

/** What /health's probe answers from now on in this test. */
export function setProbe(next: HealthProbe): void {
  probe = next;
}
export let logged: string[];

export function build(overrides: Partial<AppDeps> = {}) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged.push(chunk.toString());
      done();
    },
  });
  // SOURCES without local (`jobs: null`): no local source behind the operations either.
  const localJobs = promised(jobs);
  const local = overrides.jobs === undefined ? localJobs : overrides.jobs;
  return createApp({
    server,
    storage,
    worker,
    jobs: localJobs,
    ledger: promised(ledger),
    workers: promised(new WorkerRegistry(db)),
    lostAfterMs: 30_000,
    operations: new JobOperations({
      sources: local ? [new LocalSource({ jobs: local, workerId: 'test:1', leaseSeconds: 300 })] : [],
      worker,
      events: ignoreEvents,
      hlsDir: storage.hlsDir,
      log: pino({ level: 'silent' }),
    }),
    ladderNames: ['high', 'medium', 'low'],
    health: () => Promise.resolve(probe),
    log: pino({ level: 'info' }, sink),
    now: () => new Date('2024-01-01T00:01:40.000Z'),
    ...overrides,
  });
}

/** Registers the per-test store and the temp tree's removal; call once at the top of a test file. */
export function useApiFixture(): void {
  after(() => rmSync(root, { recursive: true, force: true }));
  beforeEach(resetApiFixture);
}

function resetApiFixture(): void {
  // Each test gets its own store; storage/state.db stays untouched as a static-route target.
  db = openDatabase(path.join(root, `api-${(n += 1)}.db`));
  jobs = new JobRepository({ db, now: () => new Date() });
  ledger = new Ledger({ db, now: () => new Date() });
  worker = new FakeWorker();
  probe = { ffmpeg: '7.0', storageWritable: true };
  logged = [];
}

export const jobCount = (): number => (db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
export const add = (priority = 5) => jobs.create({ sourceUrl: 'https://example.test/v.mp4', priority, title: null });

export function assertError(res: request.Response, status: number, code: string): void {
  assert.equal(res.status, status, `${res.status} ${res.text}`);
  assert.match(String(res.headers['content-type']), /application\/json/);
  assert.equal(res.body.error?.code, code, res.text);
  assert.equal(typeof res.body.error.message, 'string');
  assert.equal(res.text.includes('    at '), false, 'no stack trace in the body');
}
