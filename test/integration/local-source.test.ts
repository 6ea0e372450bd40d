import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { AppError } from '../../src/errors.js';
import { LocalSource } from '../../src/sources/local-source.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { JobRepository } from '../../src/store/job-repository.js';
import { promised } from '../../src/store/store.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'vc-local-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

let clock = Date.parse('2024-05-01T12:00:00.000Z');
const now = (): Date => new Date(clock);
let db: Database;
let jobs: JobRepository;
let source: LocalSource;
let n = 0;

beforeEach(() => {
  clock = Date.parse('2024-05-01T12:00:00.000Z');
  db = openDatabase(path.join(tmp, `local-${(n += 1)}.db`));
  jobs = new JobRepository({ db, now });
  source = new LocalSource({ jobs: promised(jobs), workerId: 'me:1', leaseSeconds: 300 });
});

const add = (priority = 5) => {
  const job = jobs.create({ sourceUrl: 'https://example.test/a.mp4', priority, title: 'A' });
  clock += 1000;
  return job;
};

/** What only the local source does; claims, heartbeats and write-backs are the contract's (test/contract/local-source.test.ts). */
describe('LocalSource', () => {
  it('lists due records as VideoRecords, priority first', async () => {
    const normal = add(5);
    const urgent = add(1);
    const { total, records } = await source.listPending(10);
    assert.equal(total, 2);
    assert.deepEqual(
      records.map((r) => r.id),
      [urgent.id, normal.id],
    );
    assert.deepEqual(records[1], {
      source: 'local',
      id: normal.id,
      sourceUrl: 'https://example.test/a.mp4',
      status: 'pending',
      priority: 5,
      title: 'A',
      retryCount: 0,
      retryErrors: [],
      createdAt: normal.createdAt,
      updatedAt: normal.updatedAt,
      nextAttemptAt: null,
      claimedBy: null,
      heartbeatAt: null,
      ladder: [],
    });
    assert.equal(source.kind, 'local');
  });

  it('reports the store as a CMS: healthy when open, cms_error when it is gone', async () => {
    assert.deepEqual(await source.health(), { kind: 'local', connected: true });
    db.close();
    const health = await source.health();
    assert.equal(health.connected, false);
    await assert.rejects(source.listPending(5), (err: unknown) => err instanceof AppError && err.code === 'cms_error' && err.retryable);
  });
});
