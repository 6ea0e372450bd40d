import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../../src/errors.js';
import { silentLogger, type Logger } from '../../src/logging/logger.js';
import { REFS_PAGE_SIZE } from '../../src/sources/appwrite-operations.js';
import { AppwriteSource } from '../../src/sources/appwrite-source.js';
import type { FakeAppwrite } from '../fakes/appwrite-server.js';
import { appwriteTime, type FakeRow } from '../fakes/appwrite-store.js';
import { addVideo, appwriteConfig, capturingLogger, DATABASE, useFakeAppwrite, TABLE, videoRow } from '../helpers/appwrite-fixtures.js';

interface Listing {
  readonly queries: Array<{ method: string; attribute?: string; values?: unknown[] }>;
  readonly total: string | null;
}

/** The listing of a page (the counts are not ordered). */
const isPage = (listing: Listing): boolean => listing.queries.some((q) => q.method === 'orderDesc');
const at = (seconds: number): Date => new Date(Date.parse('2024-05-01T12:00:00.000Z') + seconds * 1000);

/**
 * The operator's side of the Appwrite source against the fake server, through the real SDK: what
 * the shared contract (test/contract/operations-contract.ts) cannot see — the queries sent, rows
 * the source does not track, and writes that lose a race to a worker or an editor.
 */
