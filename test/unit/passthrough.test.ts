import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePacketLines } from '../../src/media/keyframe-scan.js';
import {
  analyzePackets,
  decidePassthrough,
  forcedKeyframeList,
  type PacketAnalysis,
  type VideoPacket,
} from '../../src/media/passthrough.js';
import type { LadderPlan, PlannedRung, VideoInfo } from '../../src/media/types.js';
import { PROGRESSIVE, type InterlaceVerdict } from '../../src/media/interlace.js';
import { PLAIN_PICTURE, planPicture } from '../../src/media/picture.js';
import { videoInfo, videoStream } from '../helpers/video-info.js';

/** Closed GOPs of `gop` frames, no reordering, `bytes` per frame (key frames 4×). */
function packets({ fps = 30, seconds = 6, gop = 60, bytes = 1000 } = {}): VideoPacket[] {
  return Array.from({ length: fps * seconds }, (_, n) => ({ pts: n / fps, size: n % gop === 0 ? 4 * bytes : bytes, key: n % gop === 0 }));
}

function info(overrides: Partial<VideoInfo['video']> = {}): VideoInfo {
  return videoInfo(videoStream(1280, 720, overrides), { durationSeconds: 6, audio: null, formatName: 'mov,mp4' });
}

const rung = (name: string, width: number, height: number, maxrateKbps: number): PlannedRung => ({
  name,
  width,
  height,
  crf: 23,
  maxrateKbps,
  bufsizeKbps: 2 * maxrateKbps,
  fps: 30,
});
const PLAN: LadderPlan = {
  rungs: [rung('medium', 1280, 720, 3000), rung('low', 854, 480, 1500)],
  poster: { width: 1280, height: 720, atSeconds: 0.6 },
  segmentSeconds: 2,
  audioBitrateKbps: 128,
  picture: PLAIN_PICTURE,
  audio: null,
};
const GOOD: PacketAnalysis = analyzePackets(packets(), 6);

describe('analyzePackets', () => {
  it('lists key-frame times, the longest gap (end included), average and per-GOP peak', () => {
    assert.deepEqual(GOOD.keyframeTimes, [0, 2, 4]);
    assert.equal(GOOD.openGop, false);
    assert.equal(GOOD.firstIsKey, true);
    assert.equal(GOOD.maxKeyframeGapSeconds, 2);
    // 60 frames a GOP: 59 × 1000 + 4000 bytes over 2 s.
    assert.equal(GOOD.peakBps, (63_000 * 8) / 2);
    assert.equal(GOOD.averageBps, (3 * 63_000 * 8) / 6);
  });

  it('counts the tail after the last key frame as a gap', () => {
    assert.equal(analyzePackets(packets({ seconds: 5, gop: 60 }), 5).maxKeyframeGapSeconds, 2);
    assert.equal(analyzePackets(packets({ seconds: 5, gop: 150 }), 5).maxKeyframeGapSeconds, 5);
  });

  it('times key frames from the first pts (MP4 with B-frames starts at an offset)', () => {
    const shifted = packets().map((p) => ({ ...p, pts: p.pts + 0.0667 }));
    assert.deepEqual(analyzePackets(shifted, 6).keyframeTimes, [0, 2, 4]);
  });

  it('detects open GOPs: a frame decoded after a key frame but shown before it', () => {
    const closed: VideoPacket[] = [
      { pts: 0, size: 1, key: true },
      { pts: 0.1, size: 1, key: false },
      { pts: 0.033, size: 1, key: false },
      { pts: 0.067, size: 1, key: false },
      { pts: 0.2, size: 1, key: true },
      { pts: 0.3, size: 1, key: false },
      { pts: 0.233, size: 1, key: false },
    ];
    assert.equal(analyzePackets(closed, 0.4).openGop, false);
    const open = [...closed.slice(0, 5), { pts: 0.133, size: 1, key: false }, ...closed.slice(5)];
    assert.equal(analyzePackets(open, 0.4).openGop, true);
  });

  it('counts key-frame times from the container start when the audio starts before the video', () => {
    const late = packets().map((p) => ({ ...p, pts: p.pts + 0.1 }));
    assert.deepEqual(analyzePackets(late, 6, 0).keyframeTimes, [0.1, 2.1, 4.1]);
    assert.deepEqual(analyzePackets(late, 6, 0.5).keyframeTimes, [0, 2, 4], 'an origin after the first pts is ignored');
  });

  it('notices a stream that does not start with a key frame', () => {
    assert.equal(analyzePackets(packets().slice(1), 6).firstIsKey, false);
  });
});

