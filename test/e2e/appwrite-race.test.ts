import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { FakeAppwrite } from '../fakes/appwrite-server.js';
import { addVideo, appwriteEnv, startFakeAppwrite, videoRow, waitFor } from '../helpers/appwrite-fixtures.js';
import { routes, startServer, type TestServer } from '../helpers/http-fixtures.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { serveFile, startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

const ROWS = 30;
const WORKERS = ['race-a', 'race-b', 'race-c'];

/**
 * Three daemons (as on three servers: each its own storage, ledger and HLS output) share one
 * Appwrite table of 30 pending rows. Every row must be encoded exactly once: counted from the
 * ledgers (one attempt per encode), the published ladders and the write-backs, not only statuses.
 */
describe('three daemons racing over one Appwrite table', () => {
  let fake: FakeAppwrite;
  let files: TestServer;
  let daemons: TestDaemon[] = [];

  before(async () => {
    fake = await startFakeAppwrite();
    const clip = await makeClip({ width: 320, height: 240, seconds: 2 });
    files = await startServer(routes({ '/clip.mp4': serveFile(clip) }));
    const created = Date.now() - 60_000;
    for (let i = 0; i < ROWS; i += 1) {
      addVideo(
        fake,
        `v${String(i).padStart(2, '0')}`,
        { source_url: files.url('/clip.mp4'), priority: 1 + (i % 10) },
        new Date(created + i),
      );
    }
  });
  after(async () => {
    for (const vc of daemons) await vc.close();
    await fake?.stop();
    await files?.close();
  });

  it('processes every row exactly once', async (t) => {
    const ids = [...Array(ROWS).keys()].map((i) => `v${String(i).padStart(2, '0')}`);
    const started = Date.now();
    // Started together, polling every second (the cron as configured in production, only faster).
    daemons = await Promise.all(
      WORKERS.map((id) => startTestDaemon(appwriteEnv(fake, { WORKER_ID: id, POLL_CRON: '* * * * * *', CONCURRENCY: '1' }))),
    );
    await waitFor('every row to be completed', () => ids.every((id) => videoRow(fake, id).status === 'completed'), {
      timeoutMs: 150_000,
      everyMs: 200,
    });
    const wallMs = Date.now() - started;
    const finished = daemons;
    daemons = [];
    for (const vc of finished) await vc.close();

    const attempts: Array<{ worker_id: string; record_id: string; status: string }> = [];
    const published = new Map<string, string[]>();
    for (const [i, vc] of finished.entries()) {
      const db = new Database(path.join(vc.storageDir, 'state.db'), { readonly: true });
      attempts.push(...(db.prepare('SELECT worker_id, record_id, status FROM ledger').all() as typeof attempts));
      db.close();
      for (const dir of await readdir(path.join(vc.storageDir, 'hls'))) published.set(dir, [...(published.get(dir) ?? []), WORKERS[i]!]);
    }
    const perRow = (id: string) => attempts.filter((a) => a.record_id === id);
    for (const id of ids) {
      assert.deepEqual(
        perRow(id).map((a) => a.status),
        ['completed'],
        `${id}: one attempt, completed`,
      );
      assert.equal(published.get(`appwrite-${id}`)?.length, 1, `${id}: published by one daemon`);
      assert.equal(fake.writesTo(id, { status: 'completed' }), 1, `${id}: written back once`);
      assert.equal(fake.writesTo(id, { step: 'claimed' }), 1, `${id}: claimed once`);
      assert.equal(videoRow(fake, id).retry_count, 0);
    }
    assert.equal(attempts.length, ROWS, 'no wasted encode: one ledger attempt per row in all');
    assert.equal(published.size, ROWS);

    const conflicts = fake.requests.filter((r) => r.method === 'PATCH' && r.status === 409).length;
    const byWorker = WORKERS.map((w) => `${w} ${attempts.filter((a) => a.worker_id === w).length}`).join(', ');
    t.diagnostic(
      `${ROWS} rows, ${WORKERS.length} daemons: encodes per row 1 (total ${attempts.length}); by daemon: ${byWorker}; lost claim races (409): ${conflicts}; wall time ${(wallMs / 1000).toFixed(1)} s`,
    );
    assert.ok(conflicts > 0, 'the daemons did race for the same rows');
    assert.ok(
      WORKERS.every((w) => attempts.some((a) => a.worker_id === w)),
      'every daemon took part',
    );
  });
});
