/**
 * The encode watchdog on a manual clock: nothing here sleeps. The runner cases spawn a stand-in
 * "ffmpeg" (sh) that prints progress and then hangs; the clock decides when the watchdog fires.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppError, ERROR_CATALOG, isAppError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging/logger.js';
import {
  encodeTimeoutMs,
  formatOutTime,
  startEncodeWatchdog,
  type WatchdogClock,
  type WatchdogOptions,
} from '../../src/media/encode-watchdog.js';
import { createFfmpegRunner } from '../../src/media/ffmpeg-runner.js';
import type { FfmpegCommand } from '../../src/media/types.js';

/** Timers that fire only when the test advances the clock, in due order. */
function manualClock(): { clock: WatchdogClock; advance: (ms: number) => void; pending: () => number } {
  let now = 1_000_000;
  const timers = new Set<{ at: number; fn: () => void }>();
  const clock: WatchdogClock = {
    now: () => now,
    setTimer: (ms, fn) => {
      const timer = { at: now + ms, fn };
      timers.add(timer);
      return () => void timers.delete(timer);
    },
  };
  const advance = (ms: number): void => {
    const end = now + ms;
    for (;;) {
      const due = [...timers].filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      timers.delete(due);
      now = due.at;
      due.fn();
    }
    now = end;
  };
  return { clock, advance, pending: () => timers.size };
}

const LIMITS = { stallSeconds: 300, timeoutFactor: 10 };

function watchdog(options: Partial<WatchdogOptions> = {}) {
  const manual = manualClock();
  const dog = startEncodeWatchdog({ limits: LIMITS, durationSeconds: 120, clock: manual.clock, ...options });
  return { ...manual, dog, error: () => dog.signal.reason as AppError };
}

describe('encode watchdog', () => {
  it('kills a run that never reports progress after stallSeconds, counted from the start', () => {
    const { dog, advance, error } = watchdog({ logTail: () => ['last words'] });
    advance(299_999);
    assert.equal(dog.signal.aborted, false);
    advance(1);
    assert.ok(isAppError(error(), 'encode_stalled'));
    assert.equal(error().retryable, true);
    assert.match(error().message, /no progress for 300 s \(no output produced yet\)/);
    assert.deepEqual(error().context.logTail, ['last words'], 'the attempt keeps FFmpeg’s last lines');
  });

  it('re-arms the stall timer on every advance of the output time, and only on an advance', () => {
    const { dog, advance, error } = watchdog({ durationSeconds: 3600 });
    for (let t = 1; t <= 5; t += 1) {
      advance(200_000);
      dog.progress(t * 10);
    }
    assert.equal(dog.signal.aborted, false, '1000 s in, yet never 300 s without progress');
    advance(100_000);
    dog.progress(50);
    dog.progress(49.5);
    advance(199_999);
    assert.equal(dog.signal.aborted, false);
    advance(1);
    assert.ok(isAppError(error(), 'encode_stalled'), 'a repeated or smaller time is no progress');
    assert.match(error().message, /output stuck at 00:00:50\.00/);
    assert.equal(error().context.lastOutTimeSeconds, 50);
  });

  it('does not count a time of 0 (before the first frame) as progress', () => {
    const { dog, advance, error } = watchdog();
    advance(150_000);
    dog.progress(0);
    advance(150_000);
    assert.ok(isAppError(error(), 'encode_stalled'));
  });

  it('kills a run longer than factor × duration + 60 s, however steady its progress', () => {
    const { dog, advance, error } = watchdog({ durationSeconds: 30 });
    assert.equal(encodeTimeoutMs(LIMITS, 30), 360_000);
    for (let t = 1; t < 36; t += 1) {
      advance(10_000);
      dog.progress(t * 0.8);
    }
    assert.equal(dog.signal.aborted, false);
    advance(10_000);
    assert.ok(isAppError(error(), 'encode_timeout'));
    assert.equal(error().retryable, true);
    assert.match(error().message, /longer than 360 s \(10 × the 30 s source \+ 60 s\) and was killed at 00:00:28\.00 of output/);
  });

  it('is disarmed by stop() and fires once at most', () => {
    const stopped = watchdog();
    stopped.dog.stop();
    assert.equal(stopped.pending(), 0);
    stopped.advance(10_000_000);
    assert.equal(stopped.dog.signal.aborted, false);

    const fired = watchdog();
    fired.advance(300_000);
    assert.equal(fired.pending(), 0, 'the timeout is cleared when the stall fires');
    assert.ok(isAppError(fired.error(), 'encode_stalled'));
  });

  it('writes out times as FFmpeg does', () => {
    assert.equal(formatOutTime(83.5), '00:01:23.50');
    assert.equal(formatOutTime(3599.999), '01:00:00.00');
    assert.equal(formatOutTime(-1), '00:00:00.00');
  });

  it('has both codes in the catalog as retryable (they follow RETRY_DELAYS)', () => {
    assert.equal(ERROR_CATALOG.encode_stalled.retryable, true);
    assert.equal(ERROR_CATALOG.encode_timeout.retryable, true);
  });
});

