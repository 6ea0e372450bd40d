import { publishResultFor } from '../helpers/publish-result.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../../src/errors.js';
import { silentLogger, type Logger } from '../../src/logging/logger.js';
import { AppwriteSource } from '../../src/sources/appwrite-source.js';
import type { Failure } from '../../src/domain/record.js';
import { appwriteTime } from '../fakes/appwrite-store.js';
import { FULL_KEY, type FakeAppwrite } from '../fakes/appwrite-server.js';
import {
  addVideo,
  appwriteConfig,
  capturingLogger,
  DATABASE,
  startFakeAppwrite,
  useFakeAppwrite,
  TABLE,
  videoRow,
} from '../helpers/appwrite-fixtures.js';

const LEASE_SECONDS = 60;
const minutesAgo = (m: number): Date => new Date(Date.now() - m * 60_000);

/**
 * The Appwrite source against the fake server, through the real node-appwrite SDK: what only
 * Appwrite does. Claims, heartbeats and write-backs are the contract's (test/contract/appwrite-source.test.ts).
 */
describe('Appwrite source', () => {
  let fake: FakeAppwrite;
  const source = (workerId = 'host-a:1', env: Record<string, string> = {}, log: Logger = silentLogger()): AppwriteSource =>
    new AppwriteSource({ config: appwriteConfig(fake, env), workerId, leaseSeconds: LEASE_SECONDS, log });

  useFakeAppwrite((started) => (fake = started));

  it('lists due rows by priority then age, one bounded page, with the total of due rows', async () => {
    addVideo(fake, 'normal-old', { source_url: 'https://cdn.test/1.mp4', priority: 5 }, minutesAgo(30));
    addVideo(fake, 'urgent-new', { source_url: 'https://cdn.test/2.mp4', priority: 1 }, minutesAgo(1));
    addVideo(fake, 'low', { source_url: 'https://cdn.test/3.mp4', priority: 10 }, minutesAgo(40));
    addVideo(fake, 'normal-new', { source_url: 'https://cdn.test/4.mp4', priority: 5 }, minutesAgo(2));
    addVideo(fake, 'retry-later', {
      source_url: 'https://cdn.test/5.mp4',
      priority: 1,
      next_attempt_at: new Date(Date.now() + 3600_000).toISOString(),
    });
    addVideo(
      fake,
      'retry-due',
      { source_url: 'https://cdn.test/6.mp4', priority: 3, next_attempt_at: minutesAgo(1).toISOString() },
      minutesAgo(5),
    );
    addVideo(fake, 'done', { source_url: 'https://cdn.test/7.mp4', priority: 1, status: 'completed' });
    addVideo(fake, 'running', {
      source_url: 'https://cdn.test/8.mp4',
      priority: 1,
      status: 'processing',
      claimed_by: 'host-b:2',
      heartbeat_at: new Date().toISOString(),
    });
    addVideo(
      fake,
      'orphan',
      {
        source_url: 'https://cdn.test/9.mp4',
        priority: 4,
        status: 'processing',
        claimed_by: 'host-c:3',
        heartbeat_at: minutesAgo(5).toISOString(),
      },
      minutesAgo(50),
    );

    let before = fake.requests.length;
    // The `total` parameter of each listing since `before`.
    const counted = (): Array<string | null> =>
      fake.requests
        .slice(before)
        .flatMap((r) => (r.method === 'GET' && r.path.endsWith('/rows') ? [new URLSearchParams(r.search).get('total')] : []));
    const { total, records } = await source().listPending(4);
    assert.deepEqual(
      records.map((r) => r.id),
      ['urgent-new', 'retry-due', 'orphan', 'normal-old'],
    );
    assert.equal(total, 6, 'due: 4 fresh, 1 retry, 1 expired lease');
    assert.deepEqual(counted(), ['false', 'false', 'true'], 'two pages without a count; the pending one is full, so one count');
    before = fake.requests.length;
    assert.equal((await source().listPending(10)).total, 6, 'pages that are not full are the count');
    assert.deepEqual(counted(), ['false', 'false'], 'no count at all');
    const first = records[0]!;
    assert.equal(first.source, 'appwrite');
    assert.equal(first.sourceUrl, 'https://cdn.test/2.mp4');
    assert.match(first.createdAt, /Z$/, 'times normalised to toISOString()');
    assert.match(first.updatedAt, /\+00:00$/, 'the lock token is kept exactly as Appwrite wrote it');
  });

  it('lets exactly one of five racing workers claim a row; a claim from a stale read loses', async () => {
    addVideo(fake, 'contested', { source_url: 'https://cdn.test/c.mp4' });
    const workers = ['w1', 'w2', 'w3', 'w4', 'w5'].map((id) => source(id));
    const listed = await Promise.all(workers.map((w) => w.listPending(10)));
    const conflictsBefore = fake.requests.filter((r) => r.status === 409).length;
    const results = await Promise.all(workers.map((w, i) => w.claim(listed[i]!.records[0]!, ['w1', 'w2', 'w3', 'w4', 'w5'][i]!)));
    const winners = results.filter((r) => r !== null);
    assert.equal(winners.length, 1);
    assert.equal(fake.requests.filter((r) => r.status === 409).length - conflictsBefore, 4, 'the server refused the four others');
    const row = videoRow(fake, 'contested');
    assert.equal(row.status, 'processing');
    assert.equal(row.claimed_by, winners[0]!.claimedBy);
    assert.equal(row.step, 'claimed');
    assert.equal(row.retry_count, 0, 'a fresh claim counts no attempt');
    // The winner's own earlier read is stale now too.
    assert.equal(await workers[0]!.claim(listed[0]!.records[0]!, 'w1'), null);
  });

  it('heart-beats through an editor saving the row meanwhile: one lost lock race, a fresh read, the editor’s change kept', async () => {
    addVideo(fake, 'hb', { source_url: 'https://cdn.test/h.mp4' });
    const worker = source('host-a:1');
    await worker.claim((await worker.listPending(1)).records[0]!, 'host-a:1');
    await worker.heartbeat('hb', { percent: 45.4, step: 'transcoding' });
    assert.equal(videoRow(fake, 'hb').progress, 45);

    // An editor saves the title between our read and our write: we lose the race once, re-read, write.
    let edits = 0;
    fake.beforeUpdate = (row) => {
      if (edits++ > 0) return;
      row.title = 'Edited meanwhile';
      row.$updatedAt = appwriteTime(Date.parse(row.$updatedAt) + 1);
    };
    const conflictsBefore = fake.requests.filter((r) => r.status === 409).length;
    await worker.heartbeat('hb', { percent: 60, step: 'transcoding' });
    assert.equal(fake.requests.filter((r) => r.status === 409).length - conflictsBefore, 1, 'the first write lost the race');
    assert.equal(videoRow(fake, 'hb').progress, 60);
    assert.equal(videoRow(fake, 'hb').title, 'Edited meanwhile', "the editor's change is kept");
  });

  it('writes the result back, under the column names of the field map', async () => {
    const mapped = await startFakeAppwrite({ env: { APPWRITE_FIELD_MAP: 'hls_url:stream_url, poster_url:thumbnail' } });
    try {
      const table = mapped.table(DATABASE, TABLE);
      assert.ok(table.columns.some((c) => c.key === 'stream_url') && !table.columns.some((c) => c.key === 'hls_url'));
      addVideo(mapped, 'm1', { source_url: 'https://cdn.test/m.mp4' });
      const worker = new AppwriteSource({
        config: appwriteConfig(mapped, { APPWRITE_FIELD_MAP: 'hls_url:stream_url,poster_url:thumbnail' }),
        workerId: 'w',
        leaseSeconds: 60,
        log: silentLogger(),
      });
      await worker.claim((await worker.listPending(1)).records[0]!, 'w');
      await worker.complete('m1', publishResultFor('appwrite-m1'));
      const row = videoRow(mapped, 'm1');
      assert.equal(row.status, 'completed');
      assert.equal(row.stream_url, 'https://media.test/storage/hls/appwrite-m1/master.m3u8');
      assert.equal(row.thumbnail, 'https://media.test/storage/hls/appwrite-m1/poster.jpg');
      assert.deepEqual(JSON.parse(row.renditions), [
        {
          name: 'low',
          width: 854,
          height: 480,
          bandwidth: 900000,
          average_bandwidth: 700000,
          codecs: 'avc1.64001e,mp4a.40.2',
          playlist_url: 'https://media.test/storage/hls/appwrite-m1/low/playlist.m3u8',
        },
      ]);
      assert.equal(row.duration, 5.02);
      assert.equal(row.width, 1280);
      assert.equal(row.processing_ms, 1234);
      assert.equal(row.output_bytes, 3_000_000_000, 'beyond 32 bits');
      assert.equal(row.completed_at, '2026-01-02T03:04:05.000+00:00');
      assert.equal(row.progress, 100);
    } finally {
      await mapped.stop();
    }
  });

  it('cuts a failure’s error to the column size, and stores its times in Appwrite’s format', async () => {
    addVideo(fake, 'f1', { source_url: 'https://cdn.test/f.mp4' });
    const worker = source('host-a:1');
    await worker.claim((await worker.listPending(1)).records[0]!, 'host-a:1');
    const failure: Failure = {
      status: 'pending',
      error: 'x'.repeat(5000),
      errorCode: 'source_server_error',
      retryCount: 1,
      retryErrors: ['2026-01-01T00:00:00.000Z source_server_error: 503'],
      lastRetryAt: '2026-01-01T00:00:00.000Z',
      nextAttemptAt: '2026-01-01T01:00:00.000Z',
    };
    await worker.fail('f1', failure);
    const failed = videoRow(fake, 'f1');
    assert.equal(failed.status, 'pending');
    assert.equal(failed.error.length, 4000, 'cut to the column size');
    assert.equal(failed.next_attempt_at, '2026-01-01T01:00:00.000+00:00');
  });

  it('turns refused connections, 5xx answers and a silent server into the retryable cms_error', async () => {
    const worker = source('host-a:1', { APPWRITE_TIMEOUT: '1s' });
    fake.outage = { kind: 'status', status: 503 };
    await assert.rejects(worker.listPending(5), (err) => isAppError(err, 'cms_error') && err.retryable && /HTTP 503/.test(err.message));
    fake.outage = { kind: 'hang' };
    const started = Date.now();
    await assert.rejects(worker.listPending(5), (err) => isAppError(err, 'cms_error') && /did not answer in time/.test(err.message));
    assert.ok(Date.now() - started < 3000, 'abandoned after APPWRITE_TIMEOUT');
    fake.outage = null;
    const port = fake.port;
    await fake.stop();
    try {
      await assert.rejects(worker.listPending(5), (err) => isAppError(err, 'cms_error') && /unreachable.*ECONNREFUSED/.test(err.message));
      assert.deepEqual(await worker.health(), { kind: 'appwrite', connected: false, message: (await worker.health()).message });
    } finally {
      await fake.start(port);
    }
    assert.deepEqual(await worker.health(), { kind: 'appwrite', connected: true });
  });

  it('counts the queue once at most, and no further than the server does (5000)', async () => {
    for (let i = 0; i < 5003; i += 1) addVideo(fake, `q${i}`, { source_url: 'https://cdn.test/q.mp4' });
    const { total, records } = await source().listPending(3);
    assert.deepEqual([total, records.length], [5000, 3]);
  });

  it('tells a revoked key from a deleted row: the 404 a guest gets for a row is no deletion', async () => {
    addVideo(fake, 'kept', { source_url: 'https://cdn.test/k.mp4' });
    addVideo(fake, 'gone', { source_url: 'https://cdn.test/g.mp4' });
    const worker = source('host-a:1');
    for (const record of (await worker.listPending(2)).records) await worker.claim(record, 'host-a:1');
    const refused = (err: unknown): boolean =>
      isAppError(err, 'cms_unauthorized') && /API key or project id is wrong \(401/.test(err.message);
    fake.revoked.add(FULL_KEY);
    try {
      const before = fake.requests.length;
      await assert.rejects(worker.heartbeat('kept', { percent: 10, step: 'downloading' }), refused, 'not lease_expired: the job goes on');
      assert.deepEqual(
        fake.requests.slice(before).map((r) => `${r.method} ${r.path.split('/').slice(-2).join('/')} ${r.status}`),
        ['GET rows/kept 404', 'GET videos/rows 401'],
        'the guest got a 404 for the row; the key check told why',
      );
      await assert.rejects(worker.getJob('kept'), refused, 'the operator is not told the row does not exist');
      await assert.rejects(worker.listPending(1), refused);
      const health = await worker.health();
      assert.equal(health.connected, false);
      assert.match(health.message ?? '', /API key/);
    } finally {
      fake.revoked.delete(FULL_KEY);
    }
    await worker.heartbeat('kept', { percent: 20, step: 'downloading' });
    assert.deepEqual(
      [videoRow(fake, 'kept').status, videoRow(fake, 'kept').progress],
      ['processing', 20],
      'the key back, the job carries on',
    );
    // The key restored between the guest's 404 and the key check: the row is read again, not taken for deleted.
    fake.revoked.add(FULL_KEY);
    fake.afterAnswer = (r) => {
      if (r.method === 'GET' && r.path.endsWith('/rows/kept') && r.status === 404) fake.revoked.delete(FULL_KEY);
    };
    await worker.heartbeat('kept', { percent: 30, step: 'downloading' });
    fake.afterAnswer = null;
    assert.equal(videoRow(fake, 'kept').progress, 30, 'the job carries on');
    fake.table(DATABASE, TABLE).rows.delete('gone');
    await assert.rejects(
      worker.heartbeat('gone', { percent: 10, step: 'downloading' }),
      (err) => isAppError(err, 'lease_expired') && /was deleted/.test(err.message),
    );
  });

  it('logs a refused key once, naming the missing scope, and never the key itself', async () => {
    fake.keys.set('read-only-key', ['rows.read']);
    addVideo(fake, 'k1', { source_url: 'https://cdn.test/k.mp4' });
    const capture = capturingLogger();
    const worker = source('host-a:1', { APPWRITE_API_KEY: 'read-only-key' }, capture.log);
    for (let poll = 0; poll < 3; poll += 1) {
      // Reads work, every claim is refused: one error in the log, not one per poll.
      const [record] = (await worker.listPending(1)).records;
      await assert.rejects(
        worker.claim(record!, 'host-a:1'),
        (err) => isAppError(err, 'cms_unauthorized') && /lacks the scope rows\.write/.test(err.message),
      );
    }
    const refused = capture.lines.filter((l) => l.level === 50);
    assert.equal(refused.length, 1);
    assert.deepEqual(refused[0]!.missingScopes, ['rows.write']);
    assert.match(refused[0]!.msg, /grant it the scope\(s\) rows\.write/);

    // An unknown key is served as a guest, which may not list a table without guest permissions.
    const stranger = source('host-a:1', { APPWRITE_API_KEY: 'no-such-key' }, capture.log);
    await assert.rejects(
      stranger.listPending(1),
      (err) => isAppError(err, 'cms_unauthorized') && /API key or project id is wrong \(401 user_unauthorized/.test(err.message),
    );
    assert.ok(!capture.text().includes('read-only-key') && !capture.text().includes('no-such-key') && !capture.text().includes(FULL_KEY));
  });
});
