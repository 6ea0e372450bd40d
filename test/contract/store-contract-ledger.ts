import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AttemptStart } from '../../src/domain/attempt.js';
import type { StoreHarness } from './store-contract-support.js';

/** The ledger of attempts and the report queries over it. */
export function ledgerContract(h: StoreHarness): void {
  const attempt = (id: string, workerId = 'w1', queuedAt?: string): AttemptStart => ({
    key: `local-${id}`,
    source: 'local',
    recordId: id,
    title: `t ${id}`,
    workerId,
    ...(queuedAt ? { queuedAt } : {}),
  });
  /** One attempt from `startIso`, finished `ms` later with `status`. */
  const run = async (id: string, startIso: string, ms: number, status: 'completed' | 'failed' | 'retrying', outputBytes?: number) => {
    h.at(startIso);
    const row = await h.store.ledger.start(attempt(id));
    h.tick(ms);
    await h.store.ledger.finish(row, { status, processingMs: ms, outputBytes });
    return row;
  };

  describe('ledger', () => {
    it('records an attempt and computes its processing time when not given', async () => {
      h.at('2024-05-10T10:00:00.000Z');
      const id = await h.store.ledger.start(attempt('a'));
      h.tick(4_500);
      await h.store.ledger.finish(id, {
        status: 'failed',
        errorCode: 'ffmpeg_failed',
        error: 'crashed',
        logTail: ['line 1', 'line 2'],
        sourceBytes: 5_000_000_000,
        duration: 12.5,
      });
      const [entry] = await h.store.ledger.recent({ limit: 10 });
      assert.deepEqual(entry, {
        id,
        key: 'local-a',
        source: 'local',
        recordId: 'a',
        title: 't a',
        workerId: 'w1',
        status: 'failed',
        startedAt: '2024-05-10T10:00:00.000Z',
        finishedAt: '2024-05-10T10:00:04.500Z',
        processingMs: 4_500,
        sourceBytes: 5_000_000_000,
        outputBytes: null,
        duration: 12.5,
        errorCode: 'ffmpeg_failed',
        error: 'crashed',
        logTail: ['line 1', 'line 2'],
        conversions: null,
      });
      const done = await h.store.ledger.start(attempt('b'));
      await h.store.ledger.finish(done, { status: 'completed', processingMs: 1234.6, conversions: ['deinterlaced'] });
      const [latest] = await h.store.ledger.recent({ limit: 1 });
      assert.equal(latest?.processingMs, 1235);
      assert.deepEqual(latest?.conversions, ['deinterlaced']);
      assert.equal(latest?.logTail, null);
    });

    it('answers empty stats with nulls when nothing happened', async () => {
      assert.deepEqual(await h.store.ledger.stats(), {
        today: { completed: 0, failed: 0, retried: 0, processing: 0 },
        averageProcessingMs: null,
        successRate: null,
        storageUsedTodayBytes: 0,
        lastCompletedAt: null,
      });
    });

    it('counts today since 00:00 UTC and rates the last 7 days', async () => {
      await run('old', '2024-05-01T10:00:00.000Z', 1_000, 'completed', 1);
      await run('y1', '2024-05-09T23:00:00.000Z', 2_000, 'completed', 10);
      await run('y2', '2024-05-09T22:00:00.000Z', 1_000, 'failed');
      await run('t1', '2024-05-10T00:00:00.000Z', 4_000, 'completed', 100);
      await run('t2', '2024-05-10T01:00:00.000Z', 1_000, 'failed');
      await run('t3', '2024-05-10T02:00:00.000Z', 1_000, 'retrying');
      h.at('2024-05-10T03:00:00.000Z');
      await h.store.ledger.start(attempt('running'));
      h.at('2024-05-10T12:00:00.000Z');
      assert.deepEqual(await h.store.ledger.stats(), {
        today: { completed: 1, failed: 1, retried: 1, processing: 1 },
        averageProcessingMs: 3_000,
        successRate: 0.5,
        storageUsedTodayBytes: 100,
        lastCompletedAt: '2024-05-10T00:00:04.000Z',
      });
    });

    it('lists recent attempts newest first, optionally for one job', async () => {
      const first = await run('a', '2024-05-10T01:00:00.000Z', 10, 'retrying');
      await run('b', '2024-05-10T02:00:00.000Z', 10, 'completed');
      const third = await run('a', '2024-05-10T03:00:00.000Z', 10, 'completed');
      assert.deepEqual(
        (await h.store.ledger.recent({ limit: 10, key: 'local-a' })).map((e) => e.id),
        [third, first],
      );
      assert.equal((await h.store.ledger.recent({ limit: 2 })).length, 2);
      assert.deepEqual(await h.store.ledger.recent({ limit: 10, key: 'local-zzz' }), []);
    });

    it('marks only the unfinished attempts of gone workers as released', async () => {
      const mine = await h.store.ledger.start(attempt('a', 'me'));
      const theirs = await h.store.ledger.start(attempt('b', 'other'));
      const done = await h.store.ledger.start(attempt('c', 'me'));
      await h.store.ledger.finish(done, { status: 'completed' });
      h.tick();
      assert.equal(await h.store.ledger.markInterrupted((worker) => worker === 'me'), 1);
      const byId = new Map((await h.store.ledger.recent({ limit: 10 })).map((e) => [e.id, e]));
      assert.equal(byId.get(mine)?.status, 'released');
      assert.equal(byId.get(mine)?.finishedAt, h.now().toISOString());
      assert.equal(byId.get(mine)?.error, 'interrupted (the worker stopped without finishing)');
      assert.equal(byId.get(theirs)?.status, 'processing');
      assert.equal(byId.get(done)?.status, 'completed');
    });

    it('prunes finished attempts that started before the cut-off, in batches, keeping running ones', async () => {
      for (const id of ['a', 'b', 'c']) await run(id, '2024-05-01T10:00:00.000Z', 10, 'completed');
      h.at('2024-05-01T11:00:00.000Z');
      const running = await h.store.ledger.start(attempt('r'));
      const recent = await run('d', '2024-05-09T10:00:00.000Z', 10, 'failed');
      assert.equal(await h.store.ledger.prune(new Date('2024-05-05T00:00:00.000Z'), 2), 3);
      assert.deepEqual((await h.store.ledger.recent({ limit: 10 })).map((e) => e.id).sort(), [running, recent].sort());
      assert.equal(await h.store.ledger.prune(new Date('2024-05-05T00:00:00.000Z')), 0);
    });
  });

  describe('reports', () => {
    it('summarises a period from the ledger: final failures, the most frequent error, queue waits', async () => {
      const waits = [999, 5, 60, 1, 20, 3600];
      const attemptAt = async (
        status: 'completed' | 'failed' | 'retrying',
        extra: { errorCode?: string; outputBytes?: number; processingMs?: number } = {},
      ) => {
        const queuedAt = new Date(h.now().getTime() - (waits.shift() ?? 0) * 1000).toISOString();
        const id = await h.store.ledger.start(attempt('x', 'w', queuedAt));
        await h.store.ledger.finish(id, { status, ...extra });
      };
      h.at('2025-10-21T08:00:00.000Z');
      await attemptAt('completed', { outputBytes: 100, processingMs: 1000 });
      h.at('2025-10-21T10:00:00.000Z');
      await attemptAt('completed', { outputBytes: 300, processingMs: 2000 });
      await attemptAt('completed', { outputBytes: 700, processingMs: 4000 });
      await attemptAt('retrying', { errorCode: 'source_timeout' });
      await attemptAt('retrying', { errorCode: 'source_timeout' });
      await attemptAt('failed', { errorCode: 'invalid_format' });
      const summary = await h.store.reports.summary(new Date('2025-10-21T09:00:00Z'), new Date('2025-10-22T09:00:00Z'));
      assert.deepEqual(summary, {
        completed: 2,
        failed: 1,
        averageProcessingMs: 3000,
        outputBytes: 1000,
        topError: { code: 'source_timeout', count: 2 },
        queueWait: { count: 5, medianMs: 20_000, p95Ms: 3_600_000 },
      });
      assert.equal(await h.store.reports.failedAttemptsSince(new Date('2025-10-21T09:30:00Z')), 3);
      assert.deepEqual(await h.store.reports.dailyOutcomes(3, new Date('2025-10-22T09:00:00Z')), [
        { day: '2025-10-20', completed: 0, failed: 0 },
        { day: '2025-10-21', completed: 3, failed: 1 },
        { day: '2025-10-22', completed: 0, failed: 0 },
      ]);
    });

    it('answers an empty period, breaks a tie of errors by code, and never reports a negative wait', async () => {
      const from = new Date('2024-05-01T00:00:00Z');
      const to = new Date('2024-05-02T00:00:00Z');
      assert.deepEqual(await h.store.reports.summary(from, to), {
        completed: 0,
        failed: 0,
        averageProcessingMs: null,
        outputBytes: 0,
        topError: null,
        queueWait: { count: 0, medianMs: null, p95Ms: null },
      });
      h.at('2024-05-01T10:00:00.000Z');
      for (const code of ['source_timeout', 'ffmpeg_failed', 'source_timeout', 'ffmpeg_failed']) {
        const id = await h.store.ledger.start(attempt('x', 'w', '2024-05-01T10:00:05.000Z'));
        await h.store.ledger.finish(id, { status: 'failed', errorCode: code });
      }
      const summary = await h.store.reports.summary(from, to);
      assert.deepEqual(summary.topError, { code: 'ffmpeg_failed', count: 2 });
      assert.deepEqual(await h.store.reports.queueWait(from, to), { count: 4, medianMs: 0, p95Ms: 0 });
      assert.deepEqual(await h.store.reports.dailyOutcomes(1, new Date('2024-05-01T23:59:59Z')), [
        { day: '2024-05-01', completed: 0, failed: 4 },
      ]);
    });
  });
}
