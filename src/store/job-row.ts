import type { JobStatus, JobStep, Rendition } from '../sources/cms-source.js';
import { jsonArrayOrNull, numberOrNull, textOrNull } from './column-values.js';

export type Raw = Record<string, unknown>;

/** One job of the local source, as stored in `jobs` (design §2), with JSON columns parsed. */
export interface JobRow {
  readonly id: string;
  readonly sourceUrl: string;
  readonly status: JobStatus;
  readonly priority: number;
  readonly title: string | null;
  readonly retryCount: number;
  readonly lastRetryAt: string | null;
  readonly nextAttemptAt: string | null;
  readonly retryErrors: readonly string[];
  readonly error: string | null;
  readonly errorCode: string | null;
  readonly claimedBy: string | null;
  readonly claimedAt: string | null;
  readonly heartbeatAt: string | null;
  readonly progress: number;
  readonly step: JobStep | null;
  readonly hlsUrl: string | null;
  readonly posterUrl: string | null;
  readonly renditions: readonly Rendition[] | null;
  readonly duration: number | null;
  readonly width: number | null;
  readonly height: number | null;
  readonly processingMs: number | null;
  readonly outputBytes: number | null;
  readonly completedAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Renditions are stored with the snake_case field names of design §2. */
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

function renditionFromJson(raw: Raw): Rendition {
  return {
    name: String(raw.name),
    width: Number(raw.width),
    height: Number(raw.height),
    bandwidth: Number(raw.bandwidth),
    averageBandwidth: Number(raw.average_bandwidth ?? raw.bandwidth),
    codecs: String(raw.codecs ?? ''),
    playlistUrl: String(raw.playlist_url),
  };
}

export function toJobRow(raw: Raw): JobRow {
  return {
    id: String(raw.id),
    sourceUrl: String(raw.source_url),
    status: raw.status as JobStatus,
    priority: Number(raw.priority),
    title: textOrNull(raw.title),
    retryCount: Number(raw.retry_count),
    lastRetryAt: textOrNull(raw.last_retry_at),
    nextAttemptAt: textOrNull(raw.next_attempt_at),
    retryErrors: (jsonArrayOrNull(raw.retry_errors) ?? []).map(String),
    error: textOrNull(raw.error),
    errorCode: textOrNull(raw.error_code),
    claimedBy: textOrNull(raw.claimed_by),
    claimedAt: textOrNull(raw.claimed_at),
    heartbeatAt: textOrNull(raw.heartbeat_at),
    progress: Number(raw.progress),
    step: textOrNull(raw.step) as JobStep | null,
    hlsUrl: textOrNull(raw.hls_url),
    posterUrl: textOrNull(raw.poster_url),
    renditions: jsonArrayOrNull(raw.renditions)?.map((r) => renditionFromJson(r as Raw)) ?? null,
    duration: numberOrNull(raw.duration),
    width: numberOrNull(raw.width),
    height: numberOrNull(raw.height),
    processingMs: numberOrNull(raw.processing_ms),
    outputBytes: numberOrNull(raw.output_bytes),
    completedAt: textOrNull(raw.completed_at),
    createdAt: String(raw.created_at),
    updatedAt: String(raw.updated_at),
  };
}