describe('FFmpeg runner with the watchdog', () => {
  let dir = '';
  let fakeFfmpeg = '';
  const CMD: FfmpegCommand = { input: 'in.mp4', inputOptions: [], filterComplex: null, outputs: [{ path: 'out.m3u8', options: [] }] };
  const pidFile = () => path.join(dir, 'pid');

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vc-watchdog-'));
    fakeFfmpeg = path.join(dir, 'ffmpeg');
    // One progress line, then hang (exec: the pid the runner kills is the one that hangs).
    const progress = 'frame=   30 fps=0.0 q=28.0 size=N/A time=00:00:01.00 bitrate=N/A speed=2.0x';
    await writeFile(fakeFfmpeg, `#!/bin/sh\necho $$ > '${pidFile()}'\necho '${progress}' >&2\nexec sleep 120\n`);
    await chmod(fakeFfmpeg, 0o755);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** Starts a run; resolves `progressed` once the runner has seen the progress line. */
  function start(signal?: AbortSignal) {
    const manual = manualClock();
    const runner = createFfmpegRunner({
      ffmpegPath: fakeFfmpeg,
      log: silentLogger(),
      watchdog: { stallSeconds: 5, timeoutFactor: 10 },
      clock: manual.clock,
    });
    let progressed: () => void = () => undefined;
    const seen = new Promise<void>((resolve) => (progressed = resolve));
    const run = runner.run(CMD, { durationSeconds: 10, signal, onProgress: () => progressed() });
    return { ...manual, run, seen };
  }

  it('kills a stalled FFmpeg (no process left) and rejects with encode_stalled', async () => {
    const { run, seen, advance, pending } = start();
    await seen;
    advance(5_000);
    await assert.rejects(run, (err: unknown) => isAppError(err, 'encode_stalled') && /stuck at 00:00:01\.00/.test(err.message));
    const pid = Number(await readFile(pidFile(), 'utf8'));
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'the hung process is gone');
    assert.equal(pending(), 0, 'the watchdog is disarmed once the run has ended');
  });

  it('lets an abort of the caller’s signal win with its own reason, even after the watchdog fired', async () => {
    const outer = new AbortController();
    const { run, seen, advance } = start(outer.signal);
    await seen;
    advance(5_000);
    // The watchdog has asked for the kill; the caller aborts before FFmpeg has exited.
    outer.abort(new AppError('shutdown', 'The daemon is shutting down.'));
    await assert.rejects(run, (err: unknown) => isAppError(err, 'shutdown'));

    const first = new AbortController();
    const second = start(first.signal);
    await second.seen;
    first.abort(new AppError('cancelled', 'The job was cancelled.'));
    second.advance(60_000);
    await assert.rejects(second.run, (err: unknown) => isAppError(err, 'cancelled'));
  });
});
