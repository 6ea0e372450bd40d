/**
 * Real FFmpeg: thumbnails, storyboard, preview.mp4 and metadata.json made by transcodeLadder,
 * checked independently with ffprobe, a VTT parser and the MP4's bytes (test/helpers/preview-measures.ts).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MediaConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/logging/logger.js';
import { createFfmpegRunner } from '../../src/media/ffmpeg-runner.js';
import { transcodeLadder } from '../../src/media/transcode.js';
import type { TranscodeOutput } from '../../src/media/types.js';
import { FFMPEG, ffprobeJson, makeClip, sizeOf, testMediaConfig, type ClipSpec } from '../helpers/media-fixtures.js';
import {
  bestMatch,
  boxOrder,
  frameAt,
  imageSize,
  probeFile,
  readVtt,
  rungSegments,
  stillSimilarity,
  type Cue,
} from '../helpers/preview-measures.js';

let root: string;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'vc-previews-'));
});
after(() => rm(root, { recursive: true, force: true }));

interface Run {
  readonly dir: string;
  readonly out: TranscodeOutput;
  /** The source's duration, by ffprobe. */
  readonly duration: number;
}

async function transcode(label: string, clip: ClipSpec, media: MediaConfig): Promise<Run> {
  const input = await makeClip(clip);
  const dir = path.join(root, label);
  const runner = createFfmpegRunner({ ffmpegPath: FFMPEG, log: silentLogger() });
  const out = await transcodeLadder({ input, outDir: dir, media, runner, log: silentLogger() });
  const { format } = (await ffprobeJson(['-show_format', input])) as { format: { duration: string } };
  return { dir, out, duration: Number(format.duration) };
}

const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );

/** N thumbnails, `width` wide, the display aspect within 1 %, square pixels, even height, all different. */
async function checkThumbnails(run: Run, count: number, width: number, aspect: number): Promise<void> {
  const files = run.out.previews.thumbnails;
  assert.deepEqual(
    files,
    Array.from({ length: count }, (_, i) => `thumbnails/thumb-${String(i + 1).padStart(2, '0')}.jpg`),
  );
  const hashes = new Set<string>();
  for (const file of files) {
    const size = await imageSize(path.join(run.dir, file));
    assert.equal(size.frames, 1, file);
    assert.equal(size.width, width, file);
    assert.equal(size.height % 2, 0, file);
    assert.ok(Math.abs(size.width / size.height / aspect - 1) < 0.01, `${file}: ${size.width}x${size.height} for aspect ${aspect}`);
    assert.match(size.sar, /^(1:1|0:1)$/);
    hashes.add(
      createHash('sha1')
        .update(await readFile(path.join(run.dir, file)))
        .digest('hex'),
    );
  }
  if (count > 1) assert.equal(hashes.size, count, 'every thumbnail shows another moment');
}

const FPS = 30;

/** Thumbnail i is the rung's frame at t_i = d × (0.05 + 0.9 × (i + 0.5) / N), ±2 frames, among those of t_i ± 0.3 s. */
async function checkThumbnailMoments(run: Run, rung: string): Promise<void> {
  const files = run.out.previews.thumbnails;
  const playlist = path.join(run.dir, rung, 'playlist.m3u8');
  for (const [i, file] of files.entries()) {
    const t = run.duration * (0.05 + (0.9 * (i + 0.5)) / files.length);
    const size = await imageSize(path.join(run.dir, file));
    const window = { fromSeconds: t - 0.3, toSeconds: Math.min(t + 0.3, run.duration) };
    const match = await bestMatch(path.join(run.dir, file), playlist, window, size, FPS);
    // ±2 frames: FFmpeg aligns an HLS input's audio and video starts differently between runs (~23 ms).
    assert.ok(
      Math.abs(match.atSeconds - t) <= 2 / FPS + 0.001,
      `${file}: best match at ${match.atSeconds.toFixed(3)} s, not ${t.toFixed(3)} s`,
    );
    assert.ok(match.ssim > 0.97 && match.ssim > match.worst + 0.02, `${file}: SSIM ${match.ssim} (worst ${match.worst})`);
  }
}

/**
 * The preview shows moment k (1.25 s centred on 20/40/60/80 % of the duration) from 1.25 × k s on:
 * its frame 0.4 s into a part is the rung's frame 0.4 s into the moment (±2 frames).
 */
