import type { MeasuredRendition } from '../../src/media/types.js';

/** A measured rung of `width`×`height` at 30 fps, 10 s in one segment; the other figures are placeholders. */
export function measuredRendition(name: string, width: number, height: number): MeasuredRendition {
  return {
    name,
    width,
    height,
    fps: 30,
    bandwidth: 1,
    averageBandwidth: 1,
    codecs: 'avc1.64001f',
    playlistPath: `${name}/playlist.m3u8`,
    segmentCount: 1,
    durationSeconds: 10,
    bytes: 1,
  };
}
