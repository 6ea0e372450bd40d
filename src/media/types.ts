/** The media layer's own types: FFprobe's raw output never leaves src/media/probe-parse.ts. */

export interface VideoStreamInfo {
  readonly codec: string;
  /** e.g. "High", "Main 10"; null when unknown. */
  readonly profile: string | null;
  readonly pixFmt: string | null;
  /**
   * Display size: the coded size stretched by the sample aspect ratio, then rotated (a phone's
   * 1920x1080 rotated 90° is 1080x1920; a PAL DVD's 720x576 at SAR 64:45 is 1024x576).
   */
  readonly width: number;
  readonly height: number;
  /** The picture as stored: before the sample aspect ratio and the rotation. */
  readonly codedWidth: number;
  readonly codedHeight: number;
  /** Sample (pixel) aspect ratio, width:height of one pixel; 1:1 when square or unknown. */
  readonly sampleAspect: { readonly num: number; readonly den: number };
  /** FFprobe's field_order: progressive, tt, bb, tb, bt, or unknown. */
  readonly fieldOrder: string;
  /** The stream's colour description (null where untagged). */
  readonly colour: ColourTags;
  /** Dolby Vision configuration (profile and base-layer compatibility id), when the stream carries one. */
  readonly dolbyVision: { readonly profile: number; readonly compatibilityId: number } | null;
  /** Average frame rate, frames per second. */
  readonly fps: number;
  readonly bitRate: number | null;
  /** Degrees from the display matrix / rotate tag, normalised to 0, 90, 180 or 270. */
  readonly rotation: number;
  /** First timestamp, seconds; null when unknown. */
  readonly startTime: number | null;
  /** Frame count when the container declares it (nb_frames); a still image declares 1 or nothing. */
  readonly frameCount?: number | null;
}

/** FFprobe's names: color_primaries, color_transfer, color_space (the matrix) and color_range. */
export interface ColourTags {
  readonly primaries: string | null;
  readonly transfer: string | null;
  readonly matrix: string | null;
  /** tv (limited) or pc (full). */
  readonly range: string | null;
}

export interface AudioStreamInfo {
  readonly codec: string;
  readonly channels: number;
  readonly sampleRate: number;
  /** Position among the file's audio streams: FFmpeg's `0:a:<index>`. */
  readonly index: number;
  /** e.g. "stereo", "5.1(side)"; null when undeclared. */
  readonly channelLayout: string | null;
  /** The container marks it as the default track. */
  readonly isDefault: boolean;
  /** First timestamp, seconds; null when unknown. */
  readonly startTime: number | null;
  readonly language: string | null;
}

export interface VideoInfo {
  readonly formatName: string;
  readonly durationSeconds: number;
  readonly sizeBytes: number;
  readonly bitRate: number | null;
  readonly video: VideoStreamInfo;
  /** The track the ladder carries (see chooseAudioTrack), or null when the file has none. */
  readonly audio: AudioStreamInfo | null;
  /** Every audio stream, in file order. */
  readonly audioTracks: readonly AudioStreamInfo[];
}

/**
 * What was done to a source on its way into the ladder, as the job reports it: `deinterlaced`,
 * `anamorphic` (non-square pixels made square), `tonemapped` (HDR to SDR), `colour_converted`
 * (another matrix, gamut or range to BT.709), `downmixed` (surround to stereo), `mono_to_stereo`,
 * `audio_padded` (a track starting after the video, filled with silence from 0 s).
 */
export type Conversion =
  'deinterlaced' | 'anamorphic' | 'tonemapped' | 'colour_converted' | 'downmixed' | 'mono_to_stereo' | 'audio_padded';

export interface PlannedRung {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly crf: number;
  readonly maxrateKbps: number;
  readonly bufsizeKbps: number;
  readonly fps: number;
}

export interface LadderPlan {
  /** Highest first; never larger than the source. */
  readonly rungs: readonly PlannedRung[];
  readonly poster: { readonly width: number; readonly height: number; readonly atSeconds: number };
  readonly segmentSeconds: number;
  readonly audioBitrateKbps: number;
  /** The shared steps before the rungs' scalers (deinterlace, colour), and what they amount to. */
  readonly picture: PicturePlan;
  /** The track carried and how it becomes stereo; null for a source without audio. */
  readonly audio: AudioPlan | null;
}

/** FFmpeg arguments as plain data, built by pure code and run by ffmpeg-runner.ts. */
export interface FfmpegCommand {
  readonly input: string;
  readonly inputOptions: readonly string[];
  /** The -filter_complex graph, or null. */
  readonly filterComplex: string | null;
  readonly outputs: ReadonlyArray<{ readonly path: string; readonly options: readonly string[] }>;
}