async function checkPreviewMoments(run: Run, rung: string, size: { width: number; height: number }): Promise<void> {
  const playlist = path.join(run.dir, rung, 'playlist.m3u8');
  for (const [k, at] of [0.2, 0.4, 0.6, 0.8].entries()) {
    const still = await frameAt(path.join(run.dir, 'preview.mp4'), 1.25 * k + 0.4, path.join(run.dir, `moment-${k}.png`));
    const t = run.duration * at - 0.625 + 0.4;
    const match = await bestMatch(still, playlist, { fromSeconds: t - 0.3, toSeconds: t + 0.3 }, size, FPS);
    assert.ok(
      Math.abs(match.atSeconds - t) <= 2 / FPS + 0.001,
      `moment ${k}: best match at ${match.atSeconds.toFixed(3)} s, not ${t.toFixed(3)} s`,
    );
    assert.ok(match.ssim > 0.9 && match.ssim > match.worst + 0.02, `moment ${k}: SSIM ${match.ssim} (worst ${match.worst})`);
  }
}

/** Cues cover [0, duration] without gaps or overlaps; each points inside an existing sheet of ≤ 10×10 160-px tiles. */
async function checkStoryboard(run: Run, tileHeight: number): Promise<Cue[]> {
  assert.equal(run.out.previews.storyboard, 'storyboard/storyboard.vtt');
  const vtt = path.join(run.dir, 'storyboard/storyboard.vtt');
  const cues = readVtt(await readFile(vtt, 'utf8'));
  assert.ok(cues.length > 0);
  assert.equal(cues[0]?.start, 0);
  cues.forEach((cue, i) => {
    assert.ok(cue.end > cue.start, `cue ${i} is empty`);
    const next = cues[i + 1];
    if (next) assert.equal(next.start, cue.end, `cue ${i} and ${i + 1} meet`);
  });
  assert.ok(Math.abs((cues[cues.length - 1]?.end ?? 0) - run.duration) <= 0.002, 'the last cue ends at the duration');
  const sheets = new Map<string, { width: number; height: number }>();
  for (const cue of cues) {
    if (!sheets.has(cue.file)) sheets.set(cue.file, await imageSize(path.join(path.dirname(vtt), cue.file)));
    const sheet = sheets.get(cue.file) ?? { width: 0, height: 0 };
    assert.deepEqual([cue.w, cue.h], [160, tileHeight]);
    assert.ok(
      cue.x + cue.w <= sheet.width && cue.y + cue.h <= sheet.height,
      `${cue.file}#${cue.x},${cue.y} inside ${sheet.width}x${sheet.height}`,
    );
    assert.equal(cue.x % 160, 0);
    assert.equal(cue.y % tileHeight, 0);
  }
  for (const [file, sheet] of sheets) {
    assert.match(file, /^sprite-\d+\.jpg$/);
    assert.ok(sheet.width <= 1600 && sheet.height <= 10 * tileHeight, `${file} is at most 10×10 tiles`);
  }
  return cues;
}

/** Silent H.264 yuv420p, `width` wide, lasting within [min, max] s, under 1 MB, moov before mdat. */
async function checkPreview(run: Run, width: number, min: number, max: number): Promise<void> {
  assert.equal(run.out.previews.preview, 'preview.mp4');
  const file = path.join(run.dir, 'preview.mp4');
  const { streams, format } = await probeFile(file);
  assert.deepEqual(
    streams.map((s) => s.codec_type),
    ['video'],
  );
  assert.equal(streams[0]?.codec_name, 'h264');
  assert.equal(streams[0]?.pix_fmt, 'yuv420p');
  assert.equal(streams[0]?.width, width);
  const seconds = Number(format.duration);
  assert.ok(seconds >= min && seconds <= max, `preview lasts ${seconds} s`);
  assert.ok((await sizeOf(file)) < 1_000_000);
  const boxes = await boxOrder(file);
  assert.ok(boxes.includes('moov') && boxes.indexOf('moov') < boxes.indexOf('mdat'), `box order ${boxes.join(',')}`);
}

interface MetadataDoc {
  schema_version: number;
  source: { duration_seconds: number; video: { width: number; height: number; rotation: number }; audio: unknown };
  processing: { passthrough: { copied: boolean; reason: string }; conversions: string[]; encode_ms: number };
  renditions: Array<{ name: string; playlist: string; width: number; height: number; segment_count: number; bytes: number }>;
  thumbnails: { files: string[] } | null;
  storyboard: { vtt: string; sprites: string[] } | null;
  preview: { file: string } | null;
}

