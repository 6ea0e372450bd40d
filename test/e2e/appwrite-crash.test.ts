import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { FakeAppwrite } from '../fakes/appwrite-server.js';
import { addVideo, appwriteEnv, DATABASE, startFakeAppwrite, TABLE, videoRow, waitFor } from '../helpers/appwrite-fixtures.js';
import { routes, startServer, type TestServer } from '../helpers/http-fixtures.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { spawnDaemon } from '../helpers/spawn-daemon.js';
import { serveFile, startTestDaemon } from '../helpers/test-daemon.js';

const LEASE_SECONDS = 30;

/** A worker SIGKILLed mid-job (the real `start` process): another daemon reclaims the row after the lease. */
describe('a worker killed mid-job', () => {
  let fake: FakeAppwrite;
  let files: TestServer;
  let downloads = 0;

  before(async () => {
    fake = await startFakeAppwrite();
    const clip = await makeClip({ width: 320, height: 240, seconds: 2 });
    const serve = serveFile(clip);
    files = await startServer(
      routes({
        // The first download hangs after a few bytes, so the first worker is surely mid-job when killed.
        '/video.mp4': (req, res) => {
          downloads += 1;
          if (downloads > 1) return serve(req, res);
          res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': '1000000' });
          res.write(Buffer.alloc(4096));
        },
      }),
    );
  });
  after(async () => {
    await fake?.stop();
    await files?.close();
  });

  it('is reclaimed once its lease expires, counted as one attempt, and completed exactly once', async () => {
    addVideo(fake, 'orphaned', { source_url: files.url('/video.mp4'), title: 'Interrupted' });
    const doomed = await spawnDaemon({
      ...appwriteEnv(fake, { WORKER_ID: 'doomed', HEARTBEAT_SECONDS: '1', LEASE_SECONDS: String(LEASE_SECONDS) }),
    });
    const { child, storageDir: storage } = doomed;
    const output = (): string => doomed.output();
    try {
      await doomed.waitHealthy();
      await waitFor(
        'the doomed worker to download',
        () => {
          if (child.exitCode !== null) throw new Error(`the worker exited early: ${output()}`);
          const row = videoRow(fake, 'orphaned');
          // The request itself must have arrived: the download runs in a child process that starts after the step is set.
          return row.claimed_by === 'doomed' && row.step === 'downloading' && downloads === 1;
        },
        { timeoutMs: 60_000 },
      ).catch((err: Error) => {
        throw new Error(`${err.message}; row ${JSON.stringify(videoRow(fake, 'orphaned'))}; worker output: ${output()}`);
      });
      child.kill('SIGKILL');
      assert.equal((await doomed.exited).signal, 'SIGKILL');
    } finally {
      doomed.kill();
    }
    assert.equal(videoRow(fake, 'orphaned').status, 'processing', 'nobody told Appwrite');

    const rescuer = await startTestDaemon(appwriteEnv(fake, { WORKER_ID: 'rescuer', LEASE_SECONDS: String(LEASE_SECONDS) }));
    try {
      await rescuer.daemon.poller.idle();
      assert.equal(videoRow(fake, 'orphaned').claimed_by, 'doomed', 'not reclaimed while the lease runs');
      // The lease running out: the heartbeat grows old without the row changing.
      fake.patchRow(DATABASE, TABLE, 'orphaned', { heartbeat_at: new Date(Date.now() - (LEASE_SECONDS + 1) * 1000).toISOString() });
      await rescuer.api('POST', '/api/poll');
      await waitFor('the rescue', () => videoRow(fake, 'orphaned').status === 'completed');
    } finally {
      await rescuer.close();
    }

    const row = videoRow(fake, 'orphaned');
    assert.equal(row.claimed_by, 'rescuer');
    assert.equal(row.retry_count, 1, 'the interrupted attempt counts');
    assert.equal(row.retry_errors.length, 1);
    assert.match(row.retry_errors[0], /lease_expired: lease expired \(worker doomed/);
    assert.equal(fake.writesTo('orphaned', { status: 'completed' }), 1, 'written back once');
    assert.equal(downloads, 2);
    const db = new Database(path.join(rescuer.storageDir, 'state.db'), { readonly: true });
    const attempts = db.prepare('SELECT worker_id, status FROM ledger WHERE record_id = ?').all('orphaned');
    db.close();
    assert.deepEqual(attempts, [{ worker_id: 'rescuer', status: 'completed' }], 'encoded once, by the rescuer');
    assert.deepEqual(await readdir(path.join(rescuer.storageDir, 'hls')), ['appwrite-orphaned']);
    assert.deepEqual(await readdir(path.join(storage, 'hls')), [], 'the killed worker published nothing');
  });
});