describe('Appwrite source: the operator side', () => {
  let fake: FakeAppwrite;
  const source = (env: Record<string, string> = {}, log: Logger = silentLogger()): AppwriteSource =>
    new AppwriteSource({ config: appwriteConfig(fake, env), workerId: 'host-a:1', leaseSeconds: 60, log });
  /** The row listings sent from request number `from` on, their queries decoded. */
  const listingsSince = (from: number): Listing[] =>
    fake.requests
      .slice(from)
      .filter((r) => r.method === 'GET' && r.path.endsWith('/rows'))
      .map((r) => {
        const params = new URLSearchParams(r.search);
        const queries = [...params.entries()].filter(([key]) => key.startsWith('queries[')).map(([, json]) => JSON.parse(json));
        return { queries, total: params.get('total') };
      });
  const conflicts = (): number => fake.requests.filter((r) => r.method === 'PATCH' && r.status === 409).length;
  /** Makes the next update find the row saved in between (a new version), as `change` leaves it. */
  const savedInBetween = (change: (row: FakeRow) => void): void => {
    fake.beforeUpdate = (row) => {
      fake.beforeUpdate = null;
      change(row);
      row.$updatedAt = appwriteTime(Date.parse(row.$updatedAt) + 1);
    };
  };

  useFakeAppwrite((started) => (fake = started));

  it('lists one page and counts each status with a one-row listing; text is an exact id or a title substring, any case', async () => {
    addVideo(fake, 'a1', { source_url: 'https://cdn.test/1.mp4', title: 'Holiday in Lisbon', status: 'failed' }, at(1));
    addVideo(fake, 'a2', { source_url: 'https://cdn.test/2.mp4', title: 'LISBON: 50% off', status: 'completed' }, at(2));
    addVideo(fake, 'a3', { source_url: 'https://cdn.test/3.mp4', title: 'Sale of 500 items' }, at(3));
    addVideo(fake, 'a4', { source_url: 'https://cdn.test/4.mp4' }, at(4));
    addVideo(fake, 'untracked', { source_url: 'https://cdn.test/5.mp4', title: 'lisbon too', status: null }, at(5));

    const from = fake.requests.length;
    const page = await source().listJobs({ text: ' lisbon ', limit: 10, offset: 0 });
    assert.deepEqual([page.total, page.jobs.map((j) => j.id)], [2, ['a2', 'a1']], 'newest first, the untracked row left out');
    assert.deepEqual(page.counts, { pending: 2, processing: 0, completed: 1, failed: 1, cancelled: 0 });
    // Sent together: the page, and one count per status.
    const sent = listingsSince(from);
    const list = sent.find(isPage);
    assert.deepEqual(list?.queries, [
      { method: 'isNotNull', attribute: 'status' },
      {
        method: 'or',
        values: [
          { method: 'equal', attribute: '$id', values: ['lisbon'] },
          { method: 'contains', attribute: 'title', values: ['lisbon'] },
        ],
      },
      { method: 'orderDesc', attribute: '$createdAt' },
      { method: 'limit', values: [10] },
      { method: 'offset', values: [0] },
    ]);
    const countOf = (status: string): Listing => ({
      queries: [
        { method: 'equal', attribute: 'status', values: [status] },
        { method: 'select', values: ['$id'] },
        { method: 'limit', values: [1] },
      ],
      total: 'true',
    });
    const byJson = (a: Listing, b: Listing): number => JSON.stringify(a).localeCompare(JSON.stringify(b));
    assert.deepEqual(
      sent.filter((l) => l !== list).sort(byJson),
      ['pending', 'processing', 'completed', 'failed', 'cancelled'].map(countOf).sort(byJson),
    );

    const ids = async (text: string): Promise<string[]> => (await source().listJobs({ text, limit: 10, offset: 0 })).jobs.map((j) => j.id);
    assert.deepEqual(await ids('50%'), ['a2'], 'a wildcard is a literal character');
    assert.deepEqual(await ids('a3'), ['a3'], 'the id');
    const mark = fake.requests.length;
    const pending = await source().listJobs({ status: 'pending', limit: 1, offset: 1 });
    assert.deepEqual([pending.total, pending.jobs.map((j) => j.id)], [2, ['a3']]);
    assert.deepEqual(listingsSince(mark).find(isPage)?.queries[0], { method: 'equal', attribute: 'status', values: ['pending'] });
  });

  it('never shows, counts, lists or changes a row without a status', async () => {
    addVideo(fake, 'untracked', { source_url: 'https://cdn.test/u.mp4', status: null });
    addVideo(fake, 'tracked', { source_url: 'https://cdn.test/t.mp4' });
    const vc = source();
    assert.equal(await vc.getJob('untracked'), null);
    assert.deepEqual(
      (await vc.listRefs()).map((r) => r.id),
      ['tracked'],
    );
    await assert.rejects(vc.cancel('untracked'), (err) => isAppError(err, 'not_found'));
    await assert.rejects(vc.update('untracked', {}), (err) => isAppError(err, 'not_found'));
    assert.equal(videoRow(fake, 'untracked').status, null);
  });

  it('lists every row for clean-up a page at a time after the last row seen, three columns, never counting', async () => {
    const count = 2 * REFS_PAGE_SIZE + 1;
    for (let i = 0; i < count; i += 1) {
      const id = `r${String(i).padStart(5, '0')}`;
      fake.insertRow(DATABASE, TABLE, id, { source_url: `https://cdn.test/${id}.mp4`, status: i === 7 ? 'completed' : 'pending' });
    }
    fake.patchRow(DATABASE, TABLE, 'r00007', { hls_url: 'https://media.test/storage/hls/appwrite-r00007/master.m3u8' });
    const from = fake.requests.length;
    const refs = await source().listRefs();
    assert.equal(refs.length, count);
    assert.equal(new Set(refs.map((r) => r.id)).size, count, 'no row twice');
    assert.deepEqual(
      refs.find((r) => r.id === 'r00007'),
      { id: 'r00007', status: 'completed', hlsUrl: 'https://media.test/storage/hls/appwrite-r00007/master.m3u8' },
    );
    const pages = listingsSince(from);
    const base = [
      { method: 'isNotNull', attribute: 'status' },
      { method: 'select', values: ['$id', 'status', 'hls_url'] },
      { method: 'limit', values: [REFS_PAGE_SIZE] },
    ];
    const lastOfPage = (n: number): string => `r${String(n * REFS_PAGE_SIZE - 1).padStart(5, '0')}`;
    assert.deepEqual(pages, [
      { queries: base, total: 'false' },
      { queries: [...base, { method: 'cursorAfter', values: [lastOfPage(1)] }], total: 'false' },
      { queries: [...base, { method: 'cursorAfter', values: [lastOfPage(2)] }], total: 'false' },
    ]);
  });

  it('cancels on a fresh read when a worker claims the row in between: cancelled, the claimer still named', async () => {
    addVideo(fake, 'c1', { source_url: 'https://cdn.test/c.mp4' });
    savedInBetween((row) => Object.assign(row, { status: 'processing', claimed_by: 'host-b:2' }));
    const before = conflicts();
    const job = await source().cancel('c1');
    assert.equal(conflicts() - before, 1, 'the write on the stale read lost');
    assert.deepEqual([job.status, job.claimedBy], ['cancelled', 'host-b:2']);
    assert.deepEqual([videoRow(fake, 'c1').status, videoRow(fake, 'c1').claimed_by], ['cancelled', 'host-b:2']);
  });

  it('answers conflict to a retry of a row a worker claimed in between, and leaves the claim alone', async () => {
    addVideo(fake, 'f1', { source_url: 'https://cdn.test/f.mp4', status: 'failed', error_code: 'source_not_found' });
    savedInBetween((row) => Object.assign(row, { status: 'processing', claimed_by: 'host-b:2' }));
    await assert.rejects(source().retry('f1'), (err) => {
      assert.ok(isAppError(err, 'conflict'), String(err));
      assert.deepEqual(err.context, { id: 'f1', status: 'processing' });
      return true;
    });
    assert.deepEqual([videoRow(fake, 'f1').status, videoRow(fake, 'f1').claimed_by], ['processing', 'host-b:2']);
    assert.equal(fake.writesTo('f1', { status: 'pending' }), 0);
  });

  it('requeues only rows still as listed: one claimed meanwhile is left to its worker', async () => {
    addVideo(fake, 'd1', { source_url: 'https://cdn.test/d1.mp4', status: 'completed' }, at(1));
    addVideo(fake, 'd2', { source_url: 'https://cdn.test/d2.mp4', status: 'completed' }, at(2));
    savedInBetween((row) => Object.assign(row, { status: 'processing', claimed_by: 'host-b:2' }));
    const result = await source().requeue({ scope: 'completed', priority: 4, batchSize: 10, dryRun: false });
    assert.deepEqual([result.matched, result.requeued], [{ failed: 0, completed: 2 }, 1]);
    const [first, second] = [videoRow(fake, 'd1'), videoRow(fake, 'd2')];
    assert.deepEqual([first.status, first.claimed_by], ['processing', 'host-b:2'], 'the row written first was claimed meanwhile');
    assert.deepEqual([second.status, second.priority], ['pending', 4]);
  });

  it('gives up with a retryable cms_error when every write loses the race', async () => {
    addVideo(fake, 'busy', { source_url: 'https://cdn.test/b.mp4' });
    fake.beforeUpdate = (row) => {
      row.$updatedAt = appwriteTime(Date.parse(row.$updatedAt) + 1);
    };
    const before = conflicts();
    await assert.rejects(source().update('busy', { priority: 2 }), (err) => isAppError(err, 'cms_error') && err.retryable);
    assert.equal(conflicts() - before, 3, 'a bounded number of attempts');
    assert.equal(videoRow(fake, 'busy').priority, 5);
  });

  it('sends no write for an update without changes; not_found for an unknown row', async () => {
    addVideo(fake, 'u1', { source_url: 'https://cdn.test/u1.mp4', priority: 3 });
    const writes = fake.requests.filter((r) => r.method === 'PATCH').length;
    assert.equal((await source().update('u1', {})).priority, 3);
    assert.equal(fake.requests.filter((r) => r.method === 'PATCH').length, writes);
    for (const action of [(vc: AppwriteSource) => vc.clearOutputs('nope'), (vc: AppwriteSource) => vc.update('nope', { priority: 1 })]) {
      await assert.rejects(action(source()), (err) => isAppError(err, 'not_found'));
    }
  });

  it('turns 5xx into the retryable cms_error, and reports a refused key once for both sides of the source', async () => {
    addVideo(fake, 'k1', { source_url: 'https://cdn.test/k.mp4', status: 'failed' });
    addVideo(fake, 'k2', { source_url: 'https://cdn.test/k2.mp4' });
    fake.outage = { kind: 'status', status: 503 };
    for (const call of [(vc: AppwriteSource) => vc.listJobs({ limit: 5, offset: 0 }), (vc: AppwriteSource) => vc.getJob('k1')]) {
      await assert.rejects(call(source()), (err) => isAppError(err, 'cms_error') && err.retryable && /HTTP 503/.test(err.message));
    }
    fake.outage = null;

    fake.keys.set('read-only-key', ['rows.read']);
    const capture = capturingLogger();
    const vc = source({ APPWRITE_API_KEY: 'read-only-key' }, capture.log);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      await assert.rejects(vc.retry('k1'), (err) => isAppError(err, 'cms_unauthorized') && /lacks the scope rows\.write/.test(err.message));
    }
    const [due] = (await vc.listPending(1)).records;
    await assert.rejects(vc.claim(due!, 'host-a:1'), (err) => isAppError(err, 'cms_unauthorized'));
    assert.equal(capture.lines.filter((l) => l.level === 50).length, 1, 'one error for the operator and the worker alike');
    assert.equal(videoRow(fake, 'k1').status, 'failed');
  });
});
