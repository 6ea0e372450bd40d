import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { FakeAppwrite } from '../fakes/appwrite-server.js';
import { addVideo, appwriteEnv, startFakeAppwrite, videoRow, waitFor } from '../helpers/appwrite-fixtures.js';
import { recordScenario } from '../helpers/chaos.js';
import { chunkedFile } from '../helpers/hostile-media.js';
import { startServer, type TestServer } from '../helpers/http-fixtures.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import type { DaemonEvent } from '../../src/domain/events.js';

const ROWS = 12;
// The 60 s (CHAOS_OUTAGE_SECONDS overrides). LEASE_SECONDS (300 s, the default) outlives it:
// retry_count = 0 below proves no lease expired during the outage.
const OUTAGE_MS = Number(process.env.CHAOS_OUTAGE_SECONDS ?? 60) * 1000;

describe('chaos: the CMS goes away mid-run', { timeout: 180_000 }, () => {
  let fake: FakeAppwrite;
  let files: TestServer;
  let vc: TestDaemon;
  const events: DaemonEvent[] = [];
  const started = Date.now();
  let completed = 0;

  before(async () => {
    fake = await startFakeAppwrite();
    files = await startServer(
      chunkedFile(await makeClip({ width: 320, height: 240, seconds: 2 }), { chunkBytes: 16 * 1024, intervalMs: 40 }),
    );
    vc = await startTestDaemon(
      appwriteEnv(fake, {
        WORKER_ID: 'outage',
        POLL_CRON: '* * * * * *',
        HEARTBEAT_SECONDS: '1',
        CONCURRENCY: '1',
        HLS_SEGMENT_SECONDS: '1',
      }),
      {
        events: { emit: (e) => void events.push(e) },
      },
    );
  });
  after(async () => {
    await vc?.close();
    await fake?.stop();
    await files?.close();
    recordScenario({
      scenario: '3 CMS outage',
      tried: ROWS,
      survived: completed,
      lost: ROWS - completed,
      notes: `Appwrite down ${OUTAGE_MS / 1000} s mid-run; alert opened and resolved`,
      seconds: (Date.now() - started) / 1000,
    });
  });

  it(`rides out a ${OUTAGE_MS / 1000} s outage: no crash, an alert opened and resolved, every row completed once`, async () => {
    const ids = [...Array(ROWS).keys()].map((i) => `o${String(i).padStart(2, '0')}`);
    for (const id of ids) addVideo(fake, id, { source_url: files.url(`/${id}.mp4`) });
    await waitFor(
      'a few rows done and one in flight',
      () =>
        ids.filter((id) => videoRow(fake, id).status === 'completed').length >= 2 &&
        ids.some((id) => videoRow(fake, id).status === 'processing'),
      { timeoutMs: 60_000 },
    );
    const port = fake.port;
    await fake.stop();
    await delay(OUTAGE_MS);
    const health = (await (await fetch(`${vc.baseUrl}/health`)).json()) as any;
    assert.deepEqual(
      health.sources.map((s: any) => [s.kind, s.connected]),
      [['appwrite', false]],
      'the daemon is up and knows the CMS is not',
    );
    assert.equal(health.sources[0].error, 'cms_error', 'and says why, by its code');
    const during = alertRows(vc.storageDir);
    assert.ok(
      during.some((a) => a.rule === 'source:appwrite' && a.status !== 'resolved' && a.level === 'critical'),
      `alert open during the outage: ${JSON.stringify(during)}`,
    );
    await fake.start(port);
    await waitFor('every row completed', () => ids.every((id) => videoRow(fake, id).status === 'completed'), {
      timeoutMs: 90_000,
      everyMs: 200,
    }).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(ids.map((id) => [id, videoRow(fake, id).status, videoRow(fake, id).error_code]))}`);
    });
    completed = ids.length;
    await waitFor(
      'the alert to resolve',
      () => alertRows(vc.storageDir).every((a) => a.rule !== 'source:appwrite' || a.status === 'resolved'),
      { timeoutMs: 10_000 },
    );
    assert.equal(alertRows(vc.storageDir).filter((a) => a.rule === 'source:appwrite').length, 1, 'one alert for one outage');
    for (const id of ids) {
      assert.equal(fake.writesTo(id, { status: 'completed' }), 1, `${id} written back once`);
      assert.equal(videoRow(fake, id).retry_count, 0, `${id}: no lease expired, no attempt lost`);
    }
    assert.deepEqual(
      events.filter((e) => e.type.startsWith('source_')).map((e) => e.type),
      ['source_disconnected', 'source_reconnected'],
    );
  });
});

function alertRows(storageDir: string): Array<{ rule: string; level: string; status: string }> {
  const db = new Database(path.join(storageDir, 'state.db'), { readonly: true });
  try {
    return db.prepare('SELECT rule, level, status FROM alerts').all() as Array<{ rule: string; level: string; status: string }>;
  } finally {
    db.close();
  }
}
