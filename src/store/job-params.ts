import { AppError } from '../errors.js';
import type { Failure } from '../domain/record.js';
import { renditionToJson, type PublishResult } from '../domain/rendition.js';

/** The parameters of both stores' `complete` statement: the published result, its JSON columns as text. */
export function completeParams(result: PublishResult): Record<string, unknown> {
  return {
    hlsUrl: result.hlsUrl,
    posterUrl: result.posterUrl,
    renditions: JSON.stringify(result.renditions.map(renditionToJson)),
    thumbnailUrls: JSON.stringify(result.thumbnailUrls),
    storyboardUrl: result.storyboardUrl,
    previewUrl: result.previewUrl,
    metadataUrl: result.metadataUrl,
    duration: result.duration,
    width: result.width,
    height: result.height,
    processingMs: Math.round(result.processingMs),
    outputBytes: result.outputBytes,
    completedAt: isoTime(result.completedAt),
  };
}

/** The parameters of both stores' `fail` statement, as the retry policy decided. */
export function failParams(failure: Failure): Record<string, unknown> {
  return {
    status: failure.status,
    error: failure.error,
    errorCode: failure.errorCode,
    retryCount: failure.retryCount,
    retryErrors: JSON.stringify(failure.retryErrors),
    lastRetryAt: isoTime(failure.lastRetryAt),
    nextAttemptAt: failure.nextAttemptAt === null ? null : isoTime(failure.nextAttemptAt),
  };
}

/** Normalises any parseable date to toISOString(), so stored times compare lexicographically. */
export function isoTime(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new AppError('internal_error', `not a date: ${value}`);
  return date.toISOString();
}
