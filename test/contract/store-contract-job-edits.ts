import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobRow } from '../../src/store/job-row.js';
import { publishResultFor } from '../helpers/publish-result.js';
import { addJob, codeOf, errorOf, failureAt, runningJob, type StoreHarness } from './store-contract-support.js';

/** The operator's side of `jobs`: transitions, edits, search, retention and requeue. */
export function jobEditsContract(h: StoreHarness): void {
  const completedJob = async (): Promise<JobRow> => {
    const job = await runningJob(h);
    await h.store.jobs.complete(job.id, 'w1', publishResultFor(`local-${job.id}`));
    return (await h.store.jobs.get(job.id))!;
  };
  const failedJob = async (): Promise<JobRow> => {
    const job = await runningJob(h);
    await h.store.jobs.fail(
      job.id,
      'w1',
      failureAt(h, { status: 'failed', retryCount: 3, retryErrors: ['a', 'b', 'c'], nextAttemptAt: null }),
    );
    return (await h.store.jobs.get(job.id))!;
  };

  describe('jobs: operator transitions', () => {
    it('cancels only pending or processing jobs, keeping a running job’s owner', async () => {
      const running = await runningJob(h);
      const cancelled = await h.store.jobs.cancel(running.id);
      assert.equal(cancelled.status, 'cancelled');
      assert.equal(cancelled.claimedBy, 'w1');
      assert.equal(cancelled.nextAttemptAt, null);
      assert.equal((await h.store.jobs.cancel((await addJob(h)).id)).status, 'cancelled');
      assert.deepEqual(await errorOf(h.store.jobs.cancel(running.id)), {
        code: 'conflict',
        message: `only pending or processing jobs can be cancelled; job ${running.id} is cancelled`,
      });
      assert.deepEqual(await errorOf(h.store.jobs.cancel('nope')), { code: 'not_found', message: 'no job nope' });
    });

    it('retries only failed or cancelled jobs, at priority 1 with a fresh budget and the history kept', async () => {
      const pending = await addJob(h, 7);
      assert.equal(await codeOf(h.store.jobs.retry(pending.id)), 'conflict');
      const failed = await failedJob();
      const retried = await h.store.jobs.retry(failed.id);
      assert.equal(retried.status, 'pending');
      assert.equal(retried.priority, 1);
      assert.equal(retried.retryCount, 0);
      assert.equal(retried.error, null);
      assert.equal(retried.errorCode, null);
      assert.equal(retried.lastRetryAt, null);
      assert.deepEqual(retried.retryErrors, ['a', 'b', 'c']);
      assert.equal((await h.store.jobs.listDue({ limit: 10, leaseSeconds: 300 })).rows[0]?.id, failed.id);
      assert.equal(await codeOf(h.store.jobs.retry('nope')), 'not_found');
    });

    it('sets the poster of a completed job only', async () => {
      const done = await completedJob();
      h.tick();
      const picked = await h.store.jobs.setPoster(done.id, 'https://cdn.test/p2.jpg');
      assert.equal(picked.posterUrl, 'https://cdn.test/p2.jpg');
      assert.equal(picked.updatedAt, h.now().toISOString());
      const pending = await addJob(h);
      assert.deepEqual(await errorOf(h.store.jobs.setPoster(pending.id, 'https://cdn.test/p.jpg')), {
        code: 'conflict',
        message: `only a completed job has a poster to pick; job ${pending.id} is pending`,
      });
      assert.equal(await codeOf(h.store.jobs.setPoster('nope', 'https://cdn.test/p.jpg')), 'not_found');
    });

    it('updates priority, ladder and poster in any status, leaving what is not given', async () => {
      const job = await runningJob(h, 'w1', 5);
      const changed = await h.store.jobs.update(job.id, { priority: 2 });
      assert.equal(changed.priority, 2);
      assert.equal(changed.status, 'processing');
      assert.deepEqual(changed.ladder, []);
      const laddered = await h.store.jobs.update(job.id, { ladder: ['low'], posterUrl: 'https://cdn.test/p.jpg' });
      assert.equal(laddered.priority, 2);
      assert.deepEqual(laddered.ladder, ['low']);
      assert.equal(laddered.posterUrl, 'https://cdn.test/p.jpg');
      assert.deepEqual((await h.store.jobs.update(job.id, { ladder: [] })).ladder, []);
      assert.deepEqual(await errorOf(h.store.jobs.update('nope', { priority: 1 })), { code: 'not_found', message: 'no job nope' });
    });

    it('clears the outputs of a job not being processed', async () => {
      const done = await completedJob();
      const cleared = await h.store.jobs.clearOutputs(done.id);
      for (const field of [
        'hlsUrl',
        'posterUrl',
        'renditions',
        'storyboardUrl',
        'previewUrl',
        'metadataUrl',
        'processingMs',
        'outputBytes',
        'completedAt',
      ] as const) {
        assert.equal(cleared[field], null, field);
      }
      assert.deepEqual(cleared.thumbnailUrls, []);
      assert.equal(cleared.status, 'completed');
      const running = await runningJob(h);
      assert.deepEqual(await errorOf(h.store.jobs.clearOutputs(running.id)), {
        code: 'conflict',
        message: `a job being processed keeps its outputs; job ${running.id} is processing`,
      });
      assert.equal(await codeOf(h.store.jobs.clearOutputs('nope')), 'not_found');
    });

    it('removes a job unless it is being processed', async () => {
      const job = await addJob(h);
      await h.store.jobs.remove(job.id);
      assert.equal(await h.store.jobs.get(job.id), null);
      assert.equal(await codeOf(h.store.jobs.remove(job.id)), 'not_found');
      const running = await runningJob(h);
      assert.deepEqual(await errorOf(h.store.jobs.remove(running.id)), {
        code: 'conflict',
        message: `a job being processed cannot be deleted; cancel it first; job ${running.id} is processing`,
      });
    });
  });

  describe('jobs: listing and search', () => {
    it('lists newest first with a status filter and paging, and counts by status', async () => {
      const a = await addJob(h);
      const b = await addJob(h);
      const c = await addJob(h);
      await h.store.jobs.cancel(b.id);
      const all = await h.store.jobs.list({ limit: 2, offset: 0 });
      assert.equal(all.total, 3);
      assert.deepEqual(
        all.jobs.map((j) => j.id),
        [c.id, b.id],
      );
      assert.deepEqual(
        (await h.store.jobs.list({ limit: 2, offset: 2 })).jobs.map((j) => j.id),
        [a.id],
      );
      const pending = await h.store.jobs.list({ status: 'pending', limit: 10, offset: 0 });
      assert.equal(pending.total, 2);
      assert.deepEqual(
        pending.jobs.map((j) => j.id),
        [c.id, a.id],
      );
      assert.deepEqual(await h.store.jobs.countByStatus(), { pending: 2, processing: 0, completed: 0, failed: 0, cancelled: 1 });
    });

    it('searches by id, key or title substring (case-insensitive, % and _ literal), with the counts by status', async () => {
      const cats = await addJob(h, 5, 'Funny Cats');
      const percent = await addJob(h, 5, '100% real');
      const plain = await addJob(h, 5, '1000 real');
      const under = await addJob(h, 5, 'a_b');
      await addJob(h, 5, 'axb');
      await h.store.jobs.cancel(cats.id);
      const ids = async (text?: string, status?: 'cancelled' | 'pending'): Promise<string[]> =>
        (await h.store.jobs.search({ text, status, limit: 10, offset: 0 })).jobs.map((j) => j.id);
      assert.deepEqual(await ids('cats'), [cats.id]);
      assert.deepEqual(await ids('  FUNNY '), [cats.id]);
      assert.deepEqual(await ids(cats.id), [cats.id]);
      assert.deepEqual(await ids(`local-${cats.id}`), [cats.id]);
      assert.deepEqual(await ids('100%'), [percent.id]);
      assert.deepEqual(await ids('real'), [plain.id, percent.id]);
      assert.deepEqual(await ids('a_b'), [under.id]);
      assert.deepEqual(await ids('cats', 'pending'), []);
      assert.deepEqual(await ids(undefined, 'cancelled'), [cats.id]);
      const page = await h.store.jobs.search({ text: '', limit: 2, offset: 1 });
      assert.equal(page.total, 5);
      assert.equal(page.jobs.length, 2);
      assert.deepEqual(page.counts, { pending: 4, processing: 0, completed: 0, failed: 0, cancelled: 1 });
    });

    it('lists every job’s reference (id, status, ladder URL)', async () => {
      const done = await completedJob();
      const pending = await addJob(h);
      const refs = (await h.store.jobs.listRefs()).sort((x, y) => (x.status < y.status ? -1 : 1));
      assert.deepEqual(refs, [
        { id: done.id, status: 'completed', hlsUrl: done.hlsUrl },
        { id: pending.id, status: 'pending', hlsUrl: null },
      ]);
    });
  });

  describe('jobs: retention and requeue', () => {
    it('trims jobs that ended before the cut-off, never pending or processing ones', async () => {
      const old = [await completedJob(), await failedJob(), await h.store.jobs.cancel((await addJob(h)).id)];
      const pending = await addJob(h);
      const running = await runningJob(h);
      const cutoff = h.now();
      h.tick();
      const recent = await completedJob();
      assert.equal(await h.store.jobs.trimEnded(cutoff), 3);
      for (const job of old) assert.equal(await h.store.jobs.get(job.id), null);
      for (const job of [pending, running, recent]) assert.ok(await h.store.jobs.get(job.id));
      assert.equal(await h.store.jobs.trimEnded(cutoff), 0);
    });

    it('requeues failed and completed jobs in batches, cleared, leaving processing and cancelled ones alone', async () => {
      const completed = [await completedJob(), await completedJob(), await completedJob()];
      const failed = [await failedJob(), await failedJob()];
      const running = await runningJob(h);
      const cancelled = await h.store.jobs.cancel((await addJob(h)).id);
      const options = { scope: 'all', priority: 10, batchSize: 2, dryRun: true } as const;
      const counted = await h.store.jobs.requeue(options);
      assert.deepEqual(counted, { matched: { failed: 2, completed: 3 }, processing: 1, requeued: 0, batches: 0 });
      assert.equal((await h.store.jobs.countByStatus()).completed, 3, 'a dry run changes nothing');
      const progress: number[] = [];
      const result = await h.store.jobs.requeue({ ...options, dryRun: false, onBatch: (n) => progress.push(n) });
      assert.deepEqual(result, { matched: { failed: 2, completed: 3 }, processing: 1, requeued: 5, batches: 3 });
      assert.deepEqual(progress, [2, 4, 5]);
      for (const job of [...completed, ...failed]) {
        const row = (await h.store.jobs.get(job.id))!;
        assert.equal(row.status, 'pending');
        assert.equal(row.priority, 10);
        assert.equal(row.retryCount, 0);
        assert.equal(row.nextAttemptAt, null);
        for (const field of [
          'hlsUrl',
          'posterUrl',
          'renditions',
          'completedAt',
          'outputBytes',
          'error',
          'errorCode',
          'claimedBy',
        ] as const) {
          assert.equal(row[field], null, field);
        }
        assert.deepEqual(row.thumbnailUrls, []);
      }
      assert.deepEqual((await h.store.jobs.get(failed[0]!.id))?.retryErrors, ['a', 'b', 'c'], 'earlier errors stay as history');
      assert.equal((await h.store.jobs.get(running.id))?.status, 'processing');
      assert.equal((await h.store.jobs.get(cancelled.id))?.status, 'cancelled');
    });

    it('requeues one scope only, or only listed ids that match it', async () => {
      const [c1, c2] = [await completedJob(), await completedJob()];
      const [f1, f2] = [await failedJob(), await failedJob()];
      const onlyFailed = await h.store.jobs.requeue({ scope: 'failed', priority: 4, batchSize: 10, dryRun: false });
      assert.deepEqual(onlyFailed, { matched: { failed: 2, completed: 0 }, processing: 0, requeued: 2, batches: 1 });
      assert.equal((await h.store.jobs.get(c1.id))?.status, 'completed');
      await h.store.jobs.cancel(f1.id);
      await h.store.jobs.cancel(f2.id);
      const ids = new Set([c1.id, f1.id, 'jmissing']);
      const listed = await h.store.jobs.requeue({ scope: 'completed', priority: 3, batchSize: 1, dryRun: false, ids });
      assert.deepEqual(listed, { matched: { failed: 0, completed: 1 }, processing: 0, requeued: 1, batches: 3 });
      assert.equal((await h.store.jobs.get(c1.id))?.status, 'pending');
      assert.equal((await h.store.jobs.get(c1.id))?.priority, 3);
      assert.equal((await h.store.jobs.get(c2.id))?.status, 'completed');
      assert.equal((await h.store.jobs.get(f1.id))?.status, 'cancelled');
      const none = await h.store.jobs.requeue({ scope: 'failed', priority: 3, batchSize: 5, dryRun: false });
      assert.deepEqual(none, { matched: { failed: 0, completed: 0 }, processing: 0, requeued: 0, batches: 0 });
    });
  });
}