/** metadata.json against ffprobe of the first segment of each rung and the playlists on disk. */
async function checkMetadata(run: Run): Promise<MetadataDoc> {
  assert.equal(run.out.previews.metadata, 'metadata.json');
  const doc = JSON.parse(await readFile(path.join(run.dir, 'metadata.json'), 'utf8')) as MetadataDoc;
  assert.equal(doc.schema_version, 1);
  assert.ok(Math.abs(doc.source.duration_seconds - run.duration) < 0.01);
  assert.equal(doc.processing.passthrough.copied, run.out.topRung.copied);
  assert.ok(doc.processing.encode_ms > 0);
  assert.deepEqual(
    doc.renditions.map((r) => r.name),
    run.out.renditions.map((r) => r.name),
  );
  for (const r of doc.renditions) {
    const segments = await rungSegments(run.dir, r.playlist);
    assert.equal(r.segment_count, segments.count, r.name);
    assert.equal(r.bytes, segments.bytes, r.name);
    const first = (await readFile(path.join(run.dir, r.playlist), 'utf8')).split('\n').find((l) => l.endsWith('.ts')) ?? '';
    const { streams } = await probeFile(path.join(run.dir, path.dirname(r.playlist), first));
    const video = streams.find((s) => s.codec_type === 'video');
    assert.deepEqual([r.width, r.height], [video?.width, video?.height], r.name);
  }
  assert.deepEqual(doc.thumbnails?.files ?? [], run.out.previews.thumbnails);
  assert.equal(doc.storyboard?.vtt ?? null, run.out.previews.storyboard);
  assert.equal(doc.preview?.file ?? null, run.out.previews.preview);
  return doc;
}

describe('previews of a 10 s 1280x720 clip', () => {
  let run: Run;
  before(async () => {
    run = await transcode('landscape', { width: 1280, height: 720, seconds: 10 }, testMediaConfig());
  });

  it('5 thumbnails 640x360 at distinct moments', () => checkThumbnails(run, 5, 640, 16 / 9));
  it("each thumbnail is the ladder's frame at its time (checked against the medium rung)", () => checkThumbnailMoments(run, 'medium'));
  it('a storyboard of 4 s tiles covering 0-10 s in one sheet', async () => {
    const cues = await checkStoryboard(run, 90);
    assert.deepEqual(
      cues.map((c) => [c.start, c.end, c.file, c.x]),
      [
        [0, 4, 'sprite-1.jpg', 0],
        [4, 8, 'sprite-1.jpg', 160],
        [8, 10, 'sprite-1.jpg', 320],
      ],
    );
    // Each tile is the frame its cue starts with: more like it than like the other cues' frames.
    const sprite = path.join(run.dir, 'storyboard/sprite-1.jpg');
    const playlist = path.join(run.dir, 'low/playlist.m3u8');
    for (const cue of cues) {
      const scores = await Promise.all(
        cues.map((other) => stillSimilarity(sprite, playlist, other.start, { width: 160, height: 90 }, cue)),
      );
      assert.equal(scores.indexOf(Math.max(...scores)), cues.indexOf(cue), `tile at ${cue.x}: ${scores.join(', ')}`);
    }
  });
  it('a 3-6 s silent faststart preview, 480 wide, of the planned moments', async () => {
    await checkPreview(run, 480, 3, 6);
    await checkPreviewMoments(run, 'low', { width: 480, height: 270 });
  });
  it('metadata.json matches the outputs', async () => {
    const doc = await checkMetadata(run);
    assert.deepEqual([doc.source.video.width, doc.source.video.height], [1280, 720]);
    assert.notEqual(doc.source.audio, null);
  });
});

describe('previews of a stream-copied top rung (no B-frames)', () => {
  let run: Run;
  before(async () => {
    const clip = { width: 1280, height: 720, seconds: 8, gop: 60, maxrateKbps: 2000 };
    run = await transcode('passthrough', clip, testMediaConfig({ segmentSeconds: 2 }));
    assert.equal(run.out.topRung.copied, true);
  });

  it('thumbnails and preview moments are at their times', async () => {
    await checkThumbnails(run, 5, 640, 16 / 9);
    await checkThumbnailMoments(run, 'medium');
    await checkPreview(run, 480, 3, 6);
    await checkPreviewMoments(run, 'low', { width: 480, height: 270 });
  });
});

