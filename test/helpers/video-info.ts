/**
 * VideoInfo values for pure tests: a plain progressive, square-pixel, untagged SDR H.264 source
 * with stereo AAC, as ffprobe describes one, with any field overridden.
 */
import type { AudioStreamInfo, VideoInfo, VideoStreamInfo } from '../../src/media/types.js';

export const STEREO: AudioStreamInfo = {
  codec: 'aac',
  channels: 2,
  sampleRate: 48000,
  index: 0,
  channelLayout: 'stereo',
  isDefault: true,
  startTime: 0,
  language: null,
};

/** A video stream of `width`x`height` (display = coded unless overridden). */
export function videoStream(width: number, height: number, overrides: Partial<VideoStreamInfo> = {}): VideoStreamInfo {
  return {
    codec: 'h264',
    profile: 'High',
    pixFmt: 'yuv420p',
    width,
    height,
    codedWidth: width,
    codedHeight: height,
    sampleAspect: { num: 1, den: 1 },
    fieldOrder: 'progressive',
    colour: { primaries: null, transfer: null, matrix: null, range: 'tv' },
    dolbyVision: null,
    fps: 30,
    bitRate: null,
    rotation: 0,
    startTime: 0,
    ...overrides,
  };
}

/** A whole source: 60 s, the given video stream, stereo audio unless `audio` is null or a list of tracks. */
export function videoInfo(
  video: VideoStreamInfo,
  options: { durationSeconds?: number; audio?: AudioStreamInfo | null; audioTracks?: readonly AudioStreamInfo[]; formatName?: string } = {},
): VideoInfo {
  const audio = options.audio === undefined ? STEREO : options.audio;
  return {
    formatName: options.formatName ?? 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSeconds: options.durationSeconds ?? 60,
    sizeBytes: 1_000_000,
    bitRate: null,
    video,
    audio,
    audioTracks: options.audioTracks ?? (audio === null ? [] : [audio]),
  };
}
