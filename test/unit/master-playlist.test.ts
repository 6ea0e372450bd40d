import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { avc1Codec, mp4aCodec, parseMediaPlaylist, renderMasterPlaylist } from '../../src/media/master-playlist.js';
import type { MeasuredRendition } from '../../src/media/types.js';

function rendition(
  name: string,
  width: number,
  height: number,
  bandwidth: number,
  extra: Partial<MeasuredRendition> = {},
): MeasuredRendition {
  return {
    name,
    width,
    height,
    fps: 30,
    bandwidth,
    averageBandwidth: bandwidth * 0.7,
    codecs: 'avc1.640028,mp4a.40.2',
    playlistPath: `${name}/playlist.m3u8`,
    segmentCount: 3,
    durationSeconds: 6,
    bytes: 1000,
    ...extra,
  };
}

describe('renderMasterPlaylist', () => {
  it('renders the header and one stream per rung, highest first', () => {
    const text = renderMasterPlaylist([
      rendition('low', 854, 480, 900_000.2, { codecs: 'avc1.4d401f,mp4a.40.2', averageBandwidth: 600_000 }),
      rendition('high', 1920, 1080, 5_000_000, { averageBandwidth: 3_500_000.5 }),
      rendition('medium', 1280, 720, 2_000_000, { codecs: 'avc1.64001f,mp4a.40.2', averageBandwidth: 1_400_000, fps: 30000 / 1001 }),
    ]);
    assert.equal(
      text,
      [
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '',
        '#EXT-X-STREAM-INF:BANDWIDTH=5000000,AVERAGE-BANDWIDTH=3500001,RESOLUTION=1920x1080,CODECS="avc1.640028,mp4a.40.2",FRAME-RATE=30.000',
        'high/playlist.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=2000000,AVERAGE-BANDWIDTH=1400000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",FRAME-RATE=29.970',
        'medium/playlist.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=900001,AVERAGE-BANDWIDTH=600000,RESOLUTION=854x480,CODECS="avc1.4d401f,mp4a.40.2",FRAME-RATE=30.000',
        'low/playlist.m3u8',
        '',
      ].join('\n'),
    );
  });

  it('orders portrait rungs by frame size too', () => {
    const text = renderMasterPlaylist([rendition('low', 480, 854, 1), rendition('high', 1080, 1920, 3)]);
    const uris = text.split('\n').filter((l) => l.endsWith('.m3u8'));
    assert.deepEqual(uris, ['high/playlist.m3u8', 'low/playlist.m3u8']);
    assert.match(text, /RESOLUTION=1080x1920/);
  });

  it('declares video-only codecs for a silent source', () => {
    assert.match(renderMasterPlaylist([rendition('low', 320, 240, 1, { codecs: 'avc1.4d401e' })]), /CODECS="avc1\.4d401e",/);
  });
});

describe('parseMediaPlaylist', () => {
  it('reads target duration, EXTINF durations, URIs and the end tag', () => {
    const playlist = parseMediaPlaylist(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXTINF:2.000000,',
        'segment000.ts',
        '#EXTINF:1.966667,',
        'segment001.ts',
        '#EXT-X-ENDLIST',
        '',
      ].join('\r\n'),
    );
    assert.equal(playlist.targetDuration, 2);
    assert.equal(playlist.endList, true);
    assert.deepEqual(playlist.segments, [
      { uri: 'segment000.ts', durationSeconds: 2 },
      { uri: 'segment001.ts', durationSeconds: 1.966667 },
    ]);
  });

  it('reports an unfinished playlist', () => {
    const playlist = parseMediaPlaylist('#EXTM3U\n#EXTINF:2,\nsegment000.ts\n');
    assert.deepEqual([playlist.endList, playlist.targetDuration, playlist.segments.length], [false, null, 1]);
  });
});

describe('RFC 6381 codec strings', () => {
  it('maps H.264 profile and level', () => {
    assert.equal(avc1Codec('High', 40), 'avc1.640028');
    assert.equal(avc1Codec('High', 31), 'avc1.64001f');
    assert.equal(avc1Codec('Main', 30), 'avc1.4d401e');
    assert.equal(avc1Codec('Constrained Baseline', 30), 'avc1.42e01e');
    assert.equal(avc1Codec('High', 42), 'avc1.64002a');
  });

  it('maps AAC profiles', () => {
    assert.equal(mp4aCodec('LC'), 'mp4a.40.2');
    assert.equal(mp4aCodec('HE-AAC'), 'mp4a.40.5');
    assert.equal(mp4aCodec('HE-AACv2'), 'mp4a.40.29');
  });
});
