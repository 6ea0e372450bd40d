/** The media layer's own types: FFprobe's raw output never leaves src/media/ffprobe.ts. */

export interface VideoStreamInfo {
  readonly codec: string;
  /** e.g. "High", "Main 10"; null when unknown. */
  readonly profile: string | null;
  readonly pixFmt: string | null;
  /** Display size: rotation metadata already applied (a phone's 1920x1080 rotated 90° is 1080x1920). */
  readonly width: number;
  readonly height: number;
  /** Average frame rate, frames per second. */
  readonly fps: number;
  readonly bitRate: number | null;
  /** Degrees from the display matrix / rotate tag, normalised to 0, 90, 180 or 270. */
  readonly rotation: number;
  /** Frame count when the container declares it (nb_frames); a still image declares 1 or nothing. */
  readonly frameCount?: number | null;
}

export interface AudioStreamInfo {
  readonly codec: string;
  readonly channels: number;
  readonly sampleRate: number;
}

export interface VideoInfo {
  readonly formatName: string;
  readonly durationSeconds: number;
  readonly sizeBytes: number;
  readonly bitRate: number | null;
  readonly video: VideoStreamInfo;
  readonly audio: AudioStreamInfo | null;
}

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
  readonly hasAudio: boolean;
  readonly audioBitrateKbps: number;
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
  /** Last lines of FFmpeg's stderr. */
  readonly logTail: readonly string[];
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