export interface EncodeProgress {
  /** 0-100 of the encode. */
  readonly percent: number;
  /** Seconds of output produced so far. */
  readonly outTimeSeconds: number;
  /** Encode speed as a multiple of real time, when FFmpeg reports it. */
  readonly speed: number | null;
}

export interface MeasuredRendition {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** Peak segment bit rate, b/s. */
  readonly bandwidth: number;
  readonly averageBandwidth: number;
  /** RFC 6381, e.g. "avc1.64001f,mp4a.40.2". */
  readonly codecs: string;
  /** Relative to the ladder's directory, e.g. "high/playlist.m3u8". */
  readonly playlistPath: string;
  readonly segmentCount: number;
  readonly durationSeconds: number;
  readonly bytes: number;
}

/** Result of transcodeLadder: a verified ladder in `outDir`. */
export interface TranscodeOutput {
  readonly info: VideoInfo;
  readonly plan: LadderPlan;
  readonly renditions: readonly MeasuredRendition[];
  /** Relative to outDir. */
  readonly masterPath: string;
  readonly posterPath: string;
  readonly outputBytes: number;
  readonly encodeMs: number;
  /** Whether the top rung is the source's video stream-copied, and why (or why not). */
  readonly topRung: TopRungDecision;
  /** What was done to the picture and the sound on the way (empty for a plain source). */
  readonly conversions: readonly Conversion[];
  /** Last lines of FFmpeg's stderr. */
  readonly logTail: readonly string[];
  /** Thumbnails, storyboard, preview and metadata.json, made from the encoded rungs. */
  readonly previews: PreviewOutputs;
  /** How long making the previews and metadata.json took (after the encode). */
  readonly previewsMs: number;
}

/** The outputs of the previews step, relative to outDir (docs/media.md); empty or null when PREVIEWS=off. */
export interface PreviewOutputs {
  /** `thumbnails/thumb-01.jpg` … */
  readonly thumbnails: readonly string[];
  /** `storyboard/storyboard.vtt` (its cues point at `sprite-N.jpg` beside it). */
  readonly storyboard: string | null;
  readonly preview: string | null;
  /** `metadata.json`: always written. */
  readonly metadata: string;
}

/**
 * The one passthrough decision, from the pure check (passthrough.ts) through the FFmpeg command
 * (hls-command.ts) to the result: the top rung is the source's video stream-copied, the other rungs
 * taking their key frames at `keyframeTimes` (seconds on FFmpeg's output timeline); or every rung is
 * encoded, and why.
 */
export type TopRungDecision =
  | { readonly copied: true; readonly reason: 'eligible'; readonly keyframeTimes: readonly number[] }
  /** `reason`, e.g. "codec hevc" or "PASSTHROUGH=off". */
  | { readonly copied: false; readonly reason: string };

/**
 * What the source's pixels mean, and what has to happen to them so every rung is 8-bit 4:2:0
 * BT.709 SDR in limited range. Pure. Names are FFprobe's, which zscale also accepts.
 */
export interface SourceColour {
  readonly primaries: string;
  readonly transfer: string;
  /** The YCbCr matrix, or `gbr` for an RGB source. */
  readonly matrix: string;
  readonly range: 'tv' | 'pc';
  /** Which of the four came from the file; the rest were assumed as players assume them. */
  readonly tagged: boolean;
}

export type HdrKind = 'pq' | 'hlg';

export type ColourPlan =
  /** Already BT.709 limited range (tagged or assumed): only the 8-bit 4:2:0 format step, if even that. */
  | { readonly kind: 'none'; readonly source: SourceColour }
  /** SDR in another matrix, gamut or range, or RGB: one zscale to BT.709. */
  | { readonly kind: 'convert'; readonly source: SourceColour }
  /** HDR: linearised, gamut-mapped and tone-mapped to BT.709 SDR. */
  | { readonly kind: 'tonemap'; readonly source: SourceColour; readonly hdr: HdrKind };

/**
 * What is done to the source's pictures before they are scaled into rungs, once for every rung and
 * the poster: deinterlacing, then the colour step. Anamorphic sources need no filter of their own:
 * rung sizes come from the display size and every branch ends in square pixels. Pure data.
 */
export interface PicturePlan {
  readonly deinterlace: { readonly parity: 'tff' | 'bff' | 'auto' } | null;
  readonly colour: ColourPlan;
  /** Non-square source pixels (SAR ≠ 1:1). */
  readonly anamorphic: boolean;
}

/** How the ladder's one stereo AAC track is made from the chosen source track. Pure data. */
export interface AudioPlan {
  /** FFmpeg's `0:a:<index>`. */
  readonly index: number;
  readonly channels: number;
  /** mono: both channels get it at full level; surround: folded down to stereo; none: already stereo. */
  readonly mix: 'none' | 'mono' | 'surround';
}
