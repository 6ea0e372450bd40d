import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging/logger.js';
import type { TranscodeOutput, VideoInfo } from '../../src/media/types.js';
import type { DaemonEvent } from '../../src/domain/events.js';
import type { JobLedger, AttemptOutcome, AttemptStart } from '../../src/domain/attempt.js';
import { processVideo, type PipelineTools, type ProcessVideoDeps } from '../../src/pipeline/process-video.js';
import type { PipelineTimers } from '../../src/pipeline/timers.js';
import type { CmsSource } from '../../src/sources/cms-source.js';
import { MemorySource } from '../fakes/memory-source.js';
import { FAKE_SOURCE_INFO, fakeLadder } from '../helpers/fake-ladder.js';

const INFO: VideoInfo = FAKE_SOURCE_INFO;

class FakeLedger implements JobLedger {
  readonly outcomes: AttemptOutcome[] = [];
  readonly starts: AttemptStart[] = [];
  async start(entry: AttemptStart): Promise<number> {
    this.starts.push(entry);
    return this.starts.length;
  }
  async finish(_id: number, outcome: AttemptOutcome): Promise<void> {
    this.outcomes.push(outcome);
  }
}

/**
 * The pipeline's timers on a manual clock: the heartbeat beats when the test says so, and a
 * write-back pause moves the clock on at once (telling `onSleep`).
 */
class ManualTimers implements PipelineTimers {
  readonly sleeps: number[] = [];
  onSleep: () => void = () => undefined;
  private readonly intervals = new Set<() => void>();

  constructor(private readonly clock: { ms: number }) {}

  readonly every = (_ms: number, fn: () => void): (() => void) => {
    this.intervals.add(fn);
    return () => void this.intervals.delete(fn);
  };

  readonly sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.clock.ms += ms;
    this.onSleep();
  };

  /** One period of every running interval passes. */
  beat(): void {
    for (const fn of this.intervals) fn();
  }
}

/** Tools that write a tiny fake ladder; `fail` makes a given step throw. */
function fakeTools(
  fail: Partial<Record<'download' | 'probe' | 'transcode', Error>> = {},
  hooks: { duringTranscode?: (signal: AbortSignal) => Promise<void> } = {},
): PipelineTools {
  return {
    download: async ({ destPath }) => {
      if (fail.download) throw fail.download;
      await writeFile(destPath, 'x');
      return { bytes: 1 };
    },
    probe: async () => {
      if (fail.probe) throw fail.probe;
      return INFO;
    },
    transcode: async ({ outDir, signal, onProgress }): Promise<TranscodeOutput> => {
      // The files first, as FFmpeg writes them: a failure or an abort later leaves them for the clean-up.
      const output = await fakeLadder(outDir);
      onProgress({ percent: 50, outTimeSeconds: 3, speed: 2 });
      await hooks.duringTranscode?.(signal);
      signal.throwIfAborted();
      if (fail.transcode) throw fail.transcode;
      return output;
    },
  };
}

async function setup(tools: PipelineTools, overrides: Partial<ProcessVideoDeps['config']> = {}) {
  const root = await mkdtemp(path.join(tmpdir(), 'vc-pv-'));
  const clock = { ms: Date.parse('2026-11-23T12:00:00.000Z') };
  const timers = new ManualTimers(clock);
  const source = new MemorySource({ workerId: 'w:1', now: () => new Date(clock.ms) });
  const ledger = new FakeLedger();
  const events: DaemonEvent[] = [];
  const deps: ProcessVideoDeps = {
    source,
    ledger,
    tools,
    events: { emit: (event) => events.push(event) },
    config: {
      workerId: 'w:1',
      tempDir: path.join(root, 'temp'),
      hlsDir: path.join(root, 'hls'),
      publicBaseUrl: 'https://cdn.example.com',
      heartbeatMs: 60_000,
      retryDelaysMs: [0, 3_600_000, 21_600_000],
      diskSpaceFactor: 3,
      ...overrides,
    },
    log: silentLogger(),
    now: () => new Date(clock.ms),
    timers,
  };
  const record = (await source.claim(source.add('abc'), 'w:1'))!;
  return { root, source, ledger, deps, record, events, timers, clock };
}