describe('previews of a portrait clip (1280x720 rotated 90°)', () => {
  let run: Run;
  before(async () => {
    const media = testMediaConfig({ ladder: [{ name: 'low', height: 480, crf: 32, maxrateKbps: 0 }] });
    run = await transcode('portrait', { width: 1280, height: 720, seconds: 8, rotate: 90 }, media);
  });

  it('thumbnails keep the portrait shape, no wider than the top rung (480x854)', () => checkThumbnails(run, 5, 480, 9 / 16));
  it('portrait tiles (160x284)', async () => {
    await checkStoryboard(run, 284);
  });
  it('a portrait preview 480 wide', async () => {
    await checkPreview(run, 480, 3, 6);
    const { streams } = await probeFile(path.join(run.dir, 'preview.mp4'));
    assert.equal(streams[0]?.height, 854);
  });
  it('metadata.json reports the rotation', async () => {
    const doc = await checkMetadata(run);
    assert.equal(Math.abs(doc.source.video.rotation) % 180, 90);
    assert.deepEqual([doc.source.video.width, doc.source.video.height], [720, 1280]);
  });
});

describe('previews of a 2 s clip', () => {
  let run: Run;
  before(async () => {
    run = await transcode('short', { width: 640, height: 360, seconds: 2 }, testMediaConfig());
  });

  it('thumbnails, at their times even near the start', async () => {
    await checkThumbnails(run, 5, 640, 16 / 9);
    await checkThumbnailMoments(run, 'low');
  });
  it('one tile covering the whole clip', async () => {
    const cues = await checkStoryboard(run, 90);
    assert.equal(cues.length, 1);
    assert.deepEqual((await imageSize(path.join(run.dir, 'storyboard/sprite-1.jpg'))).width, 160);
  });
  it('the preview is the whole clip', () => checkPreview(run, 480, run.duration - 0.2, run.duration + 0.2));
  it('metadata.json', async () => {
    await checkMetadata(run);
  });
});

describe('previews of a 10-minute low-resolution clip (tile cap)', () => {
  let run: Run;
  before(async () => {
    const media = testMediaConfig({
      ladder: [{ name: 'low', height: 90, crf: 32, maxrateKbps: 0 }],
      segmentSeconds: 10,
      x264Preset: 'ultrafast',
      previews: { enabled: true, thumbnailCount: 5, thumbnailWidth: 640, storyboardIntervalSeconds: 1 },
    });
    run = await transcode('long', { width: 160, height: 90, fps: 5, seconds: 600, audio: false }, media);
  });

  it('at most ~500 tiles, in sheets of 10x10, covering the whole 10 minutes', async () => {
    const cues = await checkStoryboard(run, 90);
    assert.ok(cues.length <= 500 && cues.length >= 450, `${cues.length} tiles`);
    const sheets = new Set(cues.map((c) => c.file));
    assert.equal(sheets.size, Math.ceil(cues.length / 100));
    assert.deepEqual(await imageSize(path.join(run.dir, 'storyboard/sprite-1.jpg')).then((s) => [s.width, s.height]), [1600, 900]);
  });
  it('thumbnails and preview are never upscaled (160 wide)', async () => {
    await checkThumbnails(run, 5, 160, 16 / 9);
    await checkPreview(run, 160, 3, 6);
  });
  it('metadata.json', async () => {
    await checkMetadata(run);
  });
});

describe('PREVIEWS=off', () => {
  it('makes no thumbnails, storyboard or preview; the poster and metadata.json stay', async () => {
    const media = testMediaConfig({ previews: { enabled: false, thumbnailCount: 5, thumbnailWidth: 640, storyboardIntervalSeconds: 4 } });
    const run = await transcode('off', { width: 640, height: 360, seconds: 2 }, media);
    assert.deepEqual(run.out.previews, { thumbnails: [], storyboard: null, preview: null, metadata: 'metadata.json' });
    for (const name of ['thumbnails', 'storyboard', 'preview.mp4']) assert.equal(await exists(path.join(run.dir, name)), false, name);
    assert.equal(await exists(path.join(run.dir, 'poster.jpg')), true);
    const doc = await checkMetadata(run);
    assert.deepEqual([doc.thumbnails, doc.storyboard, doc.preview], [null, null, null]);
  });
});
