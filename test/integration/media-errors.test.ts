/** Real FFmpeg/ffprobe: bad sources are classified with the right codes, and aborts leave no process behind. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { AppError, isAppError, type ErrorCode } from '../../src/errors.js';
import { silentLogger } from '../../src/logging/logger.js';
import { createFfmpegRunner, type FfmpegRunner } from '../../src/media/ffmpeg-runner.js';
import { probe } from '../../src/media/ffprobe.js';
import { buildHlsCommand } from '../../src/media/hls-command.js';
import { planLadder } from '../../src/media/ladder.js';
import { transcodeLadder } from '../../src/media/transcode.js';
import type { MediaConfig } from '../../src/config/config.js';
import {
  FFMPEG,
  FFPROBE,
  makeAudioOnly,
  makeClip,
  makeHtmlFile,
  makeImage,
  makeTruncatedMp4,
  makeZeroByte,
  testMediaConfig,
} from '../helpers/media-fixtures.js';

const log = silentLogger();
const realRunner = createFfmpegRunner({ ffmpegPath: FFMPEG, log });
/** For sources that must be rejected before any encode starts. */
const refusingRunner: FfmpegRunner = {
  run: () => Promise.reject(new Error('the encoder must not run for a rejected source')),
};

let root = '';
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'vc-media-errors-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function transcodeError(
  input: string,
  options: { media?: MediaConfig; runner?: FfmpegRunner; signal?: AbortSignal; onProgress?: () => void } = {},
): Promise<unknown> {
  const outDir = path.join(root, `out-${Math.random().toString(36).slice(2)}`);
  try {
    await transcodeLadder({
      input,
      outDir,
      media: options.media ?? testMediaConfig(),
      runner: options.runner ?? refusingRunner,
      log,
      signal: options.signal,
      onProgress: options.onProgress,
    });
  } catch (err) {
    return err;
  }
  assert.fail('transcodeLadder resolved for a bad source');
}

function assertCode(err: unknown, codes: ErrorCode[], retryable = false): AppError {
  assert.ok(err instanceof AppError, `not an AppError: ${String(err)}`);
  assert.ok(codes.includes(err.code), `code ${err.code}, expected ${codes.join(' or ')}: ${err.message}`);
  assert.equal(err.retryable, retryable);
  return err;
}

describe('bad sources', () => {
  it('an MP4 truncated before its moov atom is corrupt, not retryable', async () => {
    assertCode(await transcodeError(await makeTruncatedMp4()), ['corrupt_source']);
  });

  it('an MP4 truncated after its index fails as a decode error once FFmpeg reports the partial file', async () => {
    const err = assertCode(await transcodeError(await makeTruncatedMp4({ indexFirst: true }), { runner: realRunner }), [
      'media_decode_error',
    ]);
    assert.ok(Array.isArray(err.context.logTail));
  });

  it('audio only has no video stream', async () => {
    assertCode(await transcodeError(await makeAudioOnly()), ['no_video_stream']);
  });

  for (const format of ['png', 'jpg'] as const) {
    it(`a ${format} image has no video stream`, async () => {
      assertCode(await transcodeError(await makeImage(format)), ['no_video_stream']);
    });
  }

  it('an HTML page is not a media container', async () => {
    assertCode(await transcodeError(await makeHtmlFile()), ['invalid_format']);
  });

  it('a zero-byte file is not a media container', async () => {
    assertCode(await transcodeError(await makeZeroByte()), ['invalid_format']);
  });

  it('rejects a duration outside the limits and says which', async () => {
    const clip = await makeClip({ width: 320, height: 240 });
    const err = assertCode(await transcodeError(clip, { media: testMediaConfig({ minDurationSeconds: 10 }) }), ['duration_out_of_range']);
    assert.match(err.message, /5\.\d+ s.*10 s.*86400 s/);
  });

  it('rejects a frame larger than allowed', async () => {
    const clip = await makeClip({ width: 320, height: 240 });
    assertCode(await transcodeError(clip, { media: testMediaConfig({ maxPixels: 320 * 200 }) }), ['dimensions_out_of_range']);
  });
});

describe('missing binaries', () => {
  it('reports a missing ffprobe as ffmpeg_not_found (retryable)', async () => {
    const clip = await makeClip({ width: 320, height: 240 });
    await assert.rejects(
      probe(clip, { ffprobePath: '/nonexistent/ffprobe' }),
      (err) => isAppError(err, 'ffmpeg_not_found') && err.retryable,
    );
  });

  it('reports a missing ffmpeg as ffmpeg_not_found (retryable)', async () => {
    const clip = await makeClip({ width: 320, height: 240 });
    const info = await probe(clip, { ffprobePath: FFPROBE });
    const plan = planLadder(info, testMediaConfig());
    const cmd = buildHlsCommand({ input: clip, outDir: path.join(root, 'never'), plan, preset: 'veryfast', threads: 0 });
    const runner = createFfmpegRunner({ ffmpegPath: '/nonexistent/ffmpeg', log });
    await assert.rejects(
      runner.run(cmd, { durationSeconds: info.durationSeconds }),
      (err) => isAppError(err, 'ffmpeg_not_found') && err.retryable,
    );
  });
});

const exec = promisify(execFile);

/** PIDs of processes whose command line mentions `needle`. */
async function processesMatching(needle: string): Promise<string[]> {
  try {
    const { stdout } = await exec('pgrep', ['-f', needle]);
    return stdout.split('\n').filter(Boolean);
  } catch (err) {
    if ((err as { code?: number }).code === 1) return []; // pgrep: nothing matched
    throw err;
  }
}

describe('abort', () => {
  it('kills FFmpeg mid-encode and rejects with the given reason, leaving no process', async () => {
    const clip = await makeClip({ width: 1280, height: 720, seconds: 12 });
    const outDir = path.join(root, 'aborted-encode');
    const controller = new AbortController();
    const reason = new AppError('shutdown', 'The daemon is shutting down.');
    let lastPercent = 0;
    let whileRunning: Promise<string[]> | null = null;
    const started = transcodeLadder({
      input: clip,
      outDir,
      media: testMediaConfig(),
      runner: realRunner,
      log,
      signal: controller.signal,
      onProgress: (p) => {
        lastPercent = p.percent;
        // Look for the process first (proves the pgrep check can see it), then abort.
        if (p.percent > 0 && whileRunning === null) {
          whileRunning = processesMatching(outDir).finally(() => controller.abort(reason));
        }
      },
    });
    await assert.rejects(started, (err) => err === reason);
    assert.ok(lastPercent > 0 && lastPercent < 100, `aborted at ${lastPercent}%`);
    assert.equal((await (whileRunning ?? Promise.resolve([]))).length, 1, 'ffmpeg was running before the abort');
    assert.deepEqual(await processesMatching(outDir), []);
  });

  it('rejects with AppError cancelled when the reason is not an Error, without spawning FFmpeg', async () => {
    const clip = await makeClip({ width: 320, height: 240 });
    const info = await probe(clip, { ffprobePath: FFPROBE });
    const outDir = path.join(root, 'aborted-before');
    const cmd = buildHlsCommand({ input: clip, outDir, plan: planLadder(info, testMediaConfig()), preset: 'veryfast', threads: 0 });
    const controller = new AbortController();
    controller.abort('user clicked cancel');
    await assert.rejects(realRunner.run(cmd, { durationSeconds: info.durationSeconds, signal: controller.signal }), (err) =>
      isAppError(err, 'cancelled'),
    );
    assert.deepEqual(await processesMatching(outDir), []);
  });
});
