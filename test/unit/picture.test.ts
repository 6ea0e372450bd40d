import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../../src/errors.js';
import { validateSource } from '../../src/media/validate-source.js';
import { colourFilters, hdrKindOf, planColour, sourceColour } from '../../src/media/colour.js';
import { buildFilterGraph } from '../../src/media/hls-command.js';
import { interlaceFromTags, needsInterlaceSample, parseIdet, verdictFromIdet } from '../../src/media/interlace.js';
import { planLadder } from '../../src/media/ladder.js';
import { pictureConversions, pictureFilters, planPicture } from '../../src/media/picture.js';
import type { ColourTags } from '../../src/media/types.js';
import { videoInfo, videoStream } from '../helpers/video-info.js';

const OPTIONS = {
  ladder: [
    { name: 'high', height: 1080, crf: 23, maxrateKbps: 0 },
    { name: 'low', height: 480, crf: 32, maxrateKbps: 0 },
  ],
  segmentSeconds: 4,
  maxFps: 60,
  audioBitrateKbps: 128,
};
const tags = (primaries: string | null, transfer: string | null, matrix: string | null, range: string | null = 'tv'): ColourTags => ({
  primaries,
  transfer,
  matrix,
  range,
});

describe('sourceColour: untagged sources are read as players read them', () => {
  it('HD without tags is BT.709; SD NTSC is SMPTE 170M; SD PAL (576 lines or 25 fps) is BT.470BG', () => {
    assert.equal(sourceColour(videoStream(1920, 1080)).matrix, 'bt709');
    assert.equal(sourceColour(videoStream(720, 480, { fps: 29.97 })).matrix, 'smpte170m');
    assert.equal(sourceColour(videoStream(720, 576)).matrix, 'bt470bg');
    assert.equal(sourceColour(videoStream(640, 360, { fps: 25 })).primaries, 'bt470bg');
  });
  it('portrait HD (1080x1920 coded) counts as HD', () => {
    assert.equal(sourceColour(videoStream(1080, 1920)).matrix, 'bt709');
  });
  it('full range from the tag, from yuvj formats and for RGB', () => {
    assert.equal(sourceColour(videoStream(1280, 720, { colour: tags(null, null, null, 'pc') })).range, 'pc');
    assert.equal(sourceColour(videoStream(1280, 720, { pixFmt: 'yuvj420p' })).range, 'pc');
    assert.deepEqual([sourceColour(videoStream(1280, 720, { pixFmt: 'rgb24' })).matrix], ['gbr']);
  });
  it('tags it does not know count as untagged (never reach the filter graph)', () => {
    const c = sourceColour(videoStream(1920, 1080, { colour: tags('x;y', 'bt709', 'evil:m=1') }));
    assert.deepEqual([c.primaries, c.matrix], ['bt709', 'bt709']);
  });
});

describe('planColour', () => {
  it('leaves BT.709 limited range alone, tagged or assumed, whatever the bit depth', () => {
    assert.equal(planColour(videoStream(1920, 1080)).kind, 'none');
    assert.equal(planColour(videoStream(1920, 1080, { pixFmt: 'yuv422p10le', colour: tags('bt709', 'bt709', 'bt709') })).kind, 'none');
  });
  it('converts BT.601, full range and RGB', () => {
    assert.equal(planColour(videoStream(720, 576)).kind, 'convert');
    assert.equal(planColour(videoStream(1920, 1080, { colour: tags('bt709', 'bt709', 'bt709', 'pc') })).kind, 'convert');
    assert.equal(planColour(videoStream(1920, 1080, { pixFmt: 'gbrp' })).kind, 'convert');
  });
  it('tone-maps PQ, HLG and Dolby Vision 8.1/8.4 base layers; not DV 8.2 (SDR)', () => {
    assert.equal(hdrKindOf(videoStream(3840, 2160, { colour: tags('bt2020', 'smpte2084', 'bt2020nc') })), 'pq');
    assert.equal(hdrKindOf(videoStream(1920, 1080, { colour: tags('bt2020', 'arib-std-b67', 'bt2020nc') })), 'hlg');
    assert.equal(hdrKindOf(videoStream(1920, 1080, { dolbyVision: { profile: 8, compatibilityId: 1 } })), 'pq');
    assert.equal(hdrKindOf(videoStream(1920, 1080, { dolbyVision: { profile: 8, compatibilityId: 4 } })), 'hlg');
    assert.equal(hdrKindOf(videoStream(1920, 1080, { dolbyVision: { profile: 8, compatibilityId: 2 } })), null);
    const plan = planColour(videoStream(1920, 1080, { dolbyVision: { profile: 8, compatibilityId: 4 } }));
    assert.equal(plan.kind, 'tonemap');
    assert.deepEqual([plan.source.primaries, plan.source.transfer, plan.source.matrix], ['bt2020', 'arib-std-b67', 'bt2020nc']);
  });
  it('the tone map describes the source explicitly and ends in 8-bit BT.709', () => {
    const filters = colourFilters(planColour(videoStream(1920, 1080, { colour: tags(null, 'smpte2084', null) })), {
      width: 1280,
      height: 720,
    });
    assert.match(filters[0] ?? '', /^zscale=w=1280:h=720:.*pin=bt2020:tin=smpte2084:min=bt2020nc:rin=tv:t=linear:npl=203$/);
    assert.ok(filters.some((f) => f.startsWith('tonemap=')));
    assert.deepEqual(filters.slice(-2), ['zscale=t=bt709:m=bt709:r=tv', 'format=yuv420p']);
  });
});

