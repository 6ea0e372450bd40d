/** What a finished job produced: its renditions and the result written back to the record. */

export interface Rendition {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** Peak segment bit rate, b/s (the master's BANDWIDTH). */
  readonly bandwidth: number;
  readonly averageBandwidth: number;
  readonly codecs: string;
  readonly playlistUrl: string;
}

export interface PublishResult {
  readonly hlsUrl: string;
  readonly posterUrl: string;
  readonly renditions: readonly Rendition[];
  /** Empty with PREVIEWS=off, as storyboardUrl and previewUrl are null. */
  readonly thumbnailUrls: readonly string[];
  readonly storyboardUrl: string | null;
  readonly previewUrl: string | null;
  readonly metadataUrl: string;
  /** Of the source, seconds. */
  readonly duration: number;
  readonly width: number;
  readonly height: number;
  readonly processingMs: number;
  readonly outputBytes: number;
  /** ISO-8601. */
  readonly completedAt: string;
}

/** Renditions are stored and shown with snake_case names, like every record field. */
export function renditionToJson(r: Rendition): Record<string, unknown> {
  return {
    name: r.name,
    width: r.width,
    height: r.height,
    bandwidth: r.bandwidth,
    average_bandwidth: r.averageBandwidth,
    codecs: r.codecs,
    playlist_url: r.playlistUrl,
  };
}

export function renditionFromJson(raw: Readonly<Record<string, unknown>>): Rendition {
  return {
    name: String(raw.name),
    width: Number(raw.width),
    height: Number(raw.height),
    bandwidth: Number(raw.bandwidth),
    averageBandwidth: Number(raw.average_bandwidth ?? raw.bandwidth),
    codecs: typeof raw.codecs === 'string' ? raw.codecs : '',
    playlistUrl: String(raw.playlist_url),
  };
}
