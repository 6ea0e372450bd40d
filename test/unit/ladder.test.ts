import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LadderRungSpec } from '../../src/config/parsers.js';
import { isAppError } from '../../src/errors.js';
import { deriveMaxrateKbps, fitShortSide, planLadder, selectRungs, type LadderOptions } from '../../src/media/ladder.js';
import type { VideoInfo } from '../../src/media/types.js';
import { videoInfo, videoStream } from '../helpers/video-info.js';

const LADDER: LadderRungSpec[] = [
  { name: 'high', height: 1080, crf: 23, maxrateKbps: 0 },
  { name: 'medium', height: 720, crf: 28, maxrateKbps: 0 },
  { name: 'low', height: 480, crf: 32, maxrateKbps: 0 },
];
const OPTIONS: LadderOptions = { ladder: LADDER, segmentSeconds: 10, maxFps: 60, audioBitrateKbps: 128 };

function source(width: number, height: number, extra: { fps?: number; duration?: number; audio?: boolean } = {}): VideoInfo {
  return videoInfo(videoStream(width, height, { fps: extra.fps ?? 30 }), {
    durationSeconds: extra.duration ?? 60,
    ...(extra.audio === false ? { audio: null } : {}),
  });
}

const sizes = (info: VideoInfo, options = OPTIONS): string[] =>
  planLadder(info, options).rungs.map((r) => `${r.name}:${r.width}x${r.height}`);

describe('planLadder', () => {
  it('keeps every rung for a 1080p source', () => {
    assert.deepEqual(sizes(source(1920, 1080)), ['high:1920x1080', 'medium:1280x720', 'low:854x480']);
  });

  it('drops rungs above the source and keeps the one equal to it', () => {
    assert.deepEqual(sizes(source(1280, 720)), ['medium:1280x720', 'low:854x480']);
    assert.deepEqual(sizes(source(854, 480)), ['low:854x480']);
  });

  it('keeps the aspect ratio with even sides for 1366x768', () => {
    assert.deepEqual(sizes(source(1366, 768)), ['medium:1280x720', 'low:854x480']);
  });

  it('treats the rung height as the shorter side for portrait sources', () => {
    assert.deepEqual(sizes(source(1080, 1920)), ['high:1080x1920', 'medium:720x1280', 'low:480x854']);
  });

  it('gives a source below the lowest rung one rung at its own size, with the lowest rung name and CRF', () => {
    const plan = planLadder(source(320, 240), OPTIONS);
    assert.equal(plan.rungs.length, 1);
    const [rung] = plan.rungs;
    assert.deepEqual([rung?.name, rung?.width, rung?.height, rung?.crf], ['low', 320, 240, 32]);
  });

  it('rounds odd source sizes to even sides without upscaling', () => {
    assert.deepEqual(sizes(source(641, 361)), ['low:640x360']);
    assert.deepEqual(sizes(source(1921, 1081)), ['high:1920x1080', 'medium:1280x720', 'low:852x480']);
    assert.deepEqual(sizes(source(479, 853)), ['low:478x852']);
  });

  it('never exceeds the source and stays within 1% of its aspect ratio', () => {
    for (const [w, h] of [
      [1920, 1080],
      [1366, 768],
      [1080, 1920],
      [1440, 1080],
      [2560, 1080],
      [720, 576],
      [3840, 2160],
      [1000, 1000],
      [641, 479],
    ] as const) {
      for (const rung of planLadder(source(w, h), OPTIONS).rungs) {
        assert.ok(rung.width <= w && rung.height <= h, `${rung.width}x${rung.height} exceeds ${w}x${h}`);
        assert.equal(rung.width % 2, 0);
        assert.equal(rung.height % 2, 0);
        assert.ok(Math.abs(rung.width / rung.height / (w / h) - 1) < 0.01, `${rung.width}x${rung.height} distorts ${w}x${h}`);
      }
    }
  });

  it('sorts an unsorted ladder, highest first', () => {
    assert.deepEqual(sizes(source(1920, 1080), { ...OPTIONS, ladder: [LADDER[2]!, LADDER[0]!, LADDER[1]!] }), [
      'high:1920x1080',
      'medium:1280x720',
      'low:854x480',
    ]);
  });

  it('caps the frame rate at maxFps and keeps lower rates', () => {
    assert.ok(planLadder(source(1920, 1080, { fps: 120 }), { ...OPTIONS, maxFps: 30 }).rungs.every((r) => r.fps === 30));
    assert.ok(planLadder(source(1920, 1080, { fps: 30000 / 1001 }), OPTIONS).rungs.every((r) => Math.abs(r.fps - 29.97) < 0.01));
    assert.ok(planLadder(source(1920, 1080, { fps: 0 }), OPTIONS).rungs.every((r) => r.fps === 30));
  });

  it('derives caps from the frame size and uses bufsize = 2 x maxrate', () => {
    const [high, medium, low] = planLadder(source(1920, 1080), OPTIONS).rungs;
    assert.equal(high?.maxrateKbps, 6000);
    assert.ok(medium && medium.maxrateKbps >= 2700 && medium.maxrateKbps <= 3300, `medium ${medium?.maxrateKbps}`);
    assert.ok(low && low.maxrateKbps >= 1300 && low.maxrateKbps <= 1700, `low ${low?.maxrateKbps}`);
    for (const rung of [high, medium, low]) assert.equal(rung?.bufsizeKbps, 2 * (rung?.maxrateKbps ?? 0));
  });

  it('uses the ladder cap when one is given', () => {
    const ladder = [{ name: 'high', height: 1080, crf: 23, maxrateKbps: 4500 }];
    const [rung] = planLadder(source(1920, 1080), { ...OPTIONS, ladder }).rungs;
    assert.deepEqual([rung?.maxrateKbps, rung?.bufsizeKbps], [4500, 9000]);
  });

  it('raises the derived cap mildly with the frame rate', () => {
    const at30 = deriveMaxrateKbps(1920, 1080, 30);
    const at60 = deriveMaxrateKbps(1920, 1080, 60);
    assert.ok(at60 > at30 && at60 < 2 * at30, `${at30} → ${at60}`);
  });

  it('takes the poster at the top rung size, 10% in but no later than 5 s and never past the end', () => {
    assert.deepEqual(planLadder(source(1366, 768, { duration: 60 }), OPTIONS).poster, { width: 1280, height: 720, atSeconds: 5 });
    assert.equal(planLadder(source(1920, 1080, { duration: 6 }), OPTIONS).poster.atSeconds, 0.6);
    const tiny = planLadder(source(1920, 1080, { duration: 0.02 }), OPTIONS).poster.atSeconds;
    assert.ok(tiny >= 0 && tiny < 0.02);
  });

  it('records audio presence, segment length and audio bitrate', () => {
    const plan = planLadder(source(1280, 720, { audio: false }), { ...OPTIONS, segmentSeconds: 4, audioBitrateKbps: 96 });
    assert.deepEqual([plan.audio, plan.segmentSeconds, plan.audioBitrateKbps], [null, 4, 96]);
    assert.deepEqual(planLadder(source(1280, 720), OPTIONS).audio, { index: 0, channels: 2, mix: 'none' });
  });
});