describe('validateSource and Dolby Vision', () => {
  const limits = { minDurationSeconds: 1, maxDurationSeconds: 86_400, maxPixels: 8192 * 4320 };
  it('refuses profile 5 (no compatible base layer) with a clear, permanent error', () => {
    const info = videoInfo(videoStream(3840, 2160, { codec: 'hevc', dolbyVision: { profile: 5, compatibilityId: 0 } }));
    assert.throws(
      () => validateSource(info, limits),
      (err: unknown) => isAppError(err, 'unsupported_source') && !err.retryable && /profile 5/.test(err.message),
    );
  });
  it('accepts profile 8 with an HLG base layer', () => {
    validateSource(videoInfo(videoStream(1920, 1080, { codec: 'hevc', dolbyVision: { profile: 8, compatibilityId: 4 } })), limits);
  });
});

describe('interlace verdicts', () => {
  it('trusts an interlaced field order, with its parity', () => {
    assert.deepEqual(interlaceFromTags(videoStream(720, 576, { fieldOrder: 'bb' })), { interlaced: true, parity: 'bff', how: 'tagged' });
    assert.equal(interlaceFromTags(videoStream(720, 576, { fieldOrder: 'progressive' })), null);
  });
  it('samples MPEG-2/DV always and H.264 only in broadcast containers', () => {
    assert.equal(needsInterlaceSample(videoInfo(videoStream(720, 576, { codec: 'mpeg2video' }))), true);
    assert.equal(needsInterlaceSample(videoInfo(videoStream(1920, 1080), { formatName: 'mpegts' })), true);
    assert.equal(needsInterlaceSample(videoInfo(videoStream(1920, 1080))), false, 'an MP4 from a phone is trusted');
  });
  it('reads idet and decides by the majority of determined frames', () => {
    const counts = parseIdet([
      '[Parsed_idet_0 @ 0x1] Single frame detection: TFF:    98 BFF:     0 Progressive:    12 Undetermined:   191',
      '[Parsed_idet_0 @ 0x1] Multi frame detection: TFF:   187 BFF:     3 Progressive:     4 Undetermined:     6',
    ]);
    assert.deepEqual(counts, { tff: 187, bff: 3, progressive: 4, undetermined: 6 });
    assert.deepEqual(verdictFromIdet(counts ?? { tff: 0, bff: 0, progressive: 0, undetermined: 0 }), {
      interlaced: true,
      parity: 'tff',
      how: 'sampled',
    });
    assert.equal(verdictFromIdet({ tff: 10, bff: 0, progressive: 180, undetermined: 10 }).interlaced, false);
    assert.equal(verdictFromIdet({ tff: 20, bff: 0, progressive: 5, undetermined: 175 }).interlaced, false, 'a mostly static sample');
    assert.equal(parseIdet(['no report']), null);
  });
});

describe('the filter graph of converted pictures', () => {
  it('a plain progressive BT.709 source gets exactly the graph it always had', () => {
    const graph = buildFilterGraph(planLadder(videoInfo(videoStream(1920, 1080), { audio: null }), OPTIONS));
    assert.match(graph, /^\[0:v\]split=3\[r0\]\[r1\]\[rp\];/);
    assert.doesNotMatch(graph, /bwdif|zscale|tonemap/);
  });
  it('deinterlaces, then converts colour at the top rung size, once, before the split', () => {
    const info = videoInfo(
      videoStream(720, 576, { codec: 'mpeg2video', fieldOrder: 'tt', sampleAspect: { num: 64, den: 45 }, width: 1024 }),
      {
        audio: null,
      },
    );
    const plan = planLadder(info, OPTIONS, { interlaced: true, parity: 'tff', how: 'tagged' });
    assert.deepEqual(
      plan.rungs.map((r) => `${r.width}x${r.height}`),
      ['854x480'],
    );
    const graph = buildFilterGraph(plan);
    assert.match(
      graph,
      /^\[0:v\]bwdif=mode=send_frame:parity=tff:deint=all,zscale=w=854:h=480:[^,]*min=bt470bg[^,]*,format=yuv420p,split=2\[r0\]\[rp\];/,
    );
    assert.deepEqual(pictureConversions(plan.picture), ['deinterlaced', 'anamorphic', 'colour_converted']);
  });
  it('an anamorphic BT.709 source needs no filter of its own: the rung size and setsar=1 square it', () => {
    const picture = planPicture(videoStream(1440, 1080, { sampleAspect: { num: 4, den: 3 }, width: 1920 }));
    assert.deepEqual(pictureFilters(picture, { width: 1920, height: 1080 }), []);
    assert.deepEqual(pictureConversions(picture), ['anamorphic']);
  });
});
