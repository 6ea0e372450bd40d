import { AppError } from '../errors.js';
import type { AudioStreamInfo, ColourTags, VideoInfo, VideoStreamInfo } from './types.js';

/** FFprobe's JSON, as far as the media layer reads it; it never leaves src/media. */
export interface RawStream {
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  level?: number;
  pix_fmt?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  field_order?: string;
  color_range?: string;
  color_space?: string;
  color_transfer?: string;
  color_primaries?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  bit_rate?: string;
  start_time?: string;
  duration?: string;
  nb_frames?: string;
  nb_read_frames?: string;
  channels?: number;
  channel_layout?: string;
  sample_rate?: string;
  tags?: Record<string, string>;
  disposition?: Record<string, number>;
  side_data_list?: Array<{ side_data_type?: string; rotation?: number; dv_profile?: number; dv_bl_signal_compatibility_id?: number }>;
}

export interface RawProbe {
  streams?: RawStream[];
  format?: { format_name?: string; duration?: string; size?: string; bit_rate?: string };
}

/** Converts ffprobe's JSON into VideoInfo: display size from SAR and rotation, colour, every audio track. Pure. */
export function toVideoInfo(raw: RawProbe, file = ''): VideoInfo {
  const streams = raw.streams ?? [];
  if (streams.length === 0) {
    throw new AppError('invalid_format', 'The file contains no media streams.', { context: { file } });
  }
  const videoRaw = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  if (!videoRaw) {
    const kinds = streams.map((s) => s.codec_type ?? 'unknown');
    throw new AppError('no_video_stream', `The file has no video stream (streams: ${kinds.join(', ')}).`, {
      context: { file, streams: kinds },
    });
  }
  const audioTracks = streams.filter((s) => s.codec_type === 'audio').map(toAudioStream);
  const format = raw.format ?? {};
  const duration = toNumberOrNull(format.duration) ?? toNumberOrNull(videoRaw.duration) ?? Number.NaN;
  return {
    formatName: format.format_name ?? 'unknown',
    durationSeconds: duration,
    sizeBytes: toNumberOrNull(format.size) ?? 0,
    bitRate: toNumberOrNull(format.bit_rate),
    video: toVideoStream(videoRaw),
    audio: chooseAudioTrack(audioTracks),
    audioTracks,
  };
}

/**
 * The track a viewer gets: the one the container marks default, else the one with the most
 * channels (the first of those), as players pick. Pure.
 */
export function chooseAudioTrack(tracks: readonly AudioStreamInfo[]): AudioStreamInfo | null {
  const marked = tracks.find((t) => t.isDefault);
  if (marked) return marked;
  return tracks.reduce<AudioStreamInfo | null>((best, t) => (best === null || t.channels > best.channels ? t : best), null);
}

function toVideoStream(s: RawStream): VideoStreamInfo {
  const rotation = rotationOf(s);
  const codedWidth = s.width ?? 0;
  const codedHeight = s.height ?? 0;
  const sampleAspect = parseSampleAspect(s.sample_aspect_ratio);
  // A stretched pixel widens the picture (the usual way: DVD, HDV, broadcast); the height is the coded one.
  const stretched = Math.round((codedWidth * sampleAspect.num) / sampleAspect.den);
  const swap = rotation === 90 || rotation === 270;
  const avg = parseRate(s.avg_frame_rate);
  return {
    codec: s.codec_name ?? 'unknown',
    profile: s.profile ?? null,
    pixFmt: s.pix_fmt ?? null,
    width: swap ? codedHeight : stretched,
    height: swap ? stretched : codedHeight,
    codedWidth,
    codedHeight,
    sampleAspect,
    fieldOrder: s.field_order ?? 'unknown',
    colour: colourOf(s),
    dolbyVision: dolbyVisionOf(s),
    fps: avg > 0 ? avg : parseRate(s.r_frame_rate),
    bitRate: toNumberOrNull(s.bit_rate),
    rotation,
    startTime: toNumberOrNull(s.start_time),
    frameCount: toNumberOrNull(s.nb_frames),
  };
}

function toAudioStream(s: RawStream, index: number): AudioStreamInfo {
  return {
    codec: s.codec_name ?? 'unknown',
    channels: s.channels ?? 0,
    sampleRate: toNumberOrNull(s.sample_rate) ?? 0,
    index,
    channelLayout: s.channel_layout ?? null,
    isDefault: s.disposition?.default === 1,
    startTime: toNumberOrNull(s.start_time),
    language: s.tags?.language ?? null,
  };
}

/** "unknown", "unspecified", "reserved" and absent all mean untagged. */
function colourOf(s: RawStream): ColourTags {
  const tag = (value: string | undefined): string | null =>
    value === undefined || value === '' || value === 'unknown' || value === 'unspecified' || value === 'reserved' ? null : value;
  return { primaries: tag(s.color_primaries), transfer: tag(s.color_transfer), matrix: tag(s.color_space), range: tag(s.color_range) };
}

function dolbyVisionOf(s: RawStream): VideoStreamInfo['dolbyVision'] {
  const record = s.side_data_list?.find((d) => d.side_data_type === 'DOVI configuration record');
  if (record?.dv_profile === undefined) return null;
  return { profile: record.dv_profile, compatibilityId: record.dv_bl_signal_compatibility_id ?? 0 };
}

/** "64:45" → {64, 45}; "0:1", "N/A" or absent → 1:1 (square, as FFmpeg assumes). */
function parseSampleAspect(text: string | undefined): { num: number; den: number } {
  const [num, den] = (text ?? '').split(':').map(Number);
  if (num === undefined || den === undefined || !(num > 0) || !(den > 0)) return { num: 1, den: 1 };
  return { num, den };
}

/** Clockwise display rotation: the legacy rotate tag, else the display matrix (counter-clockwise, hence negated). */
function rotationOf(s: RawStream): number {
  const tag = toNumberOrNull(s.tags?.rotate);
  const matrix = s.side_data_list?.find((d) => d.side_data_type === 'Display Matrix')?.rotation;
  const degrees = tag ?? (typeof matrix === 'number' ? -matrix : 0);
  const normalised = (((Math.round(degrees / 90) * 90) % 360) + 360) % 360;
  return normalised;
}

/** "30000/1001" → 29.97; "0/0" or garbage → 0. */
export function parseRate(text: string | undefined): number {
  if (!text) return 0;
  const [num, den = '1'] = text.split('/');
  const value = Number(num) / Number(den);
  return Number.isFinite(value) && value > 0 ? value : 0;
}

export function toNumberOrNull(text: string | number | undefined): number | null {
  if (text === undefined || text === '' || text === 'N/A') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}
