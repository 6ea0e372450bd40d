/**
 * The operator's side of the CmsSource contract (src/sources/cms-source.ts): list and search,
 * read one, retry, cancel, change priority and ladder, clear a deleted ladder's fields, list the
 * records for clean-up, requeue. Run against every source beside cms-source-contract.ts, so the
 * API and the dashboard behave the same whatever the CMS.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ContractSteps, HOUR, publishResult, type SourceUnderTest } from './source-under-test.js';

const REQUEUE = { priority: 7, batchSize: 2, dryRun: false } as const;

export function cmsOperationsContract(name: string, factory: () => Promise<SourceUnderTest>): void {
  describe(`CmsSource operations contract: ${name}`, () => {
    let h: SourceUnderTest;
    let s: ContractSteps;
    beforeEach(async () => {
      h = await factory();
      s = new ContractSteps(h);
    });
    afterEach(async () => {
      await h?.cleanup();
    });

    /** A record that failed for good after one attempt. */
    async function failed(title?: string): Promise<string> {
      const { id } = await h.createRecord(title === undefined ? {} : { title });
      await s.claim(id);
      await h.source.fail(id, s.retryAt(s.now(), { status: 'failed', nextAttemptAt: null, errorCode: 'source_not_found' }));
      return id;
    }

    async function completed(): Promise<string> {
      const { id } = await h.createRecord();
      await s.claim(id);
      await h.source.complete(id, publishResult());
      return id;
    }

    it('lists every tracked record newest first, filters by status and text, pages, and counts by status', async () => {
      const old = await failed('Holiday in Lisbon');
      const mid = await completed();
      const newest = (await h.createRecord({ title: 'lisbon at night' })).id;

      const all = await h.source.listJobs({ limit: 10, offset: 0 });
      assert.deepEqual(
        all.jobs.map((j) => j.id),
        [newest, mid, old],
        'newest first',
      );
      assert.equal(all.total, 3);
      assert.deepEqual(all.counts, { pending: 1, processing: 0, completed: 1, failed: 1, cancelled: 0 });
      assert.equal(all.jobs[0]!.source, h.source.kind);

      const page = await h.source.listJobs({ limit: 1, offset: 1 });
      assert.deepEqual([page.total, page.jobs.map((j) => j.id)], [3, [mid]]);

      const failedOnly = await h.source.listJobs({ status: 'failed', limit: 10, offset: 0 });
      assert.deepEqual([failedOnly.total, failedOnly.jobs.map((j) => j.id)], [1, [old]]);
      assert.deepEqual(failedOnly.counts, all.counts, 'counts ignore the filter');

      const byTitle = await h.source.listJobs({ text: 'LISBON', limit: 10, offset: 0 });
      assert.deepEqual(
        byTitle.jobs.map((j) => j.id),
        [newest, old],
        'title substring, case-insensitive',
      );
      const byId = await h.source.listJobs({ text: mid, limit: 10, offset: 0 });
      assert.deepEqual(
        byId.jobs.map((j) => j.id),
        [mid],
        'the exact id',
      );
    });

    it('reads one record with every field; an unknown id is null', async () => {
      const id = await completed();
      const job = await h.source.getJob(id);
      assert.ok(job);
      assert.deepEqual([job.id, job.source, job.status, job.progress], [id, h.source.kind, 'completed', 100]);
      const result = publishResult();
      assert.equal(job.hlsUrl, result.hlsUrl);
      assert.deepEqual(job.thumbnailUrls, result.thumbnailUrls);
      assert.deepEqual(
        job.renditions?.map((r) => r.name),
        result.renditions.map((r) => r.name),
      );
      assert.match(job.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(await h.source.getJob('999999'), null);
    });

    it('retries a failed record now: pending at priority 1, fresh budget, the attempt history kept', async () => {
      const id = await failed();
      const before = await h.readRecord(id);
      assert.equal(before.retryErrors.length, 1);
      const job = await h.source.retry(id);
      assert.deepEqual([job.status, job.priority, job.retryCount, job.error, job.nextAttemptAt], ['pending', 1, 0, null, null]);
      const stored = await h.readRecord(id);
      assert.deepEqual(
        [stored.status, stored.priority, stored.retryCount, stored.errorCode, stored.claimedBy],
        ['pending', 1, 0, null, null],
      );
      assert.deepEqual(stored.retryErrors, before.retryErrors, 'retry_errors kept as history');
      assert.ok((await s.listed(id)).priority === 1, 'due at once');
      await s.rejectsWith(h.source.retry(id), 'conflict', 'a pending record');
      await s.rejectsWith(h.source.retry('999999'), 'not_found', 'an unknown record');
    });

    it('cancels a pending record, and a running one whose worker then stops at its heartbeat', async () => {
      const queued = (await h.createRecord()).id;
      assert.equal((await h.source.cancel(queued)).status, 'cancelled');
      assert.equal((await h.readRecord(queued)).status, 'cancelled');
      assert.equal((await h.source.listPending(10)).records.length, 0, 'no longer due');

      const running = (await h.createRecord()).id;
      await s.claim(running);
      const job = await h.rival.cancel(running);
      assert.deepEqual([job.status, job.claimedBy], ['cancelled', h.workerId], 'the holder stays named');
      await s.rejectsWith(h.source.heartbeat(running, { percent: 50, step: 'transcoding' }), 'cancelled', 'the holder');
      await s.rejectsWith(h.source.cancel(running), 'conflict', 'a cancelled record');
      await s.rejectsWith(h.source.cancel(await completed()), 'conflict', 'a completed record');
      await s.rejectsWith(h.source.cancel('999999'), 'not_found', 'an unknown record');
      // A cancelled record can be retried.
      assert.equal((await h.source.retry(running)).status, 'pending');
    });

    it('changes priority, ladder and poster; the poll sees the first two', async () => {
      const first = (await h.createRecord()).id;
      const second = (await h.createRecord()).id;
      const job = await h.source.update(second, { priority: 2, ladder: ['high', 'low'] });
      assert.deepEqual([job.priority, job.ladder], [2, ['high', 'low']]);
      const due = await h.source.listPending(10);
      assert.deepEqual(
        due.records.map((r) => r.id),
        [second, first],
      );
      assert.deepEqual(due.records[0]!.ladder, ['high', 'low']);
      assert.deepEqual(due.records[1]!.ladder, []);
      assert.deepEqual((await h.source.update(second, { ladder: [] })).ladder, [], 'back to the whole ladder');
      assert.equal((await h.readRecord(second)).priority, 2, 'an absent change is left alone');
      const poster = 'https://cdn.test/storage/hls/x/thumbnails/thumb-02.jpg';
      assert.equal((await h.source.update(second, { posterUrl: poster })).posterUrl, poster);
      assert.equal((await h.readRecord(second)).posterUrl, poster, 'the picked poster');
      await s.rejectsWith(h.source.update('999999', { priority: 3 }), 'not_found', 'an unknown record');
    });

    it("clears a deleted ladder's fields, never while the record is processing", async () => {
      const id = await completed();
      const job = await h.source.clearOutputs(id);
      assert.deepEqual([job.hlsUrl, job.posterUrl, job.renditions, job.thumbnailUrls, job.metadataUrl], [null, null, null, [], null]);
      const stored = await h.readRecord(id);
      assert.deepEqual([stored.status, stored.hlsUrl, stored.storyboardUrl], ['completed', null, null]);
      const running = (await h.createRecord()).id;
      await s.claim(running);
      await s.rejectsWith(h.source.clearOutputs(running), 'conflict', 'a processing record');
    });

    it('lists every record for clean-up with its status and ladder URL', async () => {
      const done = await completed();
      const queued = (await h.createRecord()).id;
      const refs = await h.source.listRefs();
      const byId = new Map(refs.map((r) => [r.id, r]));
      assert.equal(refs.length, 2);
      assert.deepEqual(byId.get(done), { id: done, status: 'completed', hlsUrl: publishResult().hlsUrl });
      assert.deepEqual(byId.get(queued), { id: queued, status: 'pending', hlsUrl: null });
    });

    it('requeues by scope and ids, never a record in processing; a dry run changes nothing', async () => {
      const lost = await failed();
      const done = await completed();
      const doneToo = await completed();
      const running = (await h.createRecord()).id;
      await s.claim(running);

      const dry = await h.source.requeue({ ...REQUEUE, scope: 'all', dryRun: true });
      assert.deepEqual([dry.matched, dry.requeued, dry.processing], [{ failed: 1, completed: 2 }, 0, 1]);
      assert.equal((await h.readRecord(lost)).status, 'failed');

      const some = await h.source.requeue({ ...REQUEUE, scope: 'completed', ids: new Set([doneToo, running]) });
      assert.deepEqual([some.matched, some.requeued], [{ failed: 0, completed: 1 }, 1]);
      const requeued = await h.readRecord(doneToo);
      assert.deepEqual([requeued.status, requeued.priority, requeued.hlsUrl, requeued.thumbnailUrls], ['pending', 7, null, []]);
      assert.equal((await h.readRecord(done)).status, 'completed', 'not listed in ids');
      assert.equal((await h.readRecord(running)).status, 'processing', 'never a running record');

      await h.clock.advance(HOUR);
      const rest = await h.source.requeue({ ...REQUEUE, scope: 'all' });
      assert.deepEqual([rest.matched, rest.requeued], [{ failed: 1, completed: 1 }, 2]);
      assert.deepEqual([(await h.readRecord(lost)).status, (await h.readRecord(done)).status], ['pending', 'pending']);
    });
  });
}
