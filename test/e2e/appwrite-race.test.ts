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

const ROWS = 15;
const WORKERS = ['race-a', 'race-b', 'race-c'];
const IDS = [...Array(ROWS).keys()].map((i) => `v${String(i).padStart(2, '0')}`);

interface Attempt {
  readonly worker_id: string;
  readonly record_id: string;
  readonly status: string;
  readonly error_code: string | null;
  readonly error: string | null;
}

/** What three daemons left behind: every ledger attempt, and which daemon's storage holds each ladder. */
interface RaceOutcome {
  readonly attempts: Attempt[];
  readonly published: Map<string, string[]>;
  /** The public URL each daemon writes back (its own port). */
  readonly baseUrls: Map<string, string>;
  readonly health: any;
  readonly wallMs: number;
}

/**
 * Three daemons (as on three servers: each its own storage, ledger and HLS output) share one
 * Appwrite table of 15 pending rows. Every row must be published and written back exactly once:
 * counted from the ledgers (one attempt per encode), the published ladders and the write-backs,
 * not only statuses. The clips are tiny (one rung, no previews): the claims are under test. The
 * daemons poll every second, at the same instants, so they race for rows all along; the first row
 * is raced for whatever the timing (`contend`).
 */
describe('three daemons racing over one Appwrite table', () => {
  let files: TestServer;
  const fakes: FakeAppwrite[] = [];
  let daemons: TestDaemon[] = [];

  before(async () => {
    const clip = await makeClip({ width: 320, height: 180, seconds: 1, audio: false });
    files = await startServer(routes({ '/clip.mp4': serveFile(clip) }));
  });
  after(async () => {
    for (const vc of daemons) await vc.close();
    for (const fake of fakes) await fake.stop();
    await files?.close();
  });

  const tableOfRows = async (): Promise<FakeAppwrite> => {
    const fake = await startFakeAppwrite();
    fakes.push(fake);
    const created = Date.now() - 60_000;
    for (const [i, id] of IDS.entries()) {
      addVideo(fake, id, { source_url: files.url('/clip.mp4'), priority: 1 + (i % 10) }, new Date(created + i));
    }
    return fake;
  };

  /** Starts the daemons together, polling every second (the cron as in production, only faster), and waits for every row. */
  const race = async (fake: FakeAppwrite): Promise<RaceOutcome> => {
    const started = Date.now();
    const env = { POLL_CRON: '* * * * * *', CONCURRENCY: '1', PREVIEWS: 'off', LADDER: 'low:180:32', MIN_DURATION_SECONDS: '0.5' };
    daemons = await Promise.all(WORKERS.map((id) => startTestDaemon(appwriteEnv(fake, { ...env, WORKER_ID: id }))));
    await waitFor('every row to be completed', () => IDS.every((id) => videoRow(fake, id).status === 'completed'), {
      timeoutMs: 150_000,
      everyMs: 200,
    });
    const wallMs = Date.now() - started;
    const health = await (await fetch(`${daemons[0]!.baseUrl}/health`)).json();
    const finished = daemons;
    daemons = [];
    for (const vc of finished) await vc.close();

    const attempts: Attempt[] = [];
    const published = new Map<string, string[]>();
    const baseUrls = new Map<string, string>();
    for (const [i, vc] of finished.entries()) {
      const worker = WORKERS[i]!;
      baseUrls.set(worker, `http://localhost:${vc.daemon.port}`);
      const db = new Database(path.join(vc.storageDir, 'state.db'), { readonly: true });
      attempts.push(...(db.prepare('SELECT worker_id, record_id, status, error_code, error FROM ledger').all() as Attempt[]));
      db.close();
      for (const dir of await readdir(path.join(vc.storageDir, 'hls'))) published.set(dir, [...(published.get(dir) ?? []), worker]);
    }
    return { attempts, published, baseUrls, health, wallMs };
  };

  /** Per row: one completed attempt (one publish), by the daemon whose storage alone holds the ladder and whose URL was written back once. */
  const assertPublishedOnce = (fake: FakeAppwrite, { attempts, published, baseUrls }: RaceOutcome): void => {
    for (const id of IDS) {
      const completed = attempts.filter((a) => a.record_id === id && a.status === 'completed');
      assert.equal(completed.length, 1, `${id}: published once (one completed attempt)`);
      const winner = completed[0]!.worker_id;
      assert.deepEqual(published.get(`appwrite-${id}`), [winner], `${id}: the ladder is in the winner's storage only`);
      assert.ok(String(videoRow(fake, id).hls_url).startsWith(`${baseUrls.get(winner)}/`), `${id}: the winner's URLs were written back`);
      assert.equal(fake.writesTo(id, { status: 'completed' }), 1, `${id}: written back once`);
      assert.equal(videoRow(fake, id).retry_count, 0);
    }
    assert.equal(published.size, ROWS);
  };

  it('on a server with row locks (1.9.5): every row is encoded exactly once', async (t) => {
    const fake = await tableOfRows();
    contend(fake, IDS[0]!);
    const outcome = await race(fake);
    assertPublishedOnce(fake, outcome);
    const { attempts } = outcome;
    for (const id of IDS) assert.equal(fake.writesTo(id, { step: 'claimed' }), 1, `${id}: claimed once`);
    assert.equal(attempts.length, ROWS, 'no wasted encode: one ledger attempt per row in all');
    assert.equal(fake.doubleGrants, 0);

    const conflicts = fake.requests.filter((r) => r.method === 'PATCH' && r.status === 409).length;
    const byWorker = WORKERS.map((w) => `${w} ${attempts.filter((a) => a.worker_id === w).length}`).join(', ');
    t.diagnostic(
      `${ROWS} rows, ${WORKERS.length} daemons: encodes per row 1 (total ${attempts.length}); by daemon: ${byWorker}; lost claim races (409): ${conflicts}; wall time ${(outcome.wallMs / 1000).toFixed(1)} s`,
    );
    assert.ok(conflicts > 0, 'the daemons did race for the same rows');
    assert.ok(
      WORKERS.every((w) => attempts.some((a) => a.worker_id === w)),
      'every daemon took part',
    );
    assert.equal(outcome.health.sources[0].warnings, undefined, 'nothing to warn about on /health');
  });
  // Without row locks (Appwrite ≤ 1.9.0), over 30 rows: test/chaos/races.test.ts.
});

/**
 * Holds the first claim of `rowId` at the server until a rival's claim of it arrives, so the
 * daemons race for it whatever the timing (the row is unchanged while held, so every daemon lists
 * it first): a 409 for one of them with row locks, a double grant without. Nothing else is held.
 */
function contend(fake: FakeAppwrite, rowId: string): void {
  let held: (() => void) | null = null;
  let done = false;
  fake.holdUpdate = (id) => {
    if (done || id !== rowId) return null;
    if (held === null) return new Promise<void>((resolve) => (held = resolve));
    done = true;
    held();
    return null;
  };
}
