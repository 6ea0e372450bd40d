/**
 * A video deleted in WordPress while it is encoded: the job ends as cancelled (FFmpeg stopped,
 * nothing published, nothing written to the deleted attachment, temp removed), and the plugin's
 * `attachment.deleted` notice removes the ladder once the record is confirmed gone
 * (JobOperations.recordDeleted). The WordPress side is a loopback fake site (fake-wordpress.ts).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { AttemptOutcome, JobLedger } from '../../src/domain/attempt.js';
import type { DaemonEvent } from '../../src/domain/events.js';
import { AppError, isAppError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging/logger.js';
import { JobOperations } from '../../src/pipeline/job-operations.js';
import { processVideo, type PipelineTools, type ProcessVideoDeps } from '../../src/pipeline/process-video.js';
import type { PipelineTimers } from '../../src/pipeline/timers.js';
import { WordpressSource } from '../../src/sources/wordpress-source.js';
import { FakeWorker } from '../fakes/fake-worker.js';
import { MemorySource } from '../fakes/memory-source.js';
import { FAKE_SOURCE_INFO, fakeLadder } from '../helpers/fake-ladder.js';
import { startFakeWordpress, type FakeWordpress } from '../fakes/fake-wordpress.js';

const WORKER = 'test-host:1';
const roots: string[] = [];
const sites: FakeWordpress[] = [];
after(async () => {
  await Promise.all(sites.map((s) => s.close()));
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

async function tempRoot(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'vc-wp-deleted-'));
  roots.push(root);
  return root;
}

/** A plain-permalink site (every request through ?rest_route=) with video 7 pending, and a source claiming it. */
async function claimedVideo() {
  const wp = await startFakeWordpress({ permalinks: 'plain' });
  sites.push(wp);
  wp.media.set(7, { status: 'pending', priority: 1 });
  const config = { url: wp.url, user: 'video-bot', appPassword: 'abcd efgh', webhookSecret: null, timeoutMs: 5000 };
  const source = new WordpressSource({ config, workerId: WORKER, leaseSeconds: 300, log: silentLogger() });
  const [listed] = (await source.listPending(10)).records;
  const record = (await source.claim(listed!, WORKER))!;
  assert.equal(record.status, 'processing');
  return { wp, source, record };
}

/** Writes to the attachment since request `since`. */
const writesTo = (wp: FakeWordpress, id: number, since = 0) =>
  wp.requests.slice(since).filter((r) => r.method === 'POST' && r.route === `/wp/v2/media/${id}`);

/**
 * Writes of a result, a failure or a release (anything but a heartbeat's progress). A heartbeat
 * already in flight when the video is deleted may still send its write: WordPress has no
 * conditional write, so only the pipeline's own write-backs can be held back.
 */
const outcomeWrites = (wp: FakeWordpress, id: number) =>
  writesTo(wp, id).filter((r) => Object.keys(r.body.meta ?? {}).some((k) => !/^vcmp_(progress|step|heartbeat_at)$/.test(k)));

class Ledger implements JobLedger {
  readonly outcomes: AttemptOutcome[] = [];
  async start(): Promise<number> {
    return 1;
  }
  async finish(_id: number, outcome: AttemptOutcome): Promise<void> {
    this.outcomes.push(outcome);
  }
}

/** The heartbeat beats when the test says so; write-back pauses pass at once. */
class Beats implements PipelineTimers {
  private readonly fns = new Set<() => void>();
  readonly every = (_ms: number, fn: () => void) => (this.fns.add(fn), () => void this.fns.delete(fn));
  readonly sleep = async (): Promise<void> => undefined;
  beat(): void {
    for (const fn of this.fns) fn();
  }
}

async function pipeline(source: WordpressSource, tools: PipelineTools, timers: Beats) {
  const root = await tempRoot();
  const ledger = new Ledger();
  const events: DaemonEvent[] = [];
  const deps: ProcessVideoDeps = {
    source,
    ledger,
    tools,
    events: { emit: (e) => void events.push(e) },
    config: {
      workerId: WORKER,
      tempDir: path.join(root, 'temp'),
      hlsDir: path.join(root, 'hls'),
      publicBaseUrl: 'https://cdn.example.com',
      heartbeatMs: 60_000,
      retryDelaysMs: [0, 60_000],
      diskSpaceFactor: 1,
    },
    log: silentLogger(),
    now: () => new Date(),
    timers,
  };
  return { root, deps, ledger, events };
}

/** Tools whose transcode runs `during` after writing the ladder's files, then returns unless aborted. */
function tools(during: (signal: AbortSignal) => Promise<void>): PipelineTools {
  return {
    download: async ({ destPath }) => (await writeFile(destPath, 'x'), { bytes: 1 }),
    probe: async () => FAKE_SOURCE_INFO,
    transcode: async ({ outDir, signal }) => {
      const output = await fakeLadder(outDir);
      await during(signal);
      signal.throwIfAborted();
      return output;
    },
  };
}

