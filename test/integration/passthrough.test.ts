/**
 * Real FFmpeg: top-rung passthrough (copied video, aligned key frames across rungs), the sources
 * that must be encoded instead, and the libx264 fallback when a hardware encoder fails.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { silentLogger } from '../../src/logging/logger.js';
import { createFfmpegRunner } from '../../src/media/ffmpeg-runner.js';
import { probe } from '../../src/media/ffprobe.js';
import { planLadder } from '../../src/media/ladder.js';
import { planPassthrough, transcodeLadder, type MediaWarning } from '../../src/media/transcode.js';
import type { TranscodeOutput } from '../../src/media/types.js';
import { FFMPEG, FFPROBE, ffprobeJson, makeClip, testMediaConfig, type ClipSpec } from '../helpers/media-fixtures.js';
import { firstStream } from '../helpers/viewer-measures.js';

const run = promisify(execFile);
const MEDIA = testMediaConfig({ segmentSeconds: 2 });
/** 720p, closed 2 s GOPs, under the 720p rung's 3000 kb/s cap: eligible. */
const ELIGIBLE: ClipSpec = { width: 1280, height: 720, gop: 60, maxrateKbps: 2000 };

function recordingLog(): { log: ReturnType<typeof silentLogger>; messages: Array<Record<string, unknown>> } {
  const messages: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void messages.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, messages };
}

async function decodedMd5(input: string): Promise<string> {
  const { stdout } = await run(FFMPEG, ['-v', 'error', '-i', input, '-map', '0:v:0', '-f', 'md5', '-'], { maxBuffer: 1024 * 1024 });
  return stdout.trim();
}

async function segmentStarts(dir: string): Promise<Array<{ pts: number; key: boolean }>> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ts')).sort();
  const starts: Array<{ pts: number; key: boolean }> = [];
  for (const f of files) {
    const raw = (await ffprobeJson([
      '-select_streams',
      'v:0',
      '-read_intervals',
      '%+#1',
      '-show_entries',
      'packet=pts_time,flags',
      path.join(dir, f),
    ])) as { packets: Array<{ pts_time: string; flags: string }> };
    const first = raw.packets[0];
    starts.push({ pts: Number(first?.pts_time), key: first?.flags.startsWith('K') === true });
  }
  return starts;
}

const extinfs = async (file: string): Promise<string[]> =>
  (await readFile(file, 'utf8')).split('\n').filter((l) => l.startsWith('#EXTINF:'));

describe('top-rung passthrough', () => {
  let out: string;
  let result: TranscodeOutput;
  const recorded = recordingLog();
  before(async () => {
    out = await mkdtemp(path.join(os.tmpdir(), 'vc-passthrough-'));
    const input = await makeClip(ELIGIBLE);
    const runner = createFfmpegRunner({ ffmpegPath: FFMPEG, log: silentLogger() });
    result = await transcodeLadder({ input, outDir: out, media: MEDIA, runner, log: recorded.log });
  });
  after(() => rm(out, { recursive: true, force: true }));

  it('stream-copies the top rung: its decoded video is bit-identical to the source', async () => {
    assert.ok(recorded.messages.some((m) => m.msg === 'top rung stream-copied'));
    const { copied, reason } = result.topRung;
    assert.deepEqual({ copied, reason }, { copied: true, reason: 'eligible' });
    assert.equal(result.topRung.copied ? result.topRung.keyframeTimes.length : 0, 3, 'one key frame per 2 s segment of the 5 s clip');
    assert.equal(await decodedMd5(path.join(out, 'medium', 'playlist.m3u8')), await decodedMd5(await makeClip(ELIGIBLE)));
  });

  it('keeps every rung on the same segment boundaries, each segment starting on a key frame', async () => {
    assert.deepEqual(await extinfs(path.join(out, 'low', 'playlist.m3u8')), await extinfs(path.join(out, 'medium', 'playlist.m3u8')));
    const [high, low] = [await segmentStarts(path.join(out, 'medium')), await segmentStarts(path.join(out, 'low'))];
    assert.equal(high.length, 3);
    assert.deepEqual(
      low.map((s) => s.pts.toFixed(3)),
      high.map((s) => s.pts.toFixed(3)),
    );
    assert.ok([...high, ...low].every((s) => s.key));
  });

  it('writes the master from the segments as usual (the copied rung declares the source profile)', async () => {
    const master = await readFile(path.join(out, 'master.m3u8'), 'utf8');
    assert.match(master, /CODECS="avc1\.42e0[0-9a-f]{2},mp4a\.40\.2"[^\n]*\nmedium\/playlist\.m3u8/);
  });

  it('tags the copied rung BT.709 like the encoded ones (the untagged source says nothing)', async () => {
    const source = await firstStream(await makeClip(ELIGIBLE), 'video');
    assert.equal(source.color_primaries, undefined);
    for (const rung of ['medium', 'low']) {
      const v = await firstStream(path.join(out, rung, 'segment000.ts'), 'video');
      assert.deepEqual([v.color_primaries, v.color_transfer, v.color_space, v.color_range], ['bt709', 'bt709', 'bt709', 'tv'], rung);
    }
  });
});

