/**
 * The CmsSource contract (src/sources/cms-source.ts) as one suite, run against every source: the
 * local store, the memory source of the unit tests, Appwrite (the real SDK against the fake server)
 * and WordPress (a real site, test/e2e). A source passes when it behaves as the poller and the
 * pipeline expect, whatever the CMS behind it. Source-specific behaviour (races under a real lock,
 * field maps, outages, credentials) stays in each source's own tests.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ContractSteps, HOUR, publishResult, type SourceUnderTest } from './source-under-test.js';

export type { ContractClock, NewRecord, SourceUnderTest } from './source-under-test.js';

/** The contract, as a `describe` of its own; `factory` is called before each test for a fresh source. */
export function cmsSourceContract(name: string, factory: () => Promise<SourceUnderTest>): void {
  describe(`CmsSource contract: ${name}`, () => {
    let h: SourceUnderTest;
    let s: ContractSteps;
    beforeEach(async () => {
      h = await factory();
      s = new ContractSteps(h);
    });
    afterEach(async () => {
      await h?.cleanup();
    });

    it('lists due records by priority, then oldest first, one bounded page with the total of due records', async () => {
      // Four urgent records, created first (oldest): each will be out of the queue for a different reason.
      const retryLater = await h.createRecord({ priority: 1 });
      const done = await h.createRecord({ priority: 1 });
      const running = await h.createRecord({ priority: 1 });
      const cancelled = await h.createRecord({ priority: 1 });
      assert.deepEqual(
        (await h.source.listPending(10)).records.map((r) => r.id),
        [retryLater.id, done.id, running.id, cancelled.id],
        'equal priority: oldest first',
      );
      await s.claim(retryLater.id);
      await h.source.fail(retryLater.id, s.retryAt(s.now() + HOUR));
      await s.claim(done.id);
      await h.source.complete(done.id, publishResult());
      await s.claim(running.id, 'rival');
      await h.cancel(cancelled.id);

      const normalOld = await h.createRecord({ priority: 5 });
      const low = await h.createRecord({ priority: 10 });
      const urgent = await h.createRecord({ priority: 1, title: 'Urgent clip' });
      const normalNew = await h.createRecord({ priority: 5 });

      const page = await h.source.listPending(3);
      assert.deepEqual(
        page.records.map((r) => r.id),
        [urgent.id, normalOld.id, normalNew.id],
      );
      assert.equal(page.total, 4, 'every due record is counted, not only the page');
      const all = await h.source.listPending(10);
      assert.deepEqual(
        all.records.map((r) => r.id),
        [urgent.id, normalOld.id, normalNew.id, low.id],
      );
      assert.equal(all.total, 4);

      const first = page.records[0]!;
      assert.equal(first.source, h.source.kind);
      assert.equal(first.status, 'pending');
      assert.equal(first.priority, 1);
      assert.equal(first.title, 'Urgent clip');
      assert.equal(first.sourceUrl, urgent.sourceUrl);
      assert.equal(first.retryCount, 0);
      assert.deepEqual(first.retryErrors, []);
      assert.deepEqual([first.nextAttemptAt, first.claimedBy, first.heartbeatAt], [null, null, null]);
      assert.deepEqual(
        all.records.map((r) => r.priority),
        [1, 5, 5, 10],
      );
      assert.ok(Date.parse(page.records[1]!.createdAt) < Date.parse(page.records[2]!.createdAt), 'the older of two equal priorities first');
      for (const r of all.records) assert.match(r.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'times as toISOString()');
    });

    it('claims exclusively: a second claim of the same listed record gets null, from another worker or the same one', async () => {
      const { id } = await h.createRecord();
      const record = await s.listed(id);
      const t0 = s.now();
      const claimed = await h.source.claim(record, h.workerId);
      const t1 = s.now();
      assert.ok(claimed);
      assert.deepEqual([claimed.id, claimed.status, claimed.claimedBy, claimed.retryCount], [id, 'processing', h.workerId, 0]);

      assert.equal(await h.rival.claim(record, h.rivalId), null, 'another worker loses');
      assert.equal(await h.source.claim(record, h.workerId), null, 'the same listing cannot be claimed twice');

      const stored = await h.readRecord(id);
      assert.deepEqual(
        [stored.status, stored.claimedBy, stored.step, stored.progress, stored.retryCount, stored.retryErrors],
        ['processing', h.workerId, 'claimed', 0, 0, []],
        'a fresh claim counts no attempt',
      );
      s.stampedBetween(stored.claimedAt, t0, t1, 'claimed_at');
      s.stampedBetween(stored.heartbeatAt, t0, t1, 'heartbeat_at');
      assert.equal((await h.source.listPending(10)).total, 0, 'a claimed record with a fresh lease is not listed');
    });

    it('heartbeat persists progress and renews the lease', async () => {
      const { id } = await h.createRecord();
      const record = await s.claim(id);
      await h.clock.advance(s.leaseMs() - s.margin());
      const t0 = s.now();
      await h.source.heartbeat(id, { percent: 45.4, step: 'transcoding', rung: 'high', etaSeconds: 12 });
      const t1 = s.now();
      let stored = await h.readRecord(id);
      assert.deepEqual([stored.status, stored.claimedBy, stored.progress, stored.step], ['processing', h.workerId, 45, 'transcoding']);
      s.stampedBetween(stored.heartbeatAt, t0, t1, 'heartbeat_at');

      // The claim is older than the lease now, the heartbeat is not: the record stays ours.
      await h.clock.advance(2 * s.margin());
      assert.equal((await h.source.listPending(10)).total, 0);
      assert.equal((await h.rival.listPending(10)).total, 0);
      assert.equal(await h.rival.claim(record, h.rivalId), null, 'a renewed lease cannot be reclaimed');
      await h.source.heartbeat(id, { percent: 93, step: 'verifying' });
      stored = await h.readRecord(id);
      assert.deepEqual(
        [stored.status, stored.claimedBy, stored.progress, stored.step, stored.retryCount],
        ['processing', h.workerId, 93, 'verifying', 0],
      );
    });

    it('throws `cancelled` from heartbeat and every write-back once the record is cancelled, and keeps it cancelled', async () => {
      const { id } = await h.createRecord();
      await s.claim(id);
      await h.source.heartbeat(id, { percent: 20, step: 'downloading' });
      await h.cancel(id);
      await s.rejectsWith(h.source.heartbeat(id, { percent: 30, step: 'transcoding' }), 'cancelled', 'heartbeat');
      await s.rejectsWith(h.source.complete(id, publishResult()), 'cancelled', 'complete');
      await s.rejectsWith(h.source.fail(id, s.retryAt(s.now())), 'cancelled', 'fail');
      await s.rejectsWith(h.source.release(id), 'cancelled', 'release');
      assert.equal((await h.readRecord(id)).status, 'cancelled');
      await h.clock.advance(s.leaseMs() + s.margin());
      assert.equal((await h.source.listPending(10)).total, 0, 'a cancelled record is never listed');
    });

    it('throws `lease_expired` to a worker whose expired lease another worker reclaimed, and never overwrites the new owner', async () => {
      const { id } = await h.createRecord();
      await s.claim(id);
      await h.source.heartbeat(id, { percent: 40, step: 'transcoding' });
      await h.clock.advance(s.leaseMs() + s.margin());
      const taken = await s.claim(id, 'rival');
      assert.equal(taken.claimedBy, h.rivalId);
      await h.rival.heartbeat(id, { percent: 5, step: 'downloading' });

      await s.rejectsWith(h.source.heartbeat(id, { percent: 80, step: 'transcoding' }), 'lease_expired', 'heartbeat');
      await s.rejectsWith(h.source.complete(id, publishResult()), 'lease_expired', 'complete');
      await s.rejectsWith(h.source.fail(id, s.retryAt(s.now())), 'lease_expired', 'fail');
      await s.rejectsWith(h.source.release(id), 'lease_expired', 'release');
      const stored = await h.readRecord(id);
      assert.deepEqual(
        [stored.status, stored.claimedBy, stored.step, stored.progress, stored.hlsUrl],
        ['processing', h.rivalId, 'downloading', 5, null],
      );
    });

    it('throws `lease_expired` to a worker writing a record another worker holds', async () => {
      const { id } = await h.createRecord();
      await s.claim(id, 'rival');
      await s.rejectsWith(h.source.heartbeat(id, { percent: 1, step: 'downloading' }), 'lease_expired', 'heartbeat');
      await s.rejectsWith(h.source.complete(id, publishResult()), 'lease_expired', 'complete');
      await s.rejectsWith(h.source.fail(id, s.retryAt(s.now())), 'lease_expired', 'fail');
      await s.rejectsWith(h.source.release(id), 'lease_expired', 'release');
      const stored = await h.readRecord(id);
      assert.deepEqual([stored.status, stored.claimedBy, stored.step, stored.retryCount], ['processing', h.rivalId, 'claimed', 0]);
    });

    it('complete writes the result back, clears the last error, and the record leaves the queue', async () => {
      const { id } = await h.createRecord();
      await s.claim(id);
      await h.source.fail(id, s.retryAt(s.now(), { error: 'connection reset — will retry', errorCode: 'source_network_error' }));
      await s.claim(id);
      await h.source.heartbeat(id, { percent: 50, step: 'transcoding' });
      await h.source.complete(id, publishResult());

      const stored = await h.readRecord(id);
      const expected = publishResult();
      assert.equal(stored.status, 'completed');
      assert.equal(stored.hlsUrl, expected.hlsUrl);
      assert.equal(stored.posterUrl, expected.posterUrl);
      assert.deepEqual(stored.renditions, expected.renditions);
      assert.deepEqual(
        [stored.thumbnailUrls, stored.storyboardUrl, stored.previewUrl, stored.metadataUrl],
        [expected.thumbnailUrls, expected.storyboardUrl, expected.previewUrl, expected.metadataUrl],
        'the previews',
      );
      assert.equal(stored.duration, 5.02);
      assert.deepEqual([stored.width, stored.height], [1280, 720]);
      assert.equal(stored.processingMs, 1234, 'whole milliseconds');
      assert.equal(stored.outputBytes, 3_000_000_000, 'beyond 32 bits');
      assert.equal(stored.completedAt, '2026-01-02T03:04:05.000Z');
      assert.deepEqual([stored.progress, stored.step], [100, null]);
      assert.deepEqual([stored.error, stored.errorCode, stored.nextAttemptAt], [null, null, null], 'the earlier failure is cleared');
      assert.equal(stored.retryCount, 1, 'the attempt history is kept');

      assert.equal((await h.source.listPending(10)).total, 0);
      await s.rejectsWith(h.source.heartbeat(id, { percent: 100, step: 'updating' }), 'lease_expired', 'heartbeat after complete');
      await h.clock.advance(s.leaseMs() + s.margin());
      assert.equal((await h.source.listPending(10)).total, 0, 'a completed record is never reclaimed');
    });

    it('fail writes the error, its code and the retry schedule: pending until next_attempt_at, or failed for good', async () => {
      const { id } = await h.createRecord();
      await s.claim(id);
      await h.source.heartbeat(id, { percent: 30, step: 'transcoding' });
      const failure = s.retryAt(s.now() + HOUR);
      await h.source.fail(id, failure);

      let stored = await h.readRecord(id);
      assert.equal(stored.status, 'pending');
      assert.equal(stored.error, failure.error);
      assert.equal(stored.errorCode, 'source_server_error');
      assert.equal(stored.retryCount, 1);
      assert.deepEqual(stored.retryErrors, failure.retryErrors);
      assert.equal(stored.lastRetryAt, failure.lastRetryAt);
      assert.equal(stored.nextAttemptAt, failure.nextAttemptAt);
      assert.deepEqual(
        [stored.claimedBy, stored.claimedAt, stored.heartbeatAt, stored.step, stored.progress],
        [null, null, null, null, 0],
        'the claim is cleared',
      );

      assert.equal((await h.source.listPending(10)).total, 0, 'not due before next_attempt_at');
      await h.clock.advance(HOUR - s.margin());
      assert.equal((await h.source.listPending(10)).total, 0, 'still not due');
      await h.clock.advance(s.margin());
      const again = await s.listed(id);
      assert.deepEqual([again.status, again.retryCount, again.retryErrors], ['pending', 1, failure.retryErrors]);

      await s.claim(id);
      const final = s.retryAt(s.now(), {
        status: 'failed',
        error: 'The source URL answered 404 Not Found — failed permanently',
        errorCode: 'source_not_found',
        retryCount: 2,
        retryErrors: [...failure.retryErrors, `${s.iso(s.now())} source_not_found: 404`],
        nextAttemptAt: null,
      });
      await h.source.fail(id, final);
      stored = await h.readRecord(id);
      assert.deepEqual(
        [stored.status, stored.error, stored.errorCode, stored.retryCount, stored.retryErrors, stored.nextAttemptAt, stored.claimedBy],
        ['failed', final.error, 'source_not_found', 2, final.retryErrors, null, null],
      );
      await h.clock.advance(24 * HOUR);
      assert.equal((await h.source.listPending(10)).total, 0, 'a failed record is never listed');
    });

    it('release puts the record back to pending, due at once, without counting an attempt', async () => {
      const { id } = await h.createRecord();
      await s.claim(id);
      await h.source.fail(id, s.retryAt(s.now()));
      await s.claim(id);
      await h.source.heartbeat(id, { percent: 60, step: 'transcoding' });
      const t0 = s.now();
      await h.source.release(id);
      const t1 = s.now();

      const stored = await h.readRecord(id);
      assert.deepEqual(
        [stored.status, stored.retryCount, stored.claimedBy, stored.claimedAt, stored.heartbeatAt, stored.step, stored.progress],
        ['pending', 1, null, null, null, null, 0],
        'shutdown counts no attempt',
      );
      s.stampedBetween(stored.nextAttemptAt, t0, t1, 'next_attempt_at');
      const { total, records } = await h.source.listPending(10);
      assert.equal(total, 1, 'due again at once');
      assert.deepEqual([records[0]?.id, records[0]?.retryCount, records[0]?.claimedBy], [id, 1, null]);
      await s.rejectsWith(h.source.release(id), 'lease_expired', 'a second release');
    });

    it('lists an expired lease, and reclaiming it counts the interrupted attempt', async () => {
      const { id } = await h.createRecord();
      // The worker that will die: one failed attempt behind it, then it stops heart-beating.
      await s.claim(id, 'rival');
      await h.rival.fail(id, s.retryAt(s.now(), { retryErrors: ['earlier failure'] }));
      await s.claim(id, 'rival');
      await h.clock.advance(s.leaseMs() - s.margin());
      assert.equal((await h.source.listPending(10)).total, 0, 'not listed while the lease holds');
      await h.clock.advance(2 * s.margin());

      const { total, records } = await h.source.listPending(10);
      assert.equal(total, 1);
      const orphan = records[0]!;
      assert.deepEqual([orphan.id, orphan.status, orphan.claimedBy, orphan.retryCount], [id, 'processing', h.rivalId, 1]);
      const t0 = s.now();
      const claimed = await h.source.claim(orphan, h.workerId);
      const t1 = s.now();
      assert.ok(claimed);
      assert.deepEqual([claimed.status, claimed.claimedBy, claimed.retryCount], ['processing', h.workerId, 2]);
      assert.equal(await h.rival.claim(orphan, h.rivalId), null, 'the same listing cannot be reclaimed twice');

      const stored = await h.readRecord(id);
      assert.deepEqual(
        [stored.status, stored.claimedBy, stored.step, stored.progress, stored.retryCount],
        ['processing', h.workerId, 'claimed', 0, 2],
      );
      assert.equal(stored.retryErrors.length, 2);
      assert.equal(stored.retryErrors[0], 'earlier failure');
      const reclaimError =
        h.reclaimError ?? ((worker: string) => new RegExp(`lease expired \\(worker ${worker.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(stored.retryErrors[1]!, reclaimError(h.rivalId));
      s.stampedBetween(stored.lastRetryAt, t0, t1, 'last_retry_at');
      s.stampedBetween(stored.heartbeatAt, t0, t1, 'heartbeat_at');
      await s.rejectsWith(h.rival.heartbeat(id, { percent: 50, step: 'transcoding' }), 'lease_expired', "the dead worker's late heartbeat");
      assert.equal((await h.source.listPending(10)).total, 0, 'the renewed lease is not listed');
    });
  });
}
