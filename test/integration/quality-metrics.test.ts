/**
 * Real FFmpeg: QUALITY_METRICS=on puts each rendition's SSIM and PSNR against the source into
 * metadata.json, from one extra FFmpeg run (counted through a wrapper of the binary); off, none.
 * The scores are checked against an independent SSIM (test/helpers/viewer-measures.ts), and a
 * wrong reference (a frame out of step, another picture) must score clearly lower.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MediaConfig } from '../../src/config/config.js';
import { AppError, isAppError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging/logger.js';
import { createFfmpegRunner } from '../../src/media/ffmpeg-runner.js';
import { measureQuality, type QualityStepInput } from '../../src/media/previews/quality-metrics.js';
import { transcodeLadder } from '../../src/media/transcode.js';
import type { TranscodeOutput } from '../../src/media/types.js';
import { FFMPEG, ffmpeg, fixtureDir, makeClip, once, testMediaConfig, type ClipSpec } from '../helpers/media-fixtures.js';
import { makeHdrBars, makeInterlaced } from '../helpers/real-world-media.js';
import { ssim } from '../helpers/viewer-measures.js';

let root: string;
/** A wrapper of ffmpeg that logs each run's arguments, one line per run. */
let wrapper: string;
let runLog: string;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'vc-quality-'));
  runLog = path.join(root, 'runs.log');
  wrapper = path.join(root, 'ffmpeg-logged');
  await writeFile(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${runLog}'\nexec ${FFMPEG} "$@"\n`);
  await chmod(wrapper, 0o755);
});
after(() => rm(root, { recursive: true, force: true }));

interface QualityDoc {
  quality_metrics: boolean;
  processing: { quality_ms: number | null; previews_ms: number };
  renditions: Array<{ name: string; playlist: string; width: number; height: number; quality: { ssim: number; psnr_db: number } | null }>;
}

interface Run {
  readonly input: string;
  readonly dir: string;
  readonly out: TranscodeOutput;
  readonly doc: QualityDoc;
  /** The previews-step FFmpeg runs that compared pictures. */
  readonly metricRuns: number;
}

const NO_PREVIEWS = { enabled: false, thumbnailCount: 5, thumbnailWidth: 640, storyboardIntervalSeconds: 4 };

async function transcode(label: string, input: string, overrides: Partial<MediaConfig>): Promise<Run> {
  const dir = path.join(root, label);
  await writeFile(runLog, '');
  const media = testMediaConfig({ ffmpegPath: wrapper, ...overrides });
  const runner = createFfmpegRunner({ ffmpegPath: FFMPEG, log: silentLogger() });
  const out = await transcodeLadder({ input, outDir: dir, media, runner, log: silentLogger() });
  const doc = JSON.parse(await readFile(path.join(dir, 'metadata.json'), 'utf8')) as QualityDoc;
  const runs = (await readFile(runLog, 'utf8')).split('\n').filter((line) => /ssim|psnr/.test(line));
  return { input, dir, out, doc, metricRuns: runs.length };
}

/** Every rendition scored: SSIM in (0, 1] and above `minSsim`, PSNR above `minPsnr`. */
function assertScores(run: Run, minSsim: number, minPsnr: number): void {
  assert.equal(run.doc.quality_metrics, true);
  assert.ok((run.doc.processing.quality_ms ?? 0) > 0);
  assert.deepEqual(
    run.doc.renditions.map((r) => r.name),
    run.out.renditions.map((r) => r.name),
  );
  for (const r of run.doc.renditions) {
    const q = r.quality;
    assert.ok(q !== null, `${r.name} has no quality`);
    assert.ok(q.ssim > minSsim && q.ssim <= 1, `${r.name}: SSIM ${q.ssim}`);
    assert.ok(q.psnr_db > minPsnr && q.psnr_db <= 100, `${r.name}: PSNR ${q.psnr_db} dB`);
  }
  assert.equal(run.metricRuns, 1, 'one FFmpeg run measures every rung');
}

/** The step input measureQuality gets from the previews step, for a finished run. */
function stepInput(run: Run, overrides: Partial<QualityStepInput> = {}): QualityStepInput {
  const { plan, topRung, info, renditions } = run.out;
  return { source: run.input, outDir: run.dir, plan, topRung, info, renditions, media: testMediaConfig(), ...overrides };
}

/** The same clip a frame late: every picture meets its neighbour's. */
function oneFrameLate(clip: string): Promise<string> {
  return once(`late-${clip}`, async () => {
    const out = path.join(fixtureDir(), `one-frame-late-${path.basename(clip)}`);
    await ffmpeg([
      '-i',
      clip,
      '-vf',
      'trim=start_frame=1,setpts=PTS-STARTPTS',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-crf',
      '12',
      out,
    ]);
    return out;
  });
}