describe('top-rung passthrough, video starting 0.1 s after the audio', () => {
  it('counts the key-frame times from the container start, so the rungs still align', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'vc-passthrough-late-'));
    try {
      const late = path.join(out, 'late.mp4');
      await run(FFMPEG, [
        '-v',
        'error',
        '-y',
        '-itsoffset',
        '0.1',
        '-i',
        await makeClip({ ...ELIGIBLE, audio: false }),
        '-f',
        'lavfi',
        '-i',
        'sine=duration=5',
        '-map',
        '0:v',
        '-map',
        '1:a',
        '-c:v',
        'copy',
        '-c:a',
        'aac',
        late,
      ]);
      const { log, messages } = recordingLog();
      const runner = createFfmpegRunner({ ffmpegPath: FFMPEG, log: silentLogger() });
      await transcodeLadder({ input: late, outDir: path.join(out, 'ladder'), media: MEDIA, runner, log });
      assert.ok(messages.some((m) => m.msg === 'top rung stream-copied'));
      const [high, low] = [await segmentStarts(path.join(out, 'ladder', 'medium')), await segmentStarts(path.join(out, 'ladder', 'low'))];
      assert.ok(high.length >= 3);
      // The cuts align; only the very start differs: the fps filter fills the encoded rungs from
      // the container start (0) by repeating the first frame, the copy starts with the video (0.1 s).
      assert.deepEqual(
        low.slice(1).map((x) => x.pts.toFixed(3)),
        high.slice(1).map((x) => x.pts.toFixed(3)),
      );
      assert.ok([...high, ...low].every((x) => x.key));
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('sources that are encoded, not copied', () => {
  const cases: Array<[string, ClipSpec, RegExp]> = [
    ['HEVC', { width: 1280, height: 720, codec: 'hevc' }, /codec hevc/],
    ['10-bit H.264', { width: 1280, height: 720, gop: 60, maxrateKbps: 2000, pixFmt: 'yuv420p10le' }, /pixel format yuv420p10le/],
    ['GOP longer than a segment', { width: 1280, height: 720, gop: 150, maxrateKbps: 2000 }, /key frames up to 5\.00 s apart/],
    ['open GOP with B-frames', { width: 1280, height: 720, gop: 60, maxrateKbps: 2000, x264Params: 'bframes=3:open-gop=1' }, /open GOP/],
    ['over the rung cap', { width: 1280, height: 720, gop: 60 }, /average \d+ kb\/s over the cap 3000/],
  ];
  for (const [label, clip, reason] of cases) {
    it(label, async () => {
      const input = await makeClip(clip);
      const info = await probe(input, { ffprobePath: FFPROBE });
      const { log, messages } = recordingLog();
      const decision = await planPassthrough(input, info, planLadder(info, MEDIA), { ffprobePath: FFPROBE }, log);
      assert.equal(decision.copied, false);
      assert.match(decision.reason, reason);
      assert.match(String(messages.find((m) => m.msg === 'top rung encoded')?.reason), reason);
    });
  }

  it('PASSTHROUGH=off encodes an eligible source', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'vc-passthrough-off-'));
    try {
      const input = await makeClip(ELIGIBLE);
      const runner = createFfmpegRunner({ ffmpegPath: FFMPEG, log: silentLogger() });
      const off = await transcodeLadder({ input, outDir: out, media: { ...MEDIA, passthrough: 'off' }, runner, log: silentLogger() });
      assert.deepEqual(off.topRung, { copied: false, reason: 'PASSTHROUGH=off' });
      assert.notEqual(await decodedMd5(path.join(out, 'medium', 'playlist.m3u8')), await decodedMd5(input));
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

/**
 * An ffmpeg that fails as FFmpeg does on a machine without the GPU (exit 1, "Cannot load
 * libcuda.so.1") when a hardware video encoder is asked for, and otherwise is the real ffmpeg:
 * the fallback is then tested the same way with or without a GPU in the test machine.
 */
async function ffmpegWithoutGpu(dir: string): Promise<string> {
  const { stdout } = await run('sh', ['-c', `command -v ${FFMPEG}`]);
  const script = `#!/bin/sh
prev=
for arg in "$@"; do
  case "$prev" in
    -c:v|-c:v:*|-codec:v|-codec:v:*|-vcodec)
      case "$arg" in
        *_nvenc|*_qsv|*_vaapi)
          echo "[$arg @ 0x55880233ff80] Cannot load libcuda.so.1" >&2
          echo "Error initializing output stream 0:0 -- Error while opening encoder for output stream #0:0 - maybe incorrect parameters such as bit_rate, rate, width or height" >&2
          exit 1 ;;
      esac ;;
  esac
  prev=$arg
done
exec '${stdout.trim()}' "$@"
`;
  const file = path.join(dir, 'ffmpeg-without-gpu');
  await writeFile(file, script, { mode: 0o755 });
  return file;
}

describe('hardware encoder fallback', () => {
  it('a failing h264_nvenc job is redone with libx264, with a warning', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'vc-fallback-'));
    const bin = await mkdtemp(path.join(os.tmpdir(), 'vc-fake-ffmpeg-'));
    try {
      const input = await makeClip({ width: 640, height: 360, seconds: 3 });
      const warnings: MediaWarning[] = [];
      const ffmpegPath = await ffmpegWithoutGpu(bin);
      const runner = createFfmpegRunner({ ffmpegPath, log: silentLogger() });
      // FFmpeg fails to open h264_nvenc, as a broken driver would mid-job.
      const result = await transcodeLadder({
        input,
        outDir: out,
        media: MEDIA,
        runner,
        log: silentLogger(),
        encoder: 'h264_nvenc',
        onWarning: (w) => warnings.push(w),
      });
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]?.encoder, 'h264_nvenc');
      assert.match(warnings[0]?.message ?? '', /redone with libx264/);
      assert.equal(result.renditions.length, 1);
    } finally {
      await rm(out, { recursive: true, force: true });
      await rm(bin, { recursive: true, force: true });
    }
  });
});

describe('FFMPEG_NICE', () => {
  it('runs the ladder through nice(1) at the configured level', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'vc-nice-'));
    try {
      const input = await makeClip({ width: 640, height: 360, seconds: 3 });
      const runner = createFfmpegRunner({ ffmpegPath: FFMPEG, log: silentLogger(), nice: 5 });
      const seen: number[] = [];
      // Samples the niceness of ffmpeg children of this process while the encode runs.
      const sampler = setInterval(() => {
        void run('ps', ['-o', 'ni=,comm=', '--ppid', String(process.pid)]).then(
          ({ stdout }) => {
            for (const line of stdout.split('\n')) if (/\sffmpeg$/.test(line.trim())) seen.push(Number(line.trim().split(/\s+/)[0]));
          },
          () => undefined,
        );
      }, 50);
      await transcodeLadder({ input, outDir: out, media: MEDIA, runner, log: silentLogger() }).finally(() => clearInterval(sampler));
      assert.ok(seen.includes(5), `niceness seen: ${seen.join(',')}`);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
