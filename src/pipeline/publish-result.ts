import type { PublishResult } from '../domain/rendition.js';
import { hlsUrl } from '../domain/storage-layout.js';
import type { EncodeProgress, TranscodeOutput, VideoInfo } from '../media/types.js';

/** What a finished attempt tells its record: the public URLs of the published ladder and its figures. */
export function publishResultOf(o: {
  readonly key: string;
  readonly publicBaseUrl: string;
  /** Where the files are under the ladder's URL ('' locally, `v<version>/` in a bucket); the master is always at the top. */
  readonly filePrefix?: string;
  readonly info: VideoInfo;
  readonly output: TranscodeOutput;
  readonly started: Date;
  readonly now: Date;
}): PublishResult {
  const { key, publicBaseUrl: base, info, output } = o;
  const prefix = o.filePrefix ?? '';
  const fileUrl = (file: string): string => hlsUrl(base, key, `${prefix}${file}`);
  return {
    hlsUrl: hlsUrl(base, key, output.masterPath),
    posterUrl: fileUrl(output.posterPath),
    renditions: output.renditions.map((r) => ({
      name: r.name,
      width: r.width,
      height: r.height,
      bandwidth: r.bandwidth,
      averageBandwidth: r.averageBandwidth,
      codecs: r.codecs,
      playlistUrl: fileUrl(r.playlistPath),
    })),
    thumbnailUrls: output.previews.thumbnails.map(fileUrl),
    storyboardUrl: output.previews.storyboard === null ? null : fileUrl(output.previews.storyboard),
    previewUrl: output.previews.preview === null ? null : fileUrl(output.previews.preview),
    metadataUrl: fileUrl(output.previews.metadata),
    duration: info.durationSeconds,
    width: info.video.width,
    height: info.video.height,
    processingMs: o.now.getTime() - o.started.getTime(),
    outputBytes: output.outputBytes,
    completedAt: o.now.toISOString(),
  };
}

/** Seconds left of an encode at its current speed. */
export function etaSeconds(info: VideoInfo, p: EncodeProgress): number {
  const remaining = Math.max(0, info.durationSeconds - p.outTimeSeconds);
  return Math.round(remaining / Math.max(0.01, p.speed ?? 1));
}