/** Another picture altogether, same size, rate and length. */
function otherPicture(spec: Required<Pick<ClipSpec, 'width' | 'height' | 'seconds'>>): Promise<string> {
  return once(`other-${spec.width}x${spec.height}-${spec.seconds}`, async () => {
    const out = path.join(fixtureDir(), `other-${spec.width}x${spec.height}.mp4`);
    const source = `mandelbrot=size=${spec.width}x${spec.height}:rate=30,trim=duration=${spec.seconds}`;
    await ffmpeg(['-f', 'lavfi', '-i', source, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', out]);
    return out;
  });
}

const CLIP = { width: 1280, height: 720, seconds: 6 } as const;

describe('QUALITY_METRICS=on, a 6 s 1280x720 clip with previews', () => {
  let run: Run;
  before(async () => {
    run = await transcode('on', await makeClip(CLIP), { qualityMetrics: true });
  });

  it('each rendition has SSIM in (0, 1] and PSNR above 25 dB, from one FFmpeg run', () => {
    assertScores(run, 0.9, 25);
    assert.deepEqual(
      run.doc.renditions.map((r) => r.name),
      ['medium', 'low'],
    );
    assert.ok(run.out.previews.thumbnails.length > 0, 'the previews are made as well');
  });

  it('the scores are the ones an independent comparison of the rung with the scaled source gives', async () => {
    for (const r of run.doc.renditions) {
      const expected = await ssim(
        { file: path.join(run.dir, r.playlist), filter: 'null' },
        { file: run.input, filter: `scale=${r.width}:${r.height}` },
      );
      assert.ok(Math.abs((r.quality?.ssim ?? 0) - expected) < 0.002, `${r.name}: ${r.quality?.ssim} vs ${expected}`);
    }
  });

  it('a reference one frame out of step scores clearly lower, another picture far lower', async () => {
    const right = await measureQuality(stepInput(run));
    const late = await measureQuality(stepInput(run, { source: await oneFrameLate(run.input) }));
    const other = await measureQuality(stepInput(run, { source: await otherPicture(CLIP) }));
    right.renditions.forEach((r, k) => {
      const [l, o] = [late.renditions[k], other.renditions[k]];
      assert.ok(l && o);
      assert.ok(l.ssim < r.ssim - 0.02 && l.psnrDb < r.psnrDb - 3, `${r.name}: late ${l.ssim}/${l.psnrDb} vs ${r.ssim}/${r.psnrDb}`);
      assert.ok(o.ssim < r.ssim - 0.3 && o.psnrDb < 15, `${r.name}: another picture ${o.ssim}/${o.psnrDb}`);
    });
  });

  it('aborting stops the run with the abort reason', async () => {
    const controller = new AbortController();
    const reason = new AppError('shutdown', 'stopping');
    setTimeout(() => controller.abort(reason), 100);
    await assert.rejects(measureQuality(stepInput(run, { signal: controller.signal })), (err: unknown) => err === reason);
  });

  it('a rung FFmpeg cannot read fails with ffmpeg_failed', async () => {
    const renditions = run.out.renditions.map((r) => ({ ...r, playlistPath: `${r.name}/missing.m3u8` }));
    await assert.rejects(measureQuality(stepInput(run, { renditions })), (err: unknown) => isAppError(err, 'ffmpeg_failed'));
  });
});

describe('QUALITY_METRICS=off (the default)', () => {
  it('every rendition has quality null, and no FFmpeg run compares pictures', async () => {
    const run = await transcode('off', await makeClip({ width: 640, height: 360, seconds: 2 }), { previews: NO_PREVIEWS });
    assert.equal(run.doc.quality_metrics, false);
    assert.equal(run.doc.processing.quality_ms, null);
    assert.deepEqual(
      run.doc.renditions.map((r) => r.quality),
      [null],
    );
    assert.equal(run.metricRuns, 0);
  });
});

describe('QUALITY_METRICS=on: sources the ladder prepares', () => {
  const on = { qualityMetrics: true, previews: NO_PREVIEWS };

  it('a stream-copied top rung is the source itself: SSIM 1, PSNR at the 100 dB cap', async () => {
    const clip = await makeClip({ width: 1280, height: 720, seconds: 4, gop: 60, maxrateKbps: 2000 });
    const run = await transcode('copied', clip, { ...on, segmentSeconds: 2 });
    assert.equal(run.out.topRung.copied, true);
    assertScores(run, 0.9, 25);
    assert.deepEqual(run.doc.renditions[0]?.quality, { ssim: 1, psnr_db: 100 });
  });

  it('23.976 fps: rung timestamps rounded to 90 kHz still meet the right source frames', async () => {
    const run = await transcode('ntsc', await makeClip({ width: 640, height: 360, seconds: 6, fps: 24000 / 1001 }), on);
    // A frame out of step drops this pattern to about 29 dB.
    assertScores(run, 0.95, 33);
  });

  it('interlaced anamorphic MPEG-2 (deinterlaced, made square, colour converted)', async () => {
    const run = await transcode('interlaced', await makeInterlaced({ tagged: true }), on);
    assert.ok(run.out.conversions.includes('deinterlaced') && run.out.conversions.includes('anamorphic'));
    assertScores(run, 0.95, 30);
  });

  it('HLG HDR, rotated like a phone (tone-mapped, turned upright)', async () => {
    const run = await transcode('hlg', await makeHdrBars('hlg', 90), on);
    assert.ok(run.out.conversions.includes('tonemapped'));
    assert.deepEqual([run.doc.renditions[0]?.width, run.doc.renditions[0]?.height], [720, 1280]);
    assertScores(run, 0.98, 40);
  });
});
