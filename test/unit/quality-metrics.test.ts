/**
 * The pure parts of QUALITY_METRICS: the comparison graph and argv, FFmpeg's summary lines (real
 * FFmpeg 5.1 output), the scores in metadata.json and the verifier's range checks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { isAppError } from '../../src/errors.js';
import { planLadder } from '../../src/media/ladder.js';
import { buildMetadata } from '../../src/media/previews/metadata.js';
import {
  frameTimeBase,
  parseSummaryLine,
  PSNR_CAP_DB,
  qualityArgs,
  qualityGraph,
  scoresFromSummaries,
  type QualityMeasurement,
} from '../../src/media/previews/quality-metrics.js';
import { qualityProblems } from '../../src/media/previews/verify-previews.js';
import type { LadderPlan } from '../../src/media/types.js';
import { testMediaConfig } from '../helpers/media-fixtures.js';
import { videoInfo, videoStream } from '../helpers/video-info.js';
import { measuredRendition } from '../helpers/measured-rendition.js';

/** Printed by FFmpeg 5.1 for a 720p and a 480p rung of a noisy testsrc2 clip, then for a rung compared with itself. */
const REAL_LINES = [
  '[psnr@q1 @ 0x55f36df9a680] PSNR y:37.763813 u:36.349571 v:35.441522 average:37.037699 min:36.273361 max:39.937927',
  '[ssim@q1 @ 0x55f36df99b00] SSIM Y:0.977353 (16.449803) U:0.975371 (16.085606) V:0.980578 (17.116953) All:0.977560 (16.489741)',
  '[psnr@q0 @ 0x55f36df91400] PSNR y:38.949530 u:38.296737 v:38.173066 average:38.697863 min:38.036031 max:42.954641',
  '[ssim@q0 @ 0x55f36df918c0] SSIM Y:0.978782 (16.732909) U:0.977367 (16.452650) V:0.980510 (17.101980) All:0.978834 (16.743643)',
];
const IDENTICAL_LINES = [
  '[psnr@q0 @ 0x5618422f0b80] PSNR y:inf u:inf v:inf average:inf min:inf max:inf',
  '[ssim@q0 @ 0x5618422f0340] SSIM Y:1.000000 (inf) U:1.000000 (inf) V:1.000000 (inf) All:1.000000 (inf)',
];

const rendition = measuredRendition;

const media = testMediaConfig({ ladder: testMediaConfig().ladder.slice(1) });
const renditions = [rendition('medium', 1280, 720), rendition('low', 854, 480)];
const plainPlan: LadderPlan = planLadder(videoInfo(videoStream(1280, 720)), media);
const ENCODED = { copied: false, reason: 'PASSTHROUGH=off' } as const;

describe('FFmpeg summary lines', () => {
  it('reads SSIM All and PSNR average with the rendition index of the filter instance', () => {
    assert.deepEqual(REAL_LINES.map(parseSummaryLine), [
      { metric: 'psnr', index: 1, value: 37.037699 },
      { metric: 'ssim', index: 1, value: 0.97756 },
      { metric: 'psnr', index: 0, value: 38.697863 },
      { metric: 'ssim', index: 0, value: 0.978834 },
    ]);
    assert.deepEqual(parseSummaryLine(IDENTICAL_LINES[0] ?? ''), { metric: 'psnr', index: 0, value: Infinity });
    assert.deepEqual(parseSummaryLine(IDENTICAL_LINES[1] ?? ''), { metric: 'ssim', index: 0, value: 1 });
  });

  it('ignores every other line FFmpeg prints', () => {
    for (const line of [
      "[hls @ 0x55f36d216c00] Opening 'out/medium/segment001.ts' for reading",
      '[Parsed_ssim_3 @ 0x55f36df918c0] SSIM Y:0.9 (10) U:0.9 (10) V:0.9 (10) All:0.9 (10)',
      'frame=  180 fps=133 q=-0.0 Lq=-0.0 size=N/A time=00:00:06.00 bitrate=N/A speed=4.44x',
    ]) {
      assert.equal(parseSummaryLine(line), null, line);
    }
  });

  it('gives each rendition its own scores, identical pictures capped at 100 dB', () => {
    assert.deepEqual(scoresFromSummaries(renditions, REAL_LINES), [
      { name: 'medium', ssim: 0.978834, psnrDb: 38.697863 },
      { name: 'low', ssim: 0.97756, psnrDb: 37.037699 },
    ]);
    assert.deepEqual(scoresFromSummaries([rendition('high', 1280, 720)], IDENTICAL_LINES), [
      { name: 'high', ssim: 1, psnrDb: PSNR_CAP_DB },
    ]);
  });

  it('fails with ffmpeg_failed naming a rendition without both scores', () => {
    const lines = REAL_LINES.filter((l) => !l.startsWith('[psnr@q1'));
    assert.throws(
      () => scoresFromSummaries(renditions, lines),
      (err: unknown) => isAppError(err, 'ffmpeg_failed') && /for low\./.test(err.message) && String(err.context.missing) === 'low',
    );
    assert.throws(() => scoresFromSummaries(renditions, []), /for medium, low/);
    const nan = '[ssim@q0 @ 0x1] SSIM Y:nan (nan) U:nan (nan) V:nan (nan) All:nan (nan)';
    assert.throws(() => scoresFromSummaries(renditions.slice(0, 1), [nan, REAL_LINES[2] ?? '']), /for medium/);
  });
});

