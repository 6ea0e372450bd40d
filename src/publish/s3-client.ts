import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { S3Config } from '../config/config.js';
import { AppError } from '../errors.js';

/** Attempts per request, with the SDK's standard backoff: a store's brief 500/503 costs nothing. */
const MAX_ATTEMPTS = 5;

/**
 * The bucket's client. Checksums are only sent where the API requires them: the SDK's default
 * (a CRC32 trailer on every upload, in aws-chunked encoding) is refused or stored verbatim by
 * S3-compatible stores that predate it (Backblaze B2's S3 API, older MinIO, s3rver).
 */
export function createS3Client(config: S3Config): S3Client {
  return new S3Client({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.forcePathStyle,
    // A copy: the config is frozen, and the SDK marks the credentials object it is given.
    ...(config.credentials ? { credentials: { ...config.credentials } } : {}),
    maxAttempts: MAX_ATTEMPTS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** True for the store's "no such object" (HEAD answers a bare 404). */
export function isMissing(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  return err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata.httpStatusCode === 404;
}

/**
 * A failed bucket operation as `publish_failed` (retryable: the job is tried again on its retry
 * schedule), naming the store's error code and never the credentials.
 */
export function bucketError(err: unknown, doing: string, config: Pick<S3Config, 'bucket'>): AppError {
  if (err instanceof AppError) return err;
  const status = err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
  const code = err instanceof Error ? err.name : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  return new AppError('publish_failed', `Bucket ${config.bucket}: ${doing} failed (${code}${status ? ` ${status}` : ''}: ${message})`, {
    cause: err,
    context: { bucket: config.bucket, code, status: status ?? null },
  });
}
