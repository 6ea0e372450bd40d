import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyFfmpegFailure, parseProgressLine, type FfmpegExitInfo } from '../../src/media/ffmpeg-runner.js';

const EXIT_1: FfmpegExitInfo = { exitCode: 1, signal: null, errno: null };
const KILLED: FfmpegExitInfo = { exitCode: null, signal: 'SIGKILL', errno: null };

describe('classifyFfmpegFailure', () => {
  const mediaCases: Array<[string, string[]]> = [
    [
      'invalid data',
      ['[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55] Format mov detected only with low score', '/tmp/in.mp4: Invalid data found when processing input'],
    ],
    ['missing moov', ['[mov,mp4,m4a,3gp,3g2,mj2 @ 0x5568] moov atom not found', 'in.mp4: Invalid data found when processing input']],
    ['decode error', ['Error while decoding stream #0:0: Invalid data found when processing input']],
    ['corrupt frame', ['[h264 @ 0x1] corrupt decoded frame in stream 0', 'Conversion failed!']],
    ['MB error', ['[h264 @ 0x1] error while decoding MB 12 34, bytestream -5', 'Conversion failed!']],
    ['bad NAL', ['[h264 @ 0x1] Invalid NAL unit size (1234 > 567).', 'Conversion failed!']],
    ['no codec parameters', ['[mpegts @ 0x1] Could not find codec parameters for stream 0 (Video: h264): unspecified size']],
  ];
  for (const [label, tail] of mediaCases) {
    it(`reports a media diagnosis as media_decode_error, not retryable: ${label}`, () => {
      const err = classifyFfmpegFailure(tail, EXIT_1);
      assert.equal(err.code, 'media_decode_error');
      assert.equal(err.retryable, false);
      assert.deepEqual(err.context.logTail, tail);
      assert.equal(err.context.exitCode, 1);
    });
  }

  it('treats a kill by signal as a retryable crash even with decode noise in the log', () => {
    const err = classifyFfmpegFailure(['[h264 @ 0x1] error while decoding MB 1 2'], KILLED);
    assert.equal(err.code, 'ffmpeg_failed');
    assert.equal(err.retryable, true);
    assert.match(err.message, /SIGKILL/);
  });

  it('treats an exit without a diagnosis as ffmpeg_failed', () => {
    const err = classifyFfmpegFailure(['Conversion failed!'], { exitCode: 134, signal: null, errno: null });
    assert.equal(err.code, 'ffmpeg_failed');
    assert.equal(err.retryable, true);
    assert.match(err.message, /134/);
  });

  it('reports a missing binary as ffmpeg_not_found', () => {
    const err = classifyFfmpegFailure([], { exitCode: null, signal: null, errno: 'ENOENT' });
    assert.equal(err.code, 'ffmpeg_not_found');
  });

  it('reports a full disk as insufficient_disk, not retryable', () => {
    const tail = ['[hls @ 0x1] Failed to open file for writing', 'av_interleaved_write_frame(): No space left on device'];
    const err = classifyFfmpegFailure(tail, EXIT_1);
    assert.equal(err.code, 'insufficient_disk');
    assert.equal(err.retryable, false);
  });

  it('keeps the cause', () => {
    const cause = new Error('ffmpeg exited with code 1');
    assert.equal(classifyFfmpegFailure([], EXIT_1, cause).cause, cause);
  });
});

describe('parseProgressLine', () => {
  it('reads out time, percent of the duration and speed', () => {
    const p = parseProgressLine('frame=  150 fps= 48 q=29.0 q=30.0 size=N/A time=00:00:05.00 bitrate=N/A speed=1.61x    ', 20);
    assert.deepEqual(p, { percent: 25, outTimeSeconds: 5, speed: 1.61 });
  });

  it('clamps to 0-100 and tolerates a missing speed', () => {
    assert.equal(parseProgressLine('frame=1 time=01:00:00.00 bitrate=N/A', 60)?.percent, 100);
    assert.deepEqual(parseProgressLine('size=0kB time=-00:00:00.02 bitrate=N/A speed=N/A', 10), {
      percent: 0,
      outTimeSeconds: 0,
      speed: null,
    });
  });

  it('ignores other stderr lines', () => {
    assert.equal(parseProgressLine('[libx264 @ 0x1] using cpu capabilities: MMX2 SSE2Fast', 10), null);
    assert.equal(parseProgressLine('Duration: 00:00:05.00, start: 0.000000, bitrate: 900 kb/s', 10), null);
  });
});