describe('a WordPress video deleted during its job', () => {
  it('every later write of the source says cancelled (deleted), and sends nothing to the attachment', async () => {
    const { wp, source } = await claimedVideo();
    await source.heartbeat('7', { percent: 5, step: 'downloading' });
    wp.media.delete(7);
    const since = wp.requests.length;
    const deleted = (err: unknown) =>
      isAppError(err, 'cancelled') && err.context.deleted === true && /deleted in WordPress/.test(err.message);
    await assert.rejects(source.heartbeat('7', { percent: 50, step: 'transcoding' }), deleted);
    await assert.rejects(source.confirmClaim('7'), deleted);
    const failure = {
      status: 'failed',
      error: 'x',
      errorCode: 'ffmpeg_failed',
      retryCount: 1,
      retryErrors: [],
      lastRetryAt: '',
      nextAttemptAt: null,
    } as const;
    await assert.rejects(source.fail('7', failure), deleted);
    await assert.rejects(source.release('7'), deleted);
    assert.deepEqual(writesTo(wp, 7, since), []);
    assert.equal(await source.getJob('7'), null);
  });

  it('stops the encode at the next heartbeat: cancelled, nothing published, temp removed', async () => {
    const { wp, source, record } = await claimedVideo();
    const timers = new Beats();
    const run = await pipeline(
      source,
      tools(async (signal) => {
        wp.media.delete(7);
        timers.beat();
        // FFmpeg runs until the heartbeat's abort reaches it.
        if (!signal.aborted) await once(signal, 'abort');
      }),
      timers,
    );
    assert.equal(await processVideo(record, run.deps, { signal: new AbortController().signal }), 'cancelled');
    assert.deepEqual([run.ledger.outcomes[0]?.status, run.ledger.outcomes[0]?.errorCode], ['cancelled', 'cancelled']);
    assert.match(run.ledger.outcomes[0]?.error ?? '', /video 7 was deleted in WordPress/);
    assert.equal(existsSync(path.join(run.root, 'hls', 'wordpress-7')), false);
    assert.deepEqual(await readdir(path.join(run.root, 'temp')), []);
    assert.deepEqual(
      run.events.map((e) => e.type),
      ['job_started', 'job_cancelled'],
    );
    assert.deepEqual(outcomeWrites(wp, 7), []);
  });

  it('deleted without a heartbeat noticing: the claim check before publishing stops it', async () => {
    const { wp, source, record } = await claimedVideo();
    const run = await pipeline(
      source,
      tools(async () => void wp.media.delete(7)),
      new Beats(),
    );
    assert.equal(await processVideo(record, run.deps, { signal: new AbortController().signal }), 'cancelled');
    assert.equal(existsSync(path.join(run.root, 'hls', 'wordpress-7')), false, 'nothing published');
    assert.equal(run.ledger.outcomes[0]?.status, 'cancelled');
    assert.deepEqual(outcomeWrites(wp, 7), []);
  });

  it('a job failing for its own reason after the deletion ends cancelled, quietly, without a failure write', async () => {
    const { wp, source, record } = await claimedVideo();
    const failing = tools(async () => {
      wp.media.delete(7);
      throw new AppError('ffmpeg_failed', 'FFmpeg crashed');
    });
    const run = await pipeline(source, failing, new Beats());
    assert.equal(await processVideo(record, run.deps, { signal: new AbortController().signal }), 'cancelled');
    assert.deepEqual([run.ledger.outcomes[0]?.status, run.ledger.outcomes[0]?.errorCode], ['cancelled', 'ffmpeg_failed']);
    assert.deepEqual(
      run.events.map((e) => e.type),
      ['job_started', 'job_cancelled'],
      'no job_failed alert for a video that is gone',
    );
    assert.deepEqual(outcomeWrites(wp, 7), [], 'no failure written to the deleted attachment');
  });
});

describe('JobOperations.recordDeleted (the attachment.deleted notice)', () => {
  async function setup() {
    const hlsDir = path.join(await tempRoot(), 'hls');
    const wordpress = new MemorySource({ kind: 'wordpress' });
    const worker = new FakeWorker();
    const ops = new JobOperations({ sources: [wordpress], worker, events: { emit: () => undefined }, hlsDir, log: silentLogger() });
    const ladder = (key: string) => {
      mkdirSync(path.join(hlsDir, key), { recursive: true });
      writeFileSync(path.join(hlsDir, key, 'master.m3u8'), '#EXTM3U\n');
      return path.join(hlsDir, key);
    };
    const remove = (id: string) => (wordpress.records as Map<string, unknown>).delete(id);
    return { ops, wordpress, worker, ladder, remove };
  }

  it('does nothing while the record still exists (the notice alone is not trusted)', async () => {
    const { ops, wordpress, worker, ladder } = await setup();
    wordpress.add('7', { status: 'completed' });
    const dir = ladder('wordpress-7');
    assert.equal(await ops.recordDeleted('wordpress-7'), 'present');
    assert.ok(existsSync(dir));
    assert.equal(worker.count('abortJob'), 0);
  });

  it('removes the ladder of a record that is gone and not running here', async () => {
    const { ops, wordpress, worker, ladder, remove } = await setup();
    worker.abortResult = false;
    wordpress.add('7', { status: 'completed' });
    const dir = ladder('wordpress-7');
    remove('7');
    assert.equal(await ops.recordDeleted('wordpress-7'), 'ladder_removed');
    assert.equal(existsSync(dir), false);
    assert.equal(await ops.recordDeleted('wordpress-8'), 'absent');
  });

  it('cancels the job this daemon runs, as the operator’s cancel does, and leaves its ladder to the GC', async () => {
    const { ops, worker, ladder } = await setup();
    const dir = ladder('wordpress-9');
    assert.equal(await ops.recordDeleted('wordpress-9'), 'cancelled');
    assert.deepEqual(worker.aborted, [{ key: 'wordpress-9', reason: 'cancelled' }]);
    assert.ok(existsSync(dir));
  });
});
