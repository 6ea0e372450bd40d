import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { AppError } from '../../src/errors.js';
import { LocalSource } from '../../src/sources/local-source.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { JobRepository } from '../../src/store/job-repository.js';

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
  source = new LocalSource({ jobs, workerId: 'me:1', leaseSeconds: 300 });
});

const add = (priority = 5) => {
  const job = jobs.create({ sourceUrl: 'https://example.test/a.mp4', priority, title: 'A' });
  clock += 1000;
  return job;
};

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof AppError && err.code === code);
}

describe('LocalSource', () => {
  it('lists due records as VideoRecords, priority first', async () => {
    const normal = add(5);
    const urgent = add(1);
    const { total, records } = await source.listPending(10);
    assert.equal(total, 2);
    assert.deepEqual(records.map((r) => r.id), [urgent.id, normal.id]);
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
    });
    assert.equal(source.kind, 'local');
  });

  it('claims once, then writes progress and results as the owner', async () => {
    add();
    const [record] = (await source.listPending(1)).records;
    assert.ok(record);
    const claimed = await source.claim(record, 'me:1');
    assert.equal(claimed?.status, 'processing');
    assert.equal(claimed?.claimedBy, 'me:1');
    assert.equal(await source.claim(record, 'other:2'), null);
    await source.heartbeat(record.id, { percent: 30, step: 'transcoding' });
    assert.equal(jobs.get(record.id)?.progress, 30);
    await source.complete(record.id, {
      hlsUrl: 'h',
      posterUrl: 'p',
      renditions: [],
      duration: 1,
      width: 2,
      height: 3,
      processingMs: 4,
      outputBytes: 5,
      completedAt: now().toISOString(),
    });
    assert.equal(jobs.get(record.id)?.status, 'completed');
  });

  it('refuses writes for a record claimed by another worker (lease_expired)', async () => {
    add();
    const [record] = (await source.listPending(1)).records;
    assert.ok(record);
    assert.ok(await source.claim(record, 'other:2'));
    await rejectsWith(source.heartbeat(record.id, { percent: 1, step: 'downloading' }), 'lease_expired');
    await rejectsWith(source.release(record.id), 'lease_expired');
  });

  it('signals a cancellation through heartbeat', async () => {
    add();
    const [record] = (await source.listPending(1)).records;
    assert.ok(record && (await source.claim(record, 'me:1')));
    jobs.cancel(record.id);
    await rejectsWith(source.heartbeat(record.id, { percent: 1, step: 'downloading' }), 'cancelled');
  });

  it('fails with a schedule, and releases without counting an attempt', async () => {
    add();
    const [record] = (await source.listPending(1)).records;
    assert.ok(record && (await source.claim(record, 'me:1')));
    await source.fail(record.id, {
      status: 'pending',
      error: 'reset',
      errorCode: 'source_network_error',
      retryCount: 1,
      retryErrors: ['reset'],
      lastRetryAt: now().toISOString(),
      nextAttemptAt: now().toISOString(),
    });
    const [again] = (await source.listPending(1)).records;
    assert.equal(again?.retryCount, 1);
    assert.ok(again && (await source.claim(again, 'me:1')));
    await source.release(again.id);
    const [released] = (await source.listPending(1)).records;
    assert.equal(released?.status, 'pending');
    assert.equal(released?.retryCount, 1);
    assert.equal(released?.claimedBy, null);
  });

  it('reports the store as a CMS: healthy when open, cms_error when it is gone', async () => {
    assert.deepEqual(await source.health(), { kind: 'local', connected: true });
    db.close();
    const health = await source.health();
    assert.equal(health.connected, false);
    await assert.rejects(source.listPending(5), (err: unknown) => err instanceof AppError && err.code === 'cms_error' && err.retryable);
  });
});