describe('processVideo', () => {
  it('publishes the ladder, writes the public URLs back and removes temp', async () => {
    const { root, source, ledger, deps, record, events } = await setup(fakeTools());
    const steps: string[] = [];
    const outcome = await processVideo(record, deps, { signal: new AbortController().signal, onProgress: (p) => steps.push(p.step) });
    assert.equal(outcome, 'completed');
    const stored = source.get('abc');
    assert.equal(stored.status, 'completed');
    assert.equal(stored.result?.hlsUrl, 'https://cdn.example.com/storage/hls/local-abc/master.m3u8');
    assert.equal(stored.result?.posterUrl, 'https://cdn.example.com/storage/hls/local-abc/poster.jpg');
    assert.equal(stored.result?.renditions[0]?.playlistUrl, 'https://cdn.example.com/storage/hls/local-abc/medium/playlist.m3u8');
    assert.equal(stored.result?.outputBytes, 1234);
    assert.equal(stored.result?.width, 1280);
    assert.ok(existsSync(path.join(root, 'hls', 'local-abc', 'master.m3u8')));
    assert.deepEqual(await readdir(path.join(root, 'temp')), []);
    assert.deepEqual([...new Set(steps)], ['downloading', 'probing', 'transcoding', 'publishing', 'updating']);
    assert.equal(ledger.outcomes[0]?.status, 'completed');
    assert.deepEqual(ledger.outcomes[0]?.logTail, ['frame=1']);
    assert.deepEqual(
      events.map((e) => e.type),
      ['job_started', 'job_completed'],
    );
  });

  it("hands the record's own ladder to the transcode, and records when the job became due", async () => {
    let asked: readonly string[] | undefined;
    const tools = fakeTools();
    const { source, deps, ledger, clock } = await setup({ ...tools, transcode: (o) => ((asked = o.ladder), tools.transcode(o)) });
    // Created at 12:00, failed once, due again at 13:00 and claimed at 14:00.
    const listed = source.add('sel', { ladder: ['low'], nextAttemptAt: '2026-11-23T13:00:00.000Z' });
    clock.ms += 2 * 3_600_000;
    const record = (await source.claim(listed, 'w:1'))!;
    assert.equal(await processVideo(record, deps, { signal: new AbortController().signal }), 'completed');
    assert.deepEqual(asked, ['low']);
    assert.equal(ledger.starts.at(-1)?.queuedAt, '2026-11-23T13:00:00.000Z', 'its retry time, not its creation');
  });

  it('fails a permanent error for good, with a clear message and no retry', async () => {
    const { root, source, ledger, deps, record } = await setup(
      fakeTools({ download: new AppError('source_not_found', 'The source URL answered 404 Not Found') }),
    );
    assert.equal(await processVideo(record, deps, { signal: new AbortController().signal }), 'failed');
    const failure = source.get('abc').failure;
    assert.equal(failure?.status, 'failed');
    assert.equal(failure?.errorCode, 'source_not_found');
    assert.equal(failure?.retryCount, 0);
    assert.equal(failure?.nextAttemptAt, null);
    assert.match(failure?.error ?? '', /404 Not Found — failed permanently: not retryable/);
    assert.deepEqual(await readdir(path.join(root, 'temp')), []);
    assert.equal(existsSync(path.join(root, 'hls', 'local-abc')), false);
    assert.equal(ledger.outcomes[0]?.status, 'failed');
  });

  it('schedules a retryable error at the next poll', async () => {
    const { source, ledger, deps, record, events } = await setup(
      fakeTools({ transcode: new AppError('ffmpeg_failed', 'ffmpeg was killed by SIGSEGV') }),
    );
    assert.equal(await processVideo(record, deps, { signal: new AbortController().signal }), 'retrying');
    const failure = source.get('abc').failure;
    assert.equal(failure?.status, 'pending');
    assert.equal(failure?.retryCount, 1);
    assert.equal(failure?.nextAttemptAt, '2026-11-23T12:00:00.000Z');
    assert.match(failure?.error ?? '', /will retry at 2026-11-23T12:00:00.000Z \(attempt 2 of 4\)/);
    assert.equal(ledger.outcomes[0]?.status, 'retrying');
    assert.deepEqual(
      events.map((e) => e.type),
      ['job_started', 'job_failed', 'worker_crashed'],
    );
    assert.equal(events[1]?.type === 'job_failed' && events[1].final, false);
  });

  it('fails with insufficient_disk before transcoding when space is short', async () => {
    const tools = fakeTools();
    let transcoded = false;
    const original = tools.transcode.bind(tools);
    tools.transcode = (o) => {
      transcoded = true;
      return original(o);
    };
    const { source, deps, record, events } = await setup(tools, { diskSpaceFactor: 1e15 });
    assert.equal(await processVideo(record, deps, { signal: new AbortController().signal }), 'failed');
    assert.equal(source.get('abc').failure?.errorCode, 'insufficient_disk');
    assert.deepEqual(
      events.map((e) => e.type),
      ['job_started', 'job_failed', 'disk_full'],
    );
    assert.equal(transcoded, false);
  });

  it('releases the record without counting an attempt on shutdown', async () => {
    const controller = new AbortController();
    const tools = fakeTools({}, { duringTranscode: async () => controller.abort(new AppError('shutdown', 'stopping')) });
    const { root, source, ledger, deps, record } = await setup(tools);
    assert.equal(await processVideo(record, deps, { signal: controller.signal }), 'released');
    assert.equal(source.get('abc').status, 'pending');
    assert.equal(source.get('abc').retryCount, 0);
    assert.ok(source.calls.includes('release:abc'));
    assert.equal(
      source.calls.some((c) => c.startsWith('fail:')),
      false,
    );
    assert.deepEqual(await readdir(path.join(root, 'temp')), []);
    assert.equal(ledger.outcomes[0]?.status, 'released');
  });

  it('stops when the heartbeat learns the record was cancelled, and writes nothing', async () => {
    const holder: { source?: MemorySource; timers?: ManualTimers } = {};
    const tools = fakeTools(
      {},
      {
        duringTranscode: async (signal) => {
          // Cancelled from the API while FFmpeg runs; the next beat finds out and aborts the encode.
          await holder.source!.cancel('abc');
          assert.equal(signal.aborted, false);
          holder.timers!.beat();
          if (!signal.aborted) await once(signal, 'abort');
        },
      },
    );
    const { source, deps, record, timers, events } = await setup(tools, { heartbeatMs: 10 });
    Object.assign(holder, { source, timers });
    assert.equal(await processVideo(record, deps, { signal: new AbortController().signal }), 'cancelled');
    assert.equal(source.get('abc').status, 'cancelled');
    assert.deepEqual(
      events.map((e) => e.type),
      ['job_started', 'job_cancelled'],
      'the worker that stopped the job reports the cancel, once',
    );
    assert.equal(
      source.calls.some((c) => c.startsWith('complete:') || c.startsWith('fail:')),
      false,
    );
  });

  it('fails for good, without downloading, a video whose worker died on every attempt', async () => {
    let downloaded = false;
    const tools = fakeTools();
    tools.download = async () => {
      downloaded = true;
      return { bytes: 1 };
    };
    const { source, deps } = await setup(tools);
    // Four reclaimed leases: more than the three retries of the schedule.
    const record = { ...(await source.claim(source.add('poison'), 'w:1'))!, retryCount: 4 };
    assert.equal(await processVideo(record, deps, { signal: new AbortController().signal }), 'failed');
    assert.equal(downloaded, false);
    const failure = source.get('poison').failure;
    assert.equal(failure?.errorCode, 'worker_lost');
    assert.equal(failure?.status, 'failed');
    assert.match(failure?.error ?? '', /Abandoned after 4 interrupted attempts/);
  });

  it('does not throw when the CMS is down at write-back: the lease will expire', async () => {
    const { source, ledger, deps, record } = await setup(fakeTools());
    source.failWrites = new AppError('cms_error', 'CMS unreachable');
    assert.equal(await processVideo(record, deps, { signal: new AbortController().signal }), 'released');
    assert.equal(source.get('abc').status, 'processing');
    assert.equal(ledger.outcomes[0]?.status, 'released');
  });

  it('retries the result write-back while the CMS is unreachable, within writeBackRetryMs', async () => {
    const { source, ledger, deps, record, timers, clock } = await setup(fakeTools(), { writeBackRetryMs: 10_000 });
    source.failWrites = new AppError('cms_error', 'CMS unreachable');
    // The CMS comes back 1.2 s later: the published ladder is written back, not re-encoded later.
    const back = clock.ms + 1200;
    timers.onSleep = () => {
      if (clock.ms >= back) source.failWrites = null;
    };
    assert.equal(await processVideo(record, deps, { signal: new AbortController().signal }), 'completed');
    assert.equal(source.get('abc').status, 'completed');
    assert.ok(source.calls.filter((c) => c === 'complete:abc').length >= 2, source.calls.join(' '));
    assert.deepEqual(timers.sleeps, [500, 1000], 'short pauses, tried again as soon as the CMS answered');
    assert.equal(ledger.outcomes[0]?.status, 'completed');
  });

  it('gives the write-back up once writeBackRetryMs has passed: the lease will expire', async () => {
    const { source, ledger, deps, record, timers } = await setup(fakeTools(), { writeBackRetryMs: 10_000 });
    source.failWrites = new AppError('cms_error', 'CMS unreachable');
    assert.equal(await processVideo(record, deps, { signal: new AbortController().signal }), 'released');
    assert.deepEqual(timers.sleeps, [500, 1000, 2000, 5000], 'no pause would end past the 10 s');
    assert.equal(source.calls.filter((c) => c === 'complete:abc').length, 5);
    assert.equal(source.get('abc').status, 'processing');
    assert.equal(ledger.outcomes[0]?.status, 'released');
  });

  it('confirms the claim right before publishing (again after a CMS blip)', async () => {
    const { root, source, deps, record, timers } = await setup(fakeTools(), { writeBackRetryMs: 10_000 });
    const published: boolean[] = [];
    (source as CmsSource).confirmClaim = async () => {
      published.push(existsSync(path.join(root, 'hls', 'local-abc')));
      if (published.length === 1) throw new AppError('cms_error', 'CMS unreachable');
    };
    assert.equal(await processVideo(record, deps, { signal: new AbortController().signal }), 'completed');
    assert.deepEqual(published, [false, false], 'asked twice, both times before the ladder was published');
    assert.deepEqual(timers.sleeps, [500]);
  });

  it('publishes nothing and writes nothing back when the CMS gave the record to another worker', async () => {
    const { root, source, ledger, deps, record } = await setup(fakeTools());
    (source as CmsSource).confirmClaim = async () => {
      throw new AppError('lease_expired', 'its claim token was replaced');
    };
    assert.equal(await processVideo(record, deps, { signal: new AbortController().signal }), 'released');
    assert.equal(existsSync(path.join(root, 'hls', 'local-abc')), false, 'the winner’s ladder is not replaced');
    assert.deepEqual(
      source.calls.filter((c) => /^(complete|fail|release):/.test(c)),
      [],
    );
    assert.deepEqual([ledger.outcomes[0]?.status, ledger.outcomes[0]?.errorCode], ['released', 'lease_expired']);
    assert.deepEqual(await readdir(path.join(root, 'temp')), []);
  });
});
