/**
 * Real FFmpeg on sources shaped like real uploads (anamorphic, interlaced, HDR, 10-bit 4:2:2,
 * surround, mono, late and multiple audio tracks). Every expectation is what a viewer sees or
 * hears, measured with FFmpeg directly on the outputs against references built without the code
 * under test.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../../src/logging/logger.js';
import { createFfmpegRunner } from '../../src/media/ffmpeg-runner.js';
import { transcodeLadder } from '../../src/media/transcode.js';
import type { TranscodeOutput } from '../../src/media/types.js';
import { FFMPEG, testMediaConfig } from '../helpers/media-fixtures.js';
import * as media from '../helpers/real-world-media.js';
import { channelLevels, colourGrid, displayAspect, firstSoundAt, firstStream, ssim, startTimes } from '../helpers/viewer-measures.js';

const MEDIA = testMediaConfig({ segmentSeconds: 2, x264Preset: 'veryfast' });
const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

interface Ladder {
  readonly dir: string;
  readonly output: TranscodeOutput;
  segment(rung: string): string;
  playlist(rung: string): string;
}

const ladders = new Map<string, Promise<Ladder>>();
/** The ladder of a source, made once per file. */
function ladderOf(source: Promise<string>): Promise<Ladder> {
  return source.then((input) => {
    let pending = ladders.get(input);
    if (!pending) {
      pending = transcode(input);
      ladders.set(input, pending);
    }
    return pending;
  });
}

async function transcode(input: string): Promise<Ladder> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vc-fidelity-'));
  dirs.push(dir);
  const runner = createFfmpegRunner({ ffmpegPath: FFMPEG, log: silentLogger() });
  const output = await transcodeLadder({ input, outDir: dir, media: MEDIA, runner, log: silentLogger() });
  return {
    dir,
    output,
    segment: (rung) => path.join(dir, rung, 'segment000.ts'),
    playlist: (rung) => path.join(dir, rung, 'playlist.m3u8'),
  };
}

async function assertAspect(file: string, expected: number): Promise<void> {
  const { aspect, sar, width, height } = await displayAspect(file);
  assert.ok(
    Math.abs(aspect / expected - 1) <= 0.01,
    `${path.basename(file)}: ${width}x${height} SAR ${sar} shows ${aspect.toFixed(4)}, not ${expected.toFixed(4)}`,
  );
  assert.ok(sar === '1:1' || sar === '0:1', `${file}: square pixels, got SAR ${sar}`);
}

describe('geometry: anamorphic sources keep their display aspect in square pixels', () => {
  const cases = [
    { label: 'PAL DVD 720x576 SAR 64:45', source: () => media.makeAnamorphic('pal'), rungs: [['low', 854, 480]] },
    {
      label: 'HDV 1440x1080 SAR 4:3',
      source: () => media.makeAnamorphic('hdv'),
      rungs: [
        ['high', 1920, 1080],
        ['medium', 1280, 720],
        ['low', 854, 480],
      ],
    },
  ] as const;
  for (const c of cases) {
    it(`${c.label}: every rung and the poster are 16:9`, async () => {
      const ladder = await ladderOf(c.source());
      assert.deepEqual(
        ladder.output.renditions.map((r) => [r.name, r.width, r.height]),
        c.rungs.map((r) => [...r]),
      );
      for (const [rung] of c.rungs) await assertAspect(ladder.segment(rung), 16 / 9);
      await assertAspect(path.join(ladder.dir, 'poster.jpg'), 16 / 9);
      assert.ok(ladder.output.conversions.includes('anamorphic'));
      assert.equal(ladder.output.topRung.copied, false);
    });
  }
});

