/**
 * The encode watchdog in the real daemon with real FFmpeg: an FFMPEG_PATH wrapper stops (SIGSTOP)
 * the first ladder encode mid-way; the job fails with encode_stalled after ENCODE_STALL_SECONDS,
 * nothing of it is left behind, and the next job is served.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DaemonEvent } from '../../src/domain/events.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { startServer, type TestServer } from '../helpers/http-fixtures.js';
import { serveFile, startTestDaemon } from '../helpers/test-daemon.js';
import { alive } from '../helpers/process-alive.js';

/**
 * The stall bound of the test. FFmpeg's first progress line comes with the poster frame, a second
 * or so into the encode on an idle machine; on a loaded one it can take longer, and a bound of 2 s
 * then killed the encode before the wrapper stopped it. 5 s leaves the margin.
 */
const STALL_SECONDS = 5;
/** FFmpeg prints its progress line every 0.5 s: the last one came at most this long before the stop. */
const STATS_PERIOD_MS = 500;

/**
 * Runs the real ffmpeg (exec: same pid, so the runner's SIGKILL reaches it). The first HLS run, while
 * `stall-next` exists, reads its input at 4 × real time (its progress advances steadily for a while)
 * and is stopped by a sibling once its fourth segment is being written (a few progress lines in);
 * the sibling writes "<pid> <epoch ms>" to `stopped` just before the SIGSTOP.
 */
function stallingWrapper(dir: string): string {
  return `#!/bin/sh
input=''; prev=''; re=''
for arg in "$@"; do [ "$prev" = '-i' ] && input="$arg"; prev="$arg"; done
case " $* " in
  *' -f hls '*)
    if mv '${dir}/stall-next' '${dir}/stalling' 2>/dev/null; then
      pid=$$; re='-readrate 4'
      out="$(dirname "$input")/out"
      (
        until ls "$out"/*/segment003.ts >/dev/null 2>&1; do sleep 0.05; done
        echo "$pid $(date +%s%3N)" > '${dir}/stopped.tmp' && mv '${dir}/stopped.tmp' '${dir}/stopped'
        kill -STOP "$pid"
      ) </dev/null >/dev/null 2>&1 &
    fi
    ;;
esac
exec ffmpeg $re "$@"
`;
}

/** Resolves with the first event `match` accepts, and when it came. */
function eventWaiter() {
  const waiting: Array<{ match: (e: DaemonEvent) => boolean; resolve: (v: { event: DaemonEvent; at: number }) => void }> = [];
  return {
    sink: {
      emit: (event: DaemonEvent) => {
        for (const w of waiting.filter((x) => x.match(event))) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve({ event, at: Date.now() });
        }
      },
    },
    next: (match: (e: DaemonEvent) => boolean) =>
      new Promise<{ event: DaemonEvent; at: number }>((resolve) => waiting.push({ match, resolve })),
  };
}

const ended = (key: string) => (e: DaemonEvent) => (e.type === 'job_failed' || e.type === 'job_completed') && e.key === key;

describe('encode watchdog in the daemon', () => {
  let dir = '';
  let source: TestServer;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vc-watchdog-'));
    await writeFile(path.join(dir, 'ffmpeg'), stallingWrapper(dir));
    await chmod(path.join(dir, 'ffmpeg'), 0o755);
    // Read at 4 × real time, the stalled encode is still running when the wrapper stops it (~1.5 s in).
    // FFmpeg prints no progress before the poster frame (10 % in), so that must come well within 2 s.
    source = await startServer(serveFile(await makeClip({ width: 320, height: 180, seconds: 20, audio: false })));
  });
  after(async () => {
    await source?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('fails a stopped FFmpeg with encode_stalled, leaves nothing behind, and serves the next job', async (t) => {
    await writeFile(path.join(dir, 'stall-next'), '');
    const events = eventWaiter();
    const vc = await startTestDaemon(
      { FFMPEG_PATH: path.join(dir, 'ffmpeg'), ENCODE_STALL_SECONDS: String(STALL_SECONDS), RETRY_DELAYS: '1h,6h' },
      { events: events.sink },
    );
    try {
      const first = await vc.api('POST', '/api/jobs', { source_url: source.url('/stall.mp4') });
      const firstKey = `local-${first.body.id}`;
      const failed = await events.next(ended(firstKey));
      const stopped = await readFile(path.join(dir, 'stopped'), 'utf8').catch(() =>
        assert.fail(`the job ended before the wrapper stopped its encode: ${JSON.stringify(failed.event)}`),
      );
      const [pid, stoppedAt] = stopped.trim().split(' ').map(Number) as [number, number];

      assert.equal(failed.event.type, 'job_failed', JSON.stringify(failed.event));
      assert.ok(failed.event.type === 'job_failed' && failed.event.code === 'encode_stalled' && !failed.event.final);
      assert.match(
        failed.event.message,
        // On a loaded machine the stop can come before FFmpeg's first progress line was read: either wording is right.
        new RegExp(`no progress for ${STALL_SECONDS} s \\((its output stuck at \\d\\d:\\d\\d:\\d\\d\\.\\d\\d|no output produced yet)\\)`),
      );
      const afterStop = failed.at - stoppedAt;
      t.diagnostic(`encode_stalled ${afterStop} ms after the SIGSTOP`);
      assert.ok(afterStop >= STALL_SECONDS * 1000 - STATS_PERIOD_MS, `failed ${afterStop} ms after the stop: before the stall bound`);
      assert.ok(afterStop < 60_000, `failed ${afterStop} ms after the stop`);
      assert.equal(alive(pid), false, `the stopped ffmpeg (pid ${pid}) was killed`);

      // The second job starts once the first has fully ended (one worker slot): its temp is gone by then.
      const second = await vc.api('POST', '/api/jobs', { source_url: source.url('/next.mp4') });
      const secondKey = `local-${second.body.id}`;
      const done = await events.next(ended(secondKey));
      assert.equal(done.event.type, 'job_completed', JSON.stringify(done.event));
      assert.equal(existsSync(path.join(vc.storageDir, 'temp', firstKey)), false, 'no temp left by the stalled job');
      assert.deepEqual(await readdir(path.join(vc.storageDir, 'hls')), [secondKey], 'no ladder published for the stalled job');
      assert.equal((await fetch(`${vc.baseUrl}/health`)).status, 200);

      const job = (await vc.api('GET', `/api/jobs/${first.body.id}`)).body;
      assert.equal(job.status, 'pending');
      assert.equal(job.retry_count, 1);
      assert.match(job.error, new RegExp(`no progress for ${STALL_SECONDS} s .* — will retry at \\S+ \\(attempt 2 of 3\\)`));
      assert.deepEqual(
        job.attempts.map((a: any) => [a.status, a.error_code]),
        [['retrying', 'encode_stalled']],
      );
    } finally {
      await vc.close();
    }
    assert.deepEqual(await readdir(path.join(vc.storageDir, 'temp')), [], 'temp is empty once the daemon has stopped');
    await rm(vc.storageDir, { recursive: true, force: true });
  });
});