describe('decidePassthrough', () => {
  it('copies an H.264 8-bit 4:2:0 source of the top rung size, within its cap, key frames every segment', () => {
    assert.deepEqual(decidePassthrough(info(), PLAN, GOOD), { copied: true, reason: 'eligible', keyframeTimes: [0, 2, 4] });
    assert.equal(decidePassthrough(info({ profile: 'Constrained Baseline' }), PLAN, GOOD).copied, true);
  });

  const refusals: Array<[string, VideoInfo, PacketAnalysis, RegExp]> = [
    ['HEVC', info({ codec: 'hevc', profile: 'Main' }), GOOD, /codec hevc/],
    ['10-bit', info({ pixFmt: 'yuv420p10le', profile: 'High 10' }), GOOD, /pixel format/],
    ['4:2:2 profile', info({ profile: 'High 4:2:2' }), GOOD, /profile/],
    ['rotated', info({ rotation: 90 }), GOOD, /rotated/],
    ['taller than the top rung', info({ width: 1600, height: 900 }), GOOD, /not the top rung/],
    ['fps above the rung (MAX_FPS)', info({ fps: 60 }), GOOD, /frame rate/],
    ['open GOP', info(), { ...GOOD, openGop: true }, /open GOP/],
    ['first frame not key', info(), { ...GOOD, firstIsKey: false }, /start with a key frame/],
    ['GOP longer than a segment', info(), analyzePackets(packets({ gop: 90 }), 6), /3\.00 s apart/],
    ['average over the cap', info(), { ...GOOD, averageBps: 3_100_000 }, /average 3100 kb\/s/],
    ['peak over 1.5× the cap', info(), { ...GOOD, peakBps: 4_600_000 }, /peak/],
  ];
  for (const [label, source, scan, reason] of refusals) {
    it(`encodes: ${label}`, () => {
      const decision = decidePassthrough(source, PLAN, scan);
      assert.equal(decision.copied, false);
      assert.match(decision.reason, reason);
    });
  }
});

describe('forcedKeyframeList', () => {
  it('puts each time a quarter frame early, so FFmpeg rounds it to the key frame itself', () => {
    assert.equal(forcedKeyframeList([0, 2, 4], 30), '0.000000,1.991667,3.991667');
    // 1.991667 s × 30 = 59.75 ticks → rounds to frame 60 (2.0 s), never to frame 59.
    assert.equal(Math.round(1.991667 * 30), 60);
  });
});

describe('parsePacketLines', () => {
  it('reads ffprobe compact output (packets in any field order, the format start time)', () => {
    const text =
      'packet|pts_time=0.000000|size=100|flags=K_\npacket|size=20|pts_time=0.033333|flags=__\npacket|pts_time=N/A|size=5|flags=__\nformat|start_time=-0.021333\n\n';
    const scan = parsePacketLines(text);
    assert.deepEqual(
      scan.packets.map((p) => [p.pts, p.size, p.key]),
      [
        [0, 100, true],
        [0.033333, 20, false],
        [Number.NaN, 5, false],
      ],
    );
    assert.equal(scan.startTime, -0.021333);
  });
});

describe('passthrough of pictures that need converting', () => {
  const plain = decidePassthrough(info(), PLAN, GOOD);
  it('copies a plain progressive BT.709 source', () => {
    assert.equal(plain.copied, true);
  });
  const cases: Array<[string, Partial<VideoInfo['video']>, InterlaceVerdict, string]> = [
    ['interlaced', { fieldOrder: 'tt' }, { interlaced: true, parity: 'tff', how: 'tagged' }, 'deinterlaced'],
    ['anamorphic', { sampleAspect: { num: 4, den: 3 } }, PROGRESSIVE, 'anamorphic'],
    ['HDR', { colour: { primaries: 'bt2020', transfer: 'arib-std-b67', matrix: 'bt2020nc', range: 'tv' } }, PROGRESSIVE, 'tonemapped'],
    [
      'BT.601',
      { colour: { primaries: 'smpte170m', transfer: 'smpte170m', matrix: 'smpte170m', range: 'tv' } },
      PROGRESSIVE,
      'colour_converted',
    ],
    ['full range', { colour: { primaries: 'bt709', transfer: 'bt709', matrix: 'bt709', range: 'pc' } }, PROGRESSIVE, 'colour_converted'],
  ];
  for (const [label, video, interlace, reason] of cases) {
    it(`encodes a ${label} source (${reason})`, () => {
      const source = info(video);
      const plan = { ...PLAN, picture: planPicture(source.video, interlace) };
      assert.deepEqual(decidePassthrough(source, plan, GOOD), { copied: false, reason });
    });
  }
});
