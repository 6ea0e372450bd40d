/**
 * metadata.json: what the source was, what was done to it, what came out. Built by a pure
 * function (snake_case keys, as the record fields); `schema_version` changes when a field changes meaning.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LadderPlan, MeasuredRendition, TranscodeOutput, VideoInfo } from '../types.js';
import type { QualityMeasurement, RenditionQuality } from './quality-metrics.js';
import type { PreviewsMade } from './types.js';

export const METADATA_SCHEMA_VERSION = 1;

/** The facts of a ladder that metadata.json reports (paths relative to the ladder directory). */
export type LadderFacts = Pick<
  TranscodeOutput,
  'info' | 'plan' | 'topRung' | 'conversions' | 'renditions' | 'masterPath' | 'posterPath' | 'encodeMs'
>;

/** Everything metadata.json is made of. */
export interface MetadataInput extends LadderFacts {
  readonly previews: PreviewsMade;
  readonly previewsMs: number;
  /** QUALITY_METRICS=on: every rendition's scores; null when off. */
  readonly quality: QualityMeasurement | null;
}

/** One rendition as metadata.json lists it. */
export interface RenditionMetadata {
  readonly name: string;
  readonly playlist: string;
  readonly width: number;
  readonly height: number;
  readonly frame_rate: number;
  readonly codecs: string;
  readonly bandwidth: number;
  readonly average_bandwidth: number;
  readonly bytes: number;
  readonly segment_count: number;
  readonly duration_seconds: number;
  /** Against the source at the rung's size (QUALITY_METRICS=on); null when not measured. */
  readonly quality: { readonly ssim: number; readonly psnr_db: number } | null;
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** The metadata.json document. Pure. */
export function buildMetadata(input: MetadataInput): Record<string, unknown> {
  const { previews } = input;
  return {
    schema_version: METADATA_SCHEMA_VERSION,
    source: sourceFacts(input.info, input.plan),
    processing: {
      passthrough: { copied: input.topRung.copied, reason: input.topRung.reason },
      conversions: [...input.conversions],
      encode_ms: input.encodeMs,
      previews_ms: input.previewsMs,
      quality_ms: input.quality?.ms ?? null,
    },
    master: input.masterPath,
    poster: input.posterPath,
    poster_seconds: previews.thumbnails?.posterSeconds ?? null,
    quality_metrics: input.quality !== null,
    renditions: renditionsMetadata(input.renditions, input.quality),
    thumbnails: previews.thumbnails && {
      files: previews.thumbnails.files,
      width: previews.thumbnails.size.width,
      height: previews.thumbnails.size.height,
      times_seconds: previews.thumbnails.timesSeconds,
      from_rendition: previews.thumbnails.rung,
    },
    storyboard: previews.storyboard && {
      vtt: previews.storyboard.vtt,
      sprites: previews.storyboard.sprites,
      tiles: previews.storyboard.tiles,
      tile_width: previews.storyboard.tile.width,
      tile_height: previews.storyboard.tile.height,
      columns: previews.storyboard.columns,
      rows: previews.storyboard.rows,
      interval_seconds: previews.storyboard.intervalSeconds,
      from_rendition: previews.storyboard.rung,
    },
    preview: previews.preview && {
      file: previews.preview.file,
      width: previews.preview.size.width,
      height: previews.preview.size.height,
      duration_seconds: round3(previews.preview.moments.reduce((sum, m) => sum + m.seconds, 0)),
      moments: previews.preview.moments.map((m) => ({ start_seconds: m.startSeconds, seconds: m.seconds })),
      from_rendition: previews.preview.rung,
    },
  };
}

/** The renditions as metadata.json lists them, each with its scores when they were measured. */
export function renditionsMetadata(renditions: readonly MeasuredRendition[], quality: QualityMeasurement | null): RenditionMetadata[] {
  return renditions.map((r) => renditionMetadata(r, quality?.renditions.find((q) => q.name === r.name) ?? null));
}

export function renditionMetadata(r: MeasuredRendition, quality: RenditionQuality | null = null): RenditionMetadata {
  return {
    name: r.name,
    playlist: r.playlistPath,
    width: r.width,
    height: r.height,
    frame_rate: round3(r.fps),
    codecs: r.codecs,
    bandwidth: r.bandwidth,
    average_bandwidth: r.averageBandwidth,
    bytes: r.bytes,
    segment_count: r.segmentCount,
    duration_seconds: round3(r.durationSeconds),
    quality: quality && { ssim: quality.ssim, psnr_db: quality.psnrDb },
  };
}

function sourceFacts(info: VideoInfo, plan: LadderPlan): Record<string, unknown> {
  const v = info.video;
  const a = info.audio;
  const colour = plan.picture.colour;
  return {
    container: info.formatName,
    size_bytes: info.sizeBytes,
    duration_seconds: round3(info.durationSeconds),
    bit_rate: info.bitRate,
    video: {
      codec: v.codec,
      profile: v.profile,
      pix_fmt: v.pixFmt,
      width: v.width,
      height: v.height,
      coded_width: v.codedWidth,
      coded_height: v.codedHeight,
      sample_aspect_ratio: `${v.sampleAspect.num}:${v.sampleAspect.den}`,
      frame_rate: round3(v.fps),
      bit_rate: v.bitRate,
      rotation: v.rotation,
      field_order: v.fieldOrder,
      interlaced: plan.picture.deinterlace !== null,
      colour: { primaries: v.colour.primaries, transfer: v.colour.transfer, matrix: v.colour.matrix, range: v.colour.range },
      hdr: colour.kind === 'tonemap' ? colour.hdr : null,
      dolby_vision: v.dolbyVision && { profile: v.dolbyVision.profile, compatibility_id: v.dolbyVision.compatibilityId },
    },
    audio: a && {
      codec: a.codec,
      channels: a.channels,
      channel_layout: a.channelLayout,
      sample_rate: a.sampleRate,
      language: a.language,
      track: a.index,
    },
    audio_tracks: info.audioTracks.length,
  };
}

/** Writes metadata.json into the ladder directory; returns its relative path. */
export async function writeMetadata(outDir: string, file: string, metadata: Record<string, unknown>): Promise<string> {
  await writeFile(path.join(outDir, file), `${JSON.stringify(metadata, null, 2)}\n`);
  return file;
}