describe('the comparison graph', () => {
  it('one frame per tick of the rung rate', () => {
    assert.equal(frameTimeBase(30), '1/30');
    assert.equal(frameTimeBase(30000 / 1001), '1001/30000');
    assert.equal(frameTimeBase(25), '1/25');
    assert.equal(frameTimeBase(12.5), '1/12.500');
  });

  it('splits the prepared source, brings each branch to its rung, and compares it with the rung', () => {
    const align = 'format=yuv420p,setsar=1,setpts=PTS-STARTPTS,settb=1/30';
    assert.equal(
      qualityGraph({ plan: plainPlan, topRung: ENCODED, renditions }),
      [
        '[0:v]split=2[s0][s1]',
        `[s0]fps=30,scale=1280:720,${align},split[ra0][rb0]`,
        `[1:v:0]${align}[d0]`,
        '[d0][ra0]ssim@q0[m0]',
        '[m0][rb0]psnr@q0[q0]',
        `[s1]fps=30,scale=854:480,${align},split[ra1][rb1]`,
        `[2:v:0]${align}[d1]`,
        '[d1][ra1]ssim@q1[m1]',
        '[m1][rb1]psnr@q1[q1]',
      ].join(';'),
    );
  });

  it('a stream-copied top rung is compared with the source frames as they are', () => {
    const graph = qualityGraph({ plan: plainPlan, topRung: { copied: true, reason: 'eligible', keyframeTimes: [0] }, renditions });
    assert.match(graph, /\[s0\]format=yuv420p,setsar=1,setpts=PTS-STARTPTS,settb=1\/30,split\[ra0\]\[rb0\]/);
    assert.match(graph, /\[s1\]fps=30,scale=854:480,/);
  });

  it('the reference gets the picture steps of the ladder before the split (deinterlace, tone map)', () => {
    const hlg = { primaries: 'bt2020', transfer: 'arib-std-b67', matrix: 'bt2020nc', range: 'tv' };
    const video = videoStream(1920, 1080, { colour: hlg, fps: 25, pixFmt: 'yuv420p10le' });
    const plan = planLadder(videoInfo(video), media, { interlaced: true, parity: 'tff', how: 'tagged' });
    const graph = qualityGraph({ plan, topRung: ENCODED, renditions });
    const head = graph.split(';')[0] ?? '';
    assert.match(head, /^\[0:v\]bwdif=mode=send_frame:parity=tff:deint=all,zscale=w=1280:h=720:.*tonemap=.*,split=2\[s0\]\[s1\]$/);
    assert.match(graph, /\[s0\]fps=25,scale=1280:720,format=yuv420p,setsar=1,setpts=PTS-STARTPTS,settb=1\/25,/);
  });

  it('argv: the source, then each rung playlist, every comparison mapped to the null muxer', () => {
    const input = { source: '/in/src.mp4', outDir: '/out', plan: plainPlan, topRung: ENCODED, renditions, threads: 2 };
    const args = qualityArgs(input);
    assert.deepEqual(args.slice(0, 5), ['-loglevel', 'info', '-nostats', '-filter_complex_threads', '2']);
    const graphAt = args.indexOf('-filter_complex');
    assert.deepEqual(args.slice(5, graphAt), [
      ...['-threads', '2', '-i', '/in/src.mp4'],
      ...['-threads', '2', '-i', '/out/medium/playlist.m3u8'],
      ...['-threads', '2', '-i', '/out/low/playlist.m3u8'],
    ]);
    assert.equal(args[graphAt + 1], qualityGraph(input));
    assert.deepEqual(args.slice(graphAt + 2), ['-map', '[q0]', '-map', '[q1]', '-f', 'null', '-']);
    assert.equal(qualityArgs({ ...input, threads: 0 }).includes('-threads'), false);
  });
});

