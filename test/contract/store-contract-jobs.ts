import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidRecordId } from '../../src/domain/record.js';
import { publishResultFor } from '../helpers/publish-result.js';
import { LEASE, addJob, claimJob, codeOf, errorOf, failureAt, runningJob, type StoreHarness } from './store-contract-support.js';

/** Create, poll, exclusive claim and the lease of a job: the worker's side of `jobs`. */
export function jobsContract(h: StoreHarness): void {
  const due = async (): Promise<string[]> => (await h.store.jobs.listDue({ limit: 10, leaseSeconds: LEASE })).rows.map((r) => r.id);

  describe('jobs: create, poll and claim', () => {
    it('creates pending jobs with valid record ids and defaults, read back identical', async () => {
      const job = await addJob(h, 3, 'hello', ['high', 'low']);
      assert.match(job.id, /^j[0-9a-f]{20}$/);
      assert.ok(isValidRecordId(job.id));
      assert.equal(job.status, 'pending');
      assert.equal(job.priority, 3);
      assert.equal(job.title, 'hello');
      assert.equal(job.retryCount, 0);
      assert.equal(job.progress, 0);
      assert.deepEqual(job.retryErrors, []);
      assert.deepEqual(job.thumbnailUrls, []);
      assert.deepEqual(job.ladder, ['high', 'low']);
      assert.equal(job.renditions, null);
      assert.equal(job.createdAt, '2024-05-01T12:00:00.000Z');
      assert.equal(job.updatedAt, job.createdAt);
      assert.deepEqual(await h.store.jobs.get(job.id), job);
      assert.equal(await h.store.jobs.get('missing'), null);
    });

    it('lists due jobs by priority, then oldest first, one page at a time with the total', async () => {
      const low = await addJob(h, 9);
      const first = await addJob(h, 5);
      const urgent = await addJob(h, 1);
      const second = await addJob(h, 5);
      assert.deepEqual(await due(), [urgent.id, first.id, second.id, low.id]);
      const page = await h.store.jobs.listDue({ limit: 2, leaseSeconds: LEASE });
      assert.deepEqual(
        page.rows.map((r) => r.id),
        [urgent.id, first.id],
      );
      assert.equal(page.total, 4);
    });

    it('excludes pending jobs whose next attempt is in the future until it is due', async () => {
      const job = await runningJob(h);
      await h.store.jobs.fail(job.id, 'w1', failureAt(h));
      const other = await addJob(h);
      assert.deepEqual(await due(), [other.id]);
      assert.equal((await h.store.jobs.listDue({ limit: 10, leaseSeconds: LEASE })).total, 1);
      const waiting = (await h.store.jobs.get(job.id))!;
      assert.equal(await claimJob(h, waiting), null, 'a job not yet due cannot be claimed');
      h.tick(3600_000);
      assert.deepEqual(await due(), [job.id, other.id]);
    });

    it('claims a due job for one worker: processing, owner, lease and step set', async () => {
      const job = await addJob(h);
      const claimed = await claimJob(h, job, 'w7');
      assert.ok(claimed);
      assert.equal(claimed.status, 'processing');
      assert.equal(claimed.claimedBy, 'w7');
      assert.equal(claimed.claimedAt, h.now().toISOString());
      assert.equal(claimed.heartbeatAt, h.now().toISOString());
      assert.equal(claimed.step, 'claimed');
      assert.equal(claimed.retryCount, 0);
      assert.deepEqual(await h.store.jobs.get(job.id), claimed);
      assert.deepEqual(await due(), [], 'a held lease is not due');
    });

    it('gives a job to exactly one of two workers claiming it at the same moment', async () => {
      const jobs = [await addJob(h), await addJob(h), await addJob(h)];
      for (const job of jobs) {
        const results = await Promise.all([claimJob(h, job, 'a'), claimJob(h, job, 'b')]);
        const winners = results.filter((r) => r !== null);
        assert.equal(winners.length, 1, `job ${job.id}`);
        assert.equal((await h.store.jobs.get(job.id))?.claimedBy, winners[0]?.claimedBy);
      }
    });

    it('claims each job once when five workers race over the same page', async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 6; i += 1) ids.add((await addJob(h)).id);
      const page = (await h.store.jobs.listDue({ limit: 10, leaseSeconds: LEASE })).rows;
      const won = await Promise.all(
        ['a', 'b', 'c', 'd', 'e'].map(async (worker) => {
          const mine: string[] = [];
          for (const row of page) if (await claimJob(h, row, worker)) mine.push(row.id);
          return mine;
        }),
      );
      const all = won.flat();
      assert.equal(all.length, 6);
      assert.deepEqual(new Set(all), ids);
    });

    it('refuses a claim when the row changed since it was listed', async () => {
      const job = await addJob(h);
      h.tick();
      await h.store.jobs.cancel(job.id);
      await h.store.jobs.retry(job.id);
      assert.equal(await claimJob(h, job), null);
      assert.equal(await claimJob(h, { ...job, updatedAt: 'not a date' }), null);
    });

    it('reclaims a stale lease, counting the lost attempt, and the first worker learns it lost the job', async () => {
      const job = await runningJob(h, 'w1');
      h.tick(LEASE * 1000 - 1000);
      assert.deepEqual(await due(), [], 'still within its lease');
      h.tick(2000);
      const [stale] = (await h.store.jobs.listDue({ limit: 10, leaseSeconds: LEASE })).rows;
      assert.equal(stale?.id, job.id);
      const reclaimed = await h.store.jobs.claim(job.id, 'w2', stale, LEASE);
      assert.equal(reclaimed?.claimedBy, 'w2');
      assert.equal(reclaimed?.retryCount, 1);
      assert.deepEqual(reclaimed?.retryErrors, ['lease expired (worker w1)']);
      assert.equal(reclaimed?.lastRetryAt, h.now().toISOString());
      const lost = await errorOf(h.store.jobs.heartbeat(job.id, 'w1', { percent: 50, step: 'transcoding' }));
      assert.equal(lost.code, 'lease_expired');
      assert.equal(lost.message, `job ${job.id} is no longer held by w1 (now processing, claimed by w2)`);
    });

    it('expires at once the leases of workers known to be gone, and only theirs', async () => {
      const dead = await runningJob(h, 'host-a:111');
      await runningJob(h, 'host-a:222');
      assert.deepEqual(await due(), []);
      assert.equal(await h.store.jobs.expireLeasesOf((worker) => worker === 'host-a:111'), 1);
      const page = await h.store.jobs.listDue({ limit: 10, leaseSeconds: LEASE });
      assert.deepEqual(
        page.rows.map((r) => r.id),
        [dead.id],
      );
      assert.equal((await h.store.jobs.claim(dead.id, 'host-a:333', page.rows[0]!, LEASE))?.retryCount, 1);
      assert.equal(await h.store.jobs.expireLeasesOf(() => false), 0);
    });
  });

  describe('jobs: the lease holder', () => {
    it('heartbeats progress (rounded, clamped) and renews the lease', async () => {
      const job = await runningJob(h);
      h.tick(LEASE * 1000);
      await h.store.jobs.heartbeat(job.id, 'w1', { percent: 42.6, step: 'transcoding' });
      const row = await h.store.jobs.get(job.id);
      assert.equal(row?.progress, 43);
      assert.equal(row?.step, 'transcoding');
      assert.equal(row?.heartbeatAt, h.now().toISOString());
      assert.equal(row?.updatedAt, h.now().toISOString());
      h.tick(1000);
      assert.deepEqual(await due(), [], 'the renewed lease is not stale');
      await h.store.jobs.heartbeat(job.id, 'w1', { percent: 140, step: 'publishing' });
      assert.equal((await h.store.jobs.get(job.id))?.progress, 100);
    });

    it('refuses a heartbeat, complete, fail or release from a worker that does not hold the job', async () => {
      const job = await runningJob(h, 'w1');
      const other = 'w2';
      assert.equal(await codeOf(h.store.jobs.heartbeat(job.id, other, { percent: 1, step: 'downloading' })), 'lease_expired');
      assert.equal(await codeOf(h.store.jobs.complete(job.id, other, publishResultFor('local-x'))), 'lease_expired');
      assert.equal(await codeOf(h.store.jobs.fail(job.id, other, failureAt(h))), 'lease_expired');
      assert.equal(await codeOf(h.store.jobs.release(job.id, other)), 'lease_expired');
      const gone = await errorOf(h.store.jobs.release('jmissing', 'w1'));
      assert.equal(gone.message, 'job jmissing is no longer held by w1 (now deleted)');
      await h.store.jobs.cancel(job.id);
      const cancelled = await errorOf(h.store.jobs.heartbeat(job.id, 'w1', { percent: 1, step: 'downloading' }));
      assert.deepEqual(cancelled, { code: 'cancelled', message: `job ${job.id} was cancelled` });
    });

    it('completes with every published field, times as toISOString() and large byte counts intact', async () => {
      const job = await runningJob(h);
      const result = { ...publishResultFor('local-x', { rungs: ['low', 'high'] }), completedAt: '2024-05-01T12:00:05Z' };
      await h.store.jobs.complete(job.id, 'w1', result);
      const row = (await h.store.jobs.get(job.id))!;
      assert.equal(row.status, 'completed');
      assert.equal(row.completedAt, '2024-05-01T12:00:05.000Z');
      assert.equal(row.processingMs, 1234);
      assert.equal(row.outputBytes, 3_000_000_000);
      assert.equal(row.duration, 5.02);
      assert.deepEqual(row.renditions, result.renditions);
      assert.deepEqual(row.thumbnailUrls, result.thumbnailUrls);
      assert.equal(row.hlsUrl, result.hlsUrl);
      assert.equal(row.metadataUrl, result.metadataUrl);
      assert.equal(row.progress, 100);
      assert.equal(row.step, null);
      assert.equal(row.claimedBy, 'w1', 'the last owner stays on record');
      assert.equal(await codeOf(h.store.jobs.complete(job.id, 'w1', result)), 'lease_expired');
    });

    it('records a failure as the retry policy decided it, the claim cleared', async () => {
      const job = await runningJob(h);
      await h.store.jobs.fail(job.id, 'w1', failureAt(h, { retryCount: 2, retryErrors: ['a', 'b'], lastRetryAt: '2024-05-01T12:00:01Z' }));
      const row = (await h.store.jobs.get(job.id))!;
      assert.equal(row.status, 'pending');
      assert.equal(row.error, 'boom');
      assert.equal(row.errorCode, 'source_network_error');
      assert.equal(row.retryCount, 2);
      assert.deepEqual(row.retryErrors, ['a', 'b']);
      assert.equal(row.lastRetryAt, '2024-05-01T12:00:01.000Z');
      assert.equal(row.nextAttemptAt, new Date(h.now().getTime() + 3600_000).toISOString());
      assert.equal(row.claimedBy, null);
      assert.equal(row.heartbeatAt, null);
      assert.equal(row.progress, 0);
      const final = await runningJob(h);
      await h.store.jobs.fail(final.id, 'w1', failureAt(h, { status: 'failed', nextAttemptAt: null }));
      assert.equal((await h.store.jobs.get(final.id))?.status, 'failed');
      assert.equal((await h.store.jobs.get(final.id))?.nextAttemptAt, null);
    });

    it('releases a job on shutdown: pending, due at once, no attempt counted', async () => {
      const job = await runningJob(h);
      h.tick();
      await h.store.jobs.release(job.id, 'w1');
      const row = (await h.store.jobs.get(job.id))!;
      assert.equal(row.status, 'pending');
      assert.equal(row.nextAttemptAt, h.now().toISOString());
      assert.equal(row.claimedBy, null);
      assert.equal(row.retryCount, 0);
      assert.deepEqual(await due(), [job.id]);
    });

    it('answers a ping', async () => {
      await h.store.ping();
      await h.store.jobs.ping();
    });
  });
}