describe('interlacing: 25i is deinterlaced before scaling', () => {
  /** The truth at 25 fps: the first field's moment of each frame pair. */
  const truth = (size: string): { file: Promise<string>; filter: string } => ({
    file: media.makePan50p(),
    filter: `select='not(mod(n\\,2))',setpts=N/25/TB,scale=${size}:flags=bicubic`,
  });
  const cases = [
    { label: 'MPEG-2 tagged tt (PAL 16:9)', source: () => media.makeInterlaced({ tagged: true }), rung: 'low', size: '854:480' },
    { label: 'H.264 in MPEG-TS flagged progressive', source: () => media.makeInterlaced({ tagged: false }), rung: 'low', size: '600:480' },
  ] as const;
  for (const c of cases) {
    it(`${c.label}: the rung matches the deinterlaced truth better than fields scaled as one frame`, async () => {
      const ladder = await ladderOf(c.source());
      const rung = { file: ladder.playlist(c.rung), filter: 'null' };
      const reference = truth(c.size);
      const deinterlaced = await ssim(rung, { file: await reference.file, filter: reference.filter });
      const fieldsAsFrame = await ssim(rung, { file: await c.source(), filter: `scale=${c.size}:flags=bicubic` });
      assert.ok(deinterlaced > fieldsAsFrame, `SSIM vs deinterlaced ${deinterlaced} should beat vs fields-as-frame ${fieldsAsFrame}`);
      assert.ok(ladder.output.conversions.includes('deinterlaced'));
    });
  }

  it('a progressive MPEG-TS source is sampled and left alone', async () => {
    const ladder = await ladderOf(media.makeProgressiveTs());
    assert.ok(!ladder.output.conversions.includes('deinterlaced'), ladder.output.conversions.join(','));
  });
});

type Rgb = [number, number, number];
const spread = (c: Rgb): number => Math.max(...c) - Math.min(...c);
const near = (a: Rgb | undefined, b: Rgb, within: number): boolean =>
  a !== undefined && a.every((v, i) => Math.abs(v - (b[i] ?? 0)) <= within);

/** Hue in degrees (HSV). */
function hue([r, g, b]: Rgb): number {
  const max = Math.max(r, g, b);
  const d = max - Math.min(r, g, b);
  const h = max === r ? (g - b) / d : max === g ? 2 + (b - r) / d : 4 + (r - g) / d;
  return (h * 60 + 360) % 360;
}

/**
 * Compares two grids of mean colours (`cols` wide) on the cells inside a patch of the reference
 * (all four neighbours the same colour: edges are where chroma subsampling legitimately differs).
 * Mid-grey stays mid-grey (each channel within `greyTolerance`); saturated patches keep their hue
 * (within 15°); every patch keeps its lightness (brightest channel within 32: tone mapping may
 * compress the top of the range, not the middle).
 */
function assertColoursMatch(actual: Rgb[], expected: Rgb[], cols: number, greyTolerance: number): void {
  assert.equal(actual.length, expected.length);
  let compared = 0;
  expected.forEach((want, i) => {
    const row = Math.floor(i / cols);
    const neighbours = [i - 1, i + 1].filter((n) => Math.floor(n / cols) === row).concat([i - cols, i + cols]);
    if (!neighbours.every((n) => near(expected[n], want, 4))) return;
    compared += 1;
    const got = actual[i] ?? [0, 0, 0];
    const label = `cell ${i}: ${got.join(',')} vs SDR ${want.join(',')}`;
    assert.ok(Math.abs(Math.max(...got) - Math.max(...want)) <= 32, `lightness, ${label}`);
    if (spread(want) < 8 && want[0] > 40 && want[0] < 215) assert.ok(near(got, want, greyTolerance), `mid-grey, ${label}`);
    if (spread(want) > 100) {
      const turn = Math.abs(hue(got) - hue(want));
      assert.ok(Math.min(turn, 360 - turn) <= 15, `hue ${hue(got).toFixed(0)}° vs ${hue(want).toFixed(0)}°, ${label}`);
    }
  });
  assert.ok(compared >= 40, `only ${compared} cells inside patches`);
}

