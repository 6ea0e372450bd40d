import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { openDatabase, type Database } from '../../src/store/database.js';
import { Ledger, type AttemptStart } from '../../src/store/ledger.js';

let clock = Date.parse('2024-05-10T10:00:00.000Z');
const now = (): Date => new Date(clock);
const at = (iso: string): void => {
  clock = Date.parse(iso);
};

let db: Database;
let ledger: Ledger;

beforeEach(() => {
  at('2024-05-10T10:00:00.000Z');
  db = openDatabase(':memory:');
  ledger = new Ledger({ db, now });
});

const attempt = (id: string, workerId = 'w1'): AttemptStart => ({
  key: `local-${id}`,
  source: 'local',
  recordId: id,
  title: `t ${id}`,
  workerId,
});

/** One attempt from `startIso`, finished `ms` later with `status`. */
function run(id: string, startIso: string, ms: number, status: 'completed' | 'failed' | 'retrying', outputBytes?: number): number {
  at(startIso);
  const row = ledger.start(attempt(id));
  clock += ms;
  ledger.finish(row, { status, processingMs: ms, outputBytes });
  return row;
}

describe('Ledger', () => {
  it('records an attempt and computes processing time when not given', () => {
    const id = ledger.start(attempt('a'));
    clock += 4_500;
    ledger.finish(id, { status: 'failed', errorCode: 'ffmpeg_failed', error: 'crashed', logTail: ['line 1', 'line 2'] });
    const [entry] = ledger.recent({ limit: 10 });
    assert.equal(entry?.status, 'failed');
    assert.equal(entry?.processingMs, 4_500);
    assert.equal(entry?.startedAt, '2024-05-10T10:00:00.000Z');
    assert.equal(entry?.finishedAt, '2024-05-10T10:00:04.500Z');
    assert.deepEqual(entry?.logTail, ['line 1', 'line 2']);
    assert.equal(entry?.errorCode, 'ffmpeg_failed');
    assert.equal(entry?.key, 'local-a');
  });

  it('returns empty stats with nulls when nothing happened', () => {
    assert.deepEqual(ledger.stats(), {
      today: { completed: 0, failed: 0, retried: 0, processing: 0 },
      averageProcessingMs: null,
      successRate: null,
      storageUsedTodayBytes: 0,
      lastCompletedAt: null,
    });
  });

  it('counts today since 00:00 UTC and rates the last 7 days', () => {
    run('old', '2024-05-01T10:00:00.000Z', 1_000, 'completed', 1); // 9 days ago: outside everything
    run('y1', '2024-05-09T23:00:00.000Z', 2_000, 'completed', 10); // yesterday: week only
    run('y2', '2024-05-09T22:00:00.000Z', 1_000, 'failed');
    run('t1', '2024-05-10T00:00:00.000Z', 4_000, 'completed', 100);
    run('t2', '2024-05-10T01:00:00.000Z', 1_000, 'failed');
    run('t3', '2024-05-10T02:00:00.000Z', 1_000, 'retrying');
    at('2024-05-10T03:00:00.000Z');
    ledger.start(attempt('running'));
    at('2024-05-10T12:00:00.000Z');
    const stats = ledger.stats();
    assert.deepEqual(stats.today, { completed: 1, failed: 1, retried: 1, processing: 1 });
    assert.equal(stats.averageProcessingMs, 3_000);
    assert.equal(stats.successRate, 0.5);
    assert.equal(stats.storageUsedTodayBytes, 100);
    assert.equal(stats.lastCompletedAt, '2024-05-10T00:00:04.000Z');
  });

  it('lists recent attempts newest first, optionally for one job', () => {
    const first = run('a', '2024-05-10T01:00:00.000Z', 10, 'retrying');
    run('b', '2024-05-10T02:00:00.000Z', 10, 'completed');
    const third = run('a', '2024-05-10T03:00:00.000Z', 10, 'completed');
    assert.deepEqual(
      ledger.recent({ limit: 10, key: 'local-a' }).map((e) => e.id),
      [third, first],
    );
    assert.equal(ledger.recent({ limit: 2 }).length, 2);
    assert.equal(ledger.recent({ limit: 10, key: 'local-zzz' }).length, 0);
  });

  it('marks only the unfinished attempts of gone workers as released', () => {
    const mine = ledger.start(attempt('a', 'me'));
    const theirs = ledger.start(attempt('b', 'other'));
    const done = ledger.start(attempt('c', 'me'));
    ledger.finish(done, { status: 'completed' });
    assert.equal(
      ledger.markInterrupted((worker) => worker === 'me'),
      1,
    );
    const byId = new Map(ledger.recent({ limit: 10 }).map((e) => [e.id, e.status]));
    assert.equal(byId.get(mine), 'released');
    assert.equal(byId.get(theirs), 'processing');
    assert.equal(byId.get(done), 'completed');
  });
});
