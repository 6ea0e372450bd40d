/**
 * JobOperations (src/pipeline/job-operations.ts): the cross-source listing, the worker (abort,
 * live progress, poll), the cancel event and the ladder files. Each source's own rules are held
 * by the operations contract (test/contract/operations-contract.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { DaemonEvent } from '../../src/domain/events.js';
import { isAppError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging/logger.js';
import { JobOperations } from '../../src/pipeline/job-operations.js';
import { FakeWorker } from '../fakes/fake-worker.js';
import { MemorySource } from '../fakes/memory-source.js';

const root = mkdtempSync(path.join(tmpdir(), 'vc-ops-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function setup() {
  let at = Date.parse('2026-01-01T00:00:00Z');
  const now = () => new Date(at);
  const local = new MemorySource({ kind: 'local', now });
  const wordpress = new MemorySource({ kind: 'wordpress', now });
  const worker = new FakeWorker();
  const events: DaemonEvent[] = [];
  const hlsDir = path.join(root, `hls-${(n += 1)}`);
  const ops = new JobOperations({
    sources: [local, wordpress],
    worker,
    events: { emit: (e) => void events.push(e) },
    hlsDir,
    log: silentLogger(),
  });
  /** A record of `source`, a minute after the previous one. */
  const add = (source: MemorySource, id: string, fields: Parameters<MemorySource['add']>[1] = {}) => {
    at += 60_000;
    return source.add(id, fields);
  };
  const ladder = (key: string) => {
    mkdirSync(path.join(hlsDir, key), { recursive: true });
    writeFileSync(path.join(hlsDir, key, 'master.m3u8'), '#EXTM3U\n');
    return path.join(hlsDir, key);
  };
  return { ops, local, wordpress, worker, events, add, ladder };
}

const code = (c: string) => (err: unknown) => isAppError(err, c as never);

describe('JobOperations', () => {
  it('merges the sources newest first and pages through the merge', async () => {
    const { ops, local, wordpress, add } = setup();
    add(local, 'a');
    add(wordpress, '1');
    add(local, 'b');
    add(wordpress, '2', { status: 'failed' });
    const keys = async (page: number, perPage: number) => (await ops.list({ page, perPage })).jobs.map((j) => `${j.source}-${j.id}`);
    assert.deepEqual(await keys(1, 10), ['wordpress-2', 'local-b', 'wordpress-1', 'local-a']);
    assert.deepEqual(await keys(2, 3), ['local-a']);
    const list = await ops.list({ page: 1, perPage: 2, status: 'pending' });
    assert.equal(list.total, 3);
    assert.deepEqual(
      list.sources.map((s) => [s.source, s.total, s.counts.failed]),
      [
        ['local', 2, 0],
        ['wordpress', 1, 1],
      ],
    );
    const byKey = await ops.list({ page: 1, perPage: 10, text: 'wordpress-2' });
    assert.deepEqual(
      byKey.jobs.map((j) => `${j.source}-${j.id}`),
      ['wordpress-2'],
      'a key is searched as its id in its own source',
    );
    const one = await ops.list({ page: 1, perPage: 1, source: 'wordpress' });
    assert.deepEqual([one.total, one.jobs.map((j) => j.id)], [2, ['2']], 'one source pages itself');
    await assert.rejects(ops.list({ page: 1, perPage: 1, source: 'appwrite' }), code('invalid_request'));
    await assert.rejects(ops.list({ page: 1000, perPage: 100 }), code('invalid_request'), 'too deep across sources');
  });

  it('shows the sources it can reach when one CMS is down, and says which is not', async () => {
    const { ops, local, wordpress, add } = setup();
    add(local, 'a');
    add(wordpress, '1');
    wordpress.listJobs = async () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    };
    const list = await ops.list({ page: 1, perPage: 10 });
    assert.deepEqual(
      list.jobs.map((j) => j.id),
      ['a'],
    );
    assert.deepEqual(
      list.errors.map((e) => e.source),
      ['wordpress'],
    );
    assert.match(list.errors[0]!.message, /ECONNREFUSED/);
  });

  it('cancels: a queued job ends here (one job_cancelled), a running one is aborted on this daemon', async () => {
    const { ops, wordpress, worker, events, add } = setup();
    add(wordpress, 'queued');
    await ops.cancel('wordpress-queued');
    assert.deepEqual(events, [{ type: 'job_cancelled', key: 'wordpress-queued' }]);
    assert.equal(worker.count('abortJob'), 0);

    add(wordpress, 'running');
    await wordpress.claim((await wordpress.listPending(10)).records[0]!, wordpress.workerId);
    await ops.cancel('wordpress-running');
    assert.deepEqual(worker.aborted, [{ key: 'wordpress-running', reason: 'cancelled' }]);
    assert.equal(events.length, 1, "the running job's pipeline reports its own cancel");
    await assert.rejects(ops.cancel('wordpress-running'), code('conflict'));
    await assert.rejects(ops.cancel('wordpress-nope'), code('not_found'));
    await assert.rejects(ops.cancel('appwrite-x'), code('not_found'), 'a source that is not configured');
    await assert.rejects(ops.cancel('x'), code('invalid_request'), 'not a key');
  });

  it('retries one job, or every failed job of a source, and polls soon', async () => {
    const { ops, local, worker, add } = setup();
    add(local, 'a', { status: 'failed' });
    add(local, 'b', { status: 'failed' });
    add(local, 'c', { status: 'completed' });
    assert.equal((await ops.retry('local-a')).priority, 1);
    add(local, 'd', { status: 'failed' });
    assert.equal(await ops.retryAllFailed('local'), 2);
    assert.deepEqual(
      ['a', 'b', 'c', 'd'].map((id) => local.get(id).status),
      ['pending', 'pending', 'completed', 'pending'],
    );
    assert.equal(worker.count('pollSoon'), 2);
  });

  it('deletes: a CMS record keeps itself with its outputs cleared; the ladder goes; a running job is refused', async () => {
    const { ops, wordpress, add, ladder } = setup();
    add(wordpress, '7', { status: 'completed', hlsUrl: 'https://cdn.test/storage/hls/wordpress-7/master.m3u8' });
    const dir = ladder('wordpress-7');
    assert.deepEqual(await ops.delete('wordpress-7'), { key: 'wordpress-7', record: 'cleared', ladderRemoved: true });
    assert.equal(existsSync(dir), false);
    assert.deepEqual([wordpress.get('7').status, wordpress.get('7').hlsUrl], ['completed', null]);

    add(wordpress, '8', { status: 'processing', claimedBy: 'w' });
    const busy = ladder('wordpress-8');
    await assert.rejects(ops.delete('wordpress-8'), code('conflict'));
    assert.ok(existsSync(busy));
    await assert.rejects(ops.delete('wordpress-9'), code('not_found'), 'no record, no ladder');
  });

  it('gives the live progress of a job this daemon runs', async () => {
    const { ops, local, worker, add } = setup();
    add(local, 'a', { status: 'processing', claimedBy: 'test-host:1', progress: 20 });
    const active = {
      key: 'local-a',
      source: 'local' as const,
      recordId: 'a',
      title: null,
      step: 'transcoding' as const,
      percent: 64,
      rung: 'high',
      etaSeconds: 9,
      startedAt: '',
    };
    worker.active = [active];
    assert.deepEqual((await ops.get('local-a')).live, active);
    worker.active = [];
    assert.equal((await ops.get('local-a')).live, null);
  });
});
