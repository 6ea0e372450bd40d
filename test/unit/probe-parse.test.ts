import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { audioConversions, audioFilterGraph, planAudio } from '../../src/media/audio-plan.js';
import { chooseAudioTrack, toVideoInfo, type RawStream } from '../../src/media/probe-parse.js';
import { STEREO, videoInfo, videoStream } from '../helpers/video-info.js';

const video = (extra: RawStream = {}): RawStream => ({ codec_type: 'video', codec_name: 'h264', width: 1920, height: 1080, ...extra });
const audio = (extra: RawStream = {}): RawStream => ({
  codec_type: 'audio',
  codec_name: 'aac',
  channels: 2,
  sample_rate: '48000',
  ...extra,
});
const parse = (...streams: RawStream[]) => toVideoInfo({ streams, format: { format_name: 'mov', duration: '10' } });

describe('toVideoInfo: display size', () => {
  it('stretches by the sample aspect ratio (PAL DVD 720x576 at 64:45 shows 1024x576)', () => {
    const v = parse(video({ width: 720, height: 576, sample_aspect_ratio: '64:45' })).video;
    assert.deepEqual([v.width, v.height, v.codedWidth, v.codedHeight, v.sampleAspect], [1024, 576, 720, 576, { num: 64, den: 45 }]);
  });
  it('stretches, then rotates', () => {
    const v = parse(video({ width: 1440, height: 1080, sample_aspect_ratio: '4:3', tags: { rotate: '90' } })).video;
    assert.deepEqual([v.width, v.height], [1080, 1920]);
  });
  it('reads 0:1 and N/A as square pixels', () => {
    assert.deepEqual(parse(video({ sample_aspect_ratio: '0:1' })).video.sampleAspect, { num: 1, den: 1 });
    assert.deepEqual(parse(video({ sample_aspect_ratio: 'N/A' })).video.width, 1920);
  });
  it('reads colour tags, untagged as null, and the Dolby Vision record', () => {
    const v = parse(
      video({
        color_primaries: 'bt2020',
        color_transfer: 'arib-std-b67',
        color_space: 'unknown',
        field_order: 'progressive',
        side_data_list: [{ side_data_type: 'DOVI configuration record', dv_profile: 8, dv_bl_signal_compatibility_id: 4 }],
      }),
    ).video;
    assert.deepEqual(v.colour, { primaries: 'bt2020', transfer: 'arib-std-b67', matrix: null, range: null });
    assert.deepEqual(v.dolbyVision, { profile: 8, compatibilityId: 4 });
    assert.equal(v.fieldOrder, 'progressive');
  });
});

describe('the audio track carried', () => {
  it('is the default-marked one, even when it is not first', () => {
    const info = parse(video(), audio({ disposition: { default: 0 } }), audio({ disposition: { default: 1 }, tags: { language: 'fra' } }));
    assert.deepEqual([info.audio?.index, info.audio?.language, info.audioTracks.length], [1, 'fra', 2]);
  });
  it('else the one with the most channels, the first of those', () => {
    const tracks = [audio({ channels: 2 }), audio({ channels: 6 }), audio({ channels: 6 })];
    assert.equal(parse(video(), ...tracks).audio?.index, 1);
    assert.equal(chooseAudioTrack([]), null);
  });
});

describe('audio plan', () => {
  it('pads from 0 s, duplicates mono, folds surround down without clipping, one output per rung', () => {
    assert.equal(audioFilterGraph({ index: 0, channels: 2, mix: 'none' }, 2), '[0:a:0]aresample=async=1:first_pts=0,asplit=2[a0][a1]');
    assert.match(audioFilterGraph({ index: 1, channels: 1, mix: 'mono' }, 1), /^\[0:a:1\].*pan=stereo\|c0=c0\|c1=c0,asplit=1\[a0\]$/);
    assert.match(
      audioFilterGraph({ index: 0, channels: 6, mix: 'surround' }, 3),
      /ochl=stereo.*rematrix_maxval=1,asplit=3\[a0\]\[a1\]\[a2\]$/,
    );
  });
  it('names what it does', () => {
    const late = { ...STEREO, startTime: 2 };
    assert.deepEqual(audioConversions(videoInfo(videoStream(640, 360), { audio: late }), planAudio(late)), ['audio_padded']);
    const six = { ...STEREO, channels: 6 };
    assert.deepEqual(audioConversions(videoInfo(videoStream(640, 360), { audio: six }), planAudio(six)), ['downmixed']);
    assert.deepEqual(audioConversions(videoInfo(videoStream(640, 360)), planAudio(STEREO)), []);
    assert.equal(planAudio(null), null);
  });
});