describe('fitShortSide', () => {
  it('scales the shorter side to the target for landscape and portrait', () => {
    assert.deepEqual(fitShortSide(1920, 1080, 720), { width: 1280, height: 720 });
    assert.deepEqual(fitShortSide(1080, 1920, 720), { width: 720, height: 1280 });
    assert.deepEqual(fitShortSide(1000, 1000, 480), { width: 480, height: 480 });
  });
});

describe('selectRungs (a per-job ladder)', () => {
  it("keeps the named rungs in LADDER's order, whatever the order asked", () => {
    assert.deepEqual(
      selectRungs(LADDER, ['low', 'high']).map((r) => r.name),
      ['high', 'low'],
    );
    assert.deepEqual(sizes(source(1920, 1080), { ...OPTIONS, ladder: selectRungs(LADDER, ['low']) }), ['low:854x480']);
  });

  it('never upscales: rungs above the source give one rung at its own size', () => {
    assert.deepEqual(sizes(source(640, 360), { ...OPTIONS, ladder: selectRungs(LADDER, ['high']) }), ['high:640x360']);
  });

  it('refuses unknown names and an empty list with ladder_invalid (permanent), naming what LADDER has', () => {
    for (const names of [['ultra'], ['low', 'Low'], []]) {
      assert.throws(
        () => selectRungs(LADDER, names),
        (err: unknown) => isAppError(err, 'ladder_invalid') && !err.retryable && /LADDER defines high, medium, low/.test(err.message),
      );
    }
  });
});