describe('colour: every rung is 8-bit 4:2:0 BT.709 SDR and looks like the SDR grade', () => {
  const cases = [
    {
      label: 'HDR10 (PQ) HEVC Main 10',
      source: () => media.makeHdrBars('pq'),
      sdr: () => media.makeSdrBars(),
      grid: [32, 18],
      tonemapped: true,
    },
    {
      label: 'HLG HEVC Main 10 rotated 90° (phone)',
      source: () => media.makeHdrBars('hlg', 90),
      sdr: () => media.makeSdrBars(90),
      grid: [18, 32],
      tonemapped: true,
    },
    {
      label: '10-bit 4:2:2 H.264 (SDR)',
      source: () => media.make422TenBit(),
      sdr: () => media.makeSdrBars(),
      grid: [32, 18],
      tonemapped: false,
    },
  ] as const;
  for (const c of cases) {
    it(`${c.label}`, async () => {
      const ladder = await ladderOf(c.source());
      for (const r of ladder.output.renditions) {
        const v = await firstStream(ladder.segment(r.name), 'video');
        assert.deepEqual(
          [v.pix_fmt, v.color_primaries, v.color_transfer, v.color_space, v.color_range],
          ['yuv420p', 'bt709', 'bt709', 'bt709', 'tv'],
          r.name,
        );
      }
      const [cols, rows] = c.grid;
      const top = ladder.output.renditions[0]?.name ?? 'high';
      const sdr = await colourGrid(await c.sdr(), cols, rows);
      assertColoursMatch(await colourGrid(ladder.segment(top), cols, rows), sdr, cols, 12);
      // The poster is cut from the same corrected picture.
      assertColoursMatch(await colourGrid(path.join(ladder.dir, 'poster.jpg'), cols, rows, 0), sdr, cols, 12);
      assert.equal(ladder.output.conversions.includes('tonemapped'), c.tonemapped);
    });
  }
});

describe('audio: one stereo track, from the right source track, in sync, never clipped', () => {
  it('5.1 at full scale folds down to stereo without clipping', async () => {
    const ladder = await ladderOf(media.makeSound('surround'));
    const levels = await channelLevels(ladder.playlist('low'));
    assert.equal(levels.length, 2);
    for (const { peakDb } of levels) assert.ok(peakDb < 0, `peak ${peakDb} dBFS clips`);
    assert.ok(ladder.output.conversions.includes('downmixed'));
  });

  it('the centre channel (dialogue) is kept, equally in both channels', async () => {
    const ladder = await ladderOf(media.makeSound('centre'));
    const [left, right] = await channelLevels(ladder.playlist('low'));
    assert.ok(left && right && left.rmsDb > -26 && Math.abs(left.rmsDb - right.rmsDb) < 1, JSON.stringify([left, right]));
  });

  it('mono is duplicated to both channels at its own level', async () => {
    const source = await channelLevels(await media.makeSound('mono'));
    const ladder = await ladderOf(media.makeSound('mono'));
    const levels = await channelLevels(ladder.playlist('low'));
    assert.equal(levels.length, 2);
    for (const { rmsDb } of levels) assert.ok(Math.abs(rmsDb - (source[0]?.rmsDb ?? 0)) < 1, `${rmsDb} vs ${source[0]?.rmsDb}`);
  });

  it('a track starting 2 s after the video is padded, not shifted', async () => {
    const ladder = await ladderOf(media.makeSound('late'));
    const starts = await startTimes(ladder.segment('low'));
    assert.ok(Math.abs(starts.audio - starts.video) < 0.05, `audio starts at ${starts.audio}, video at ${starts.video}`);
    const onset = await firstSoundAt(ladder.playlist('low'));
    assert.ok(onset !== null && Math.abs(onset - 3) < 0.1, `the burst is at ${String(onset)} s, not 3 s`);
    assert.ok(ladder.output.conversions.includes('audio_padded'));
  });

  it('the default track is the one carried, not the first', async () => {
    const ladder = await ladderOf(media.makeSound('two-tracks'));
    const [left] = await channelLevels(ladder.playlist('low'));
    assert.ok(left && left.rmsDb > -20, `carried track RMS ${String(left?.rmsDb)} dBFS: the silent first track`);
  });
});