const measured: QualityMeasurement = {
  renditions: [
    { name: 'medium', ssim: 0.978834, psnrDb: 38.697863 },
    { name: 'low', ssim: 0.97756, psnrDb: 37.037699 },
  ],
  ms: 1234,
};

function metadata(quality: QualityMeasurement | null): Record<string, unknown> {
  const info = videoInfo(videoStream(1280, 720));
  const previews = { thumbnails: null, storyboard: null, preview: null };
  const facts = {
    info,
    plan: plainPlan,
    topRung: ENCODED,
    conversions: [],
    renditions,
    masterPath: 'master.m3u8',
    posterPath: 'poster.jpg',
  };
  return buildMetadata({ ...facts, encodeMs: 1, previews, previewsMs: 0, quality });
}

describe('metadata.json quality fields', () => {
  it('QUALITY_METRICS=on: quality_metrics, quality_ms and each rendition scores', () => {
    const doc = metadata(measured) as { quality_metrics: boolean; processing: { quality_ms: number }; renditions: unknown[] };
    assert.equal(doc.quality_metrics, true);
    assert.equal(doc.processing.quality_ms, 1234);
    assert.deepEqual(
      doc.renditions.map((r) => (r as { quality: unknown }).quality),
      [
        { ssim: 0.978834, psnr_db: 38.697863 },
        { ssim: 0.97756, psnr_db: 37.037699 },
      ],
    );
    assert.deepEqual(qualityProblems(doc, true), []);
  });

  it('off: false, null and null', () => {
    const doc = metadata(null) as { quality_metrics: boolean; processing: { quality_ms: unknown }; renditions: unknown[] };
    assert.equal(doc.quality_metrics, false);
    assert.equal(doc.processing.quality_ms, null);
    assert.deepEqual(
      doc.renditions.map((r) => (r as { quality: unknown }).quality),
      [null, null],
    );
    assert.deepEqual(qualityProblems(doc, false), []);
  });

  it('the verifier rejects scores out of range, missing, or present without the setting', () => {
    const doc = (renditions: unknown[], flag = true): Record<string, unknown> => ({ quality_metrics: flag, renditions });
    const r = (quality: unknown): unknown => ({ name: 'low', quality });
    assert.deepEqual(qualityProblems(doc([r({ ssim: 0, psnr_db: 30 })]), true), ['rendition low: SSIM 0 is not in (0, 1]']);
    assert.deepEqual(qualityProblems(doc([r({ ssim: 1.2, psnr_db: 30 })]), true), ['rendition low: SSIM 1.2 is not in (0, 1]']);
    assert.deepEqual(qualityProblems(doc([r({ ssim: 0.9, psnr_db: null })]), true), ['rendition low: PSNR null dB is not in (0, 100]']);
    assert.equal(qualityProblems(doc([r(null)]), true).length, 2);
    assert.deepEqual(qualityProblems(doc([r({ ssim: 0.9, psnr_db: 30 })], false), false), [
      'rendition low has a quality without QUALITY_METRICS',
    ]);
    assert.deepEqual(qualityProblems(doc([r(null)], false), true), [
      'quality_metrics is not true',
      ...qualityProblems(doc([r(null)]), true),
    ]);
  });
});

describe('QUALITY_METRICS', () => {
  it('is off by default; on turns it on; anything else is refused', () => {
    const base = { API_KEY: 'k'.repeat(32) };
    const load = (env: Record<string, string>): boolean =>
      loadConfig({ env: { ...base, ...env }, cwd: '/srv/vc', envFile: false }).media.qualityMetrics;
    assert.equal(load({}), false);
    assert.equal(load({ QUALITY_METRICS: 'on' }), true);
    assert.equal(load({ QUALITY_METRICS: 'off' }), false);
    assert.throws(() => load({ QUALITY_METRICS: 'yes' }), /QUALITY_METRICS/);
  });
});
