/**
 * The one error catalog. Every failure the daemon records or answers with has a stable `code`
 * from here; `retryable` decides whether the retry policy schedules another attempt.
 * Code branches on `code`, never on message text. test/unit/errors.test.ts fails if a code is
 * missing from docs/errors.md (generated: npm run docs).
 */
export const ERROR_CATALOG = {
  // Download (source URL)
  source_url_invalid: { retryable: false, http: 400, summary: 'The source URL is malformed or not http(s).' },
  source_url_forbidden: { retryable: false, http: 400, summary: 'The source URL resolves to a private, loopback or link-local address.' },
  source_not_found: { retryable: false, http: 502, summary: 'The source server answered 404 or 410.' },
  source_http_error: { retryable: false, http: 502, summary: 'The source server refused the download with another 4xx status.' },
  source_server_error: { retryable: true, http: 502, summary: 'The source server answered 5xx.' },
  source_network_error: { retryable: true, http: 502, summary: 'The connection to the source failed (reset, refused, DNS).' },
  source_timeout: { retryable: true, http: 504, summary: 'The source stopped sending data or took too long.' },
  source_too_large: { retryable: false, http: 413, summary: 'The source is larger than MAX_SOURCE_BYTES.' },
  source_truncated: {
    retryable: true,
    http: 502,
    summary: 'The body ended before its announced Content-Length, and Range requests could not fetch the rest.',
  },
  source_empty: { retryable: false, http: 422, summary: 'The source body is empty.' },
  source_not_video: { retryable: false, http: 422, summary: 'The source is a web page or other non-media document.' },
  too_many_redirects: { retryable: false, http: 502, summary: 'The source URL redirects too many times.' },
  // Media
  invalid_format: { retryable: false, http: 422, summary: 'FFmpeg cannot read the file as a media container.' },
  corrupt_source: { retryable: false, http: 422, summary: 'The container is damaged (for example a truncated MP4 without its moov atom).' },
  no_video_stream: { retryable: false, http: 422, summary: 'The file has no video stream (audio only, or an image).' },
  duration_out_of_range: { retryable: false, http: 422, summary: 'The duration is missing, under 1 s or over MAX_DURATION_SECONDS.' },
  dimensions_out_of_range: { retryable: false, http: 422, summary: 'The frame size is larger than MAX_SOURCE_PIXELS allows.' },
  media_decode_error: { retryable: false, http: 422, summary: 'FFmpeg could not decode the stream.' },
  unsupported_source: {
    retryable: false,
    http: 422,
    summary: 'The video cannot be shown faithfully in SDR H.264 (Dolby Vision profile 5, without an HDR10/HLG base layer).',
  },
  ffmpeg_failed: { retryable: true, http: 500, summary: 'FFmpeg exited without a media diagnosis (crash, killed).' },
  ffmpeg_not_found: { retryable: true, http: 500, summary: 'The ffmpeg or ffprobe binary cannot be run.' },
  encode_stalled: {
    retryable: true,
    http: 500,
    summary: 'FFmpeg produced no new output for ENCODE_STALL_SECONDS (hung encoder, stopped process) and was killed.',
  },
  encode_timeout: {
    retryable: true,
    http: 500,
    summary: 'FFmpeg ran longer than ENCODE_TIMEOUT_FACTOR × the source duration plus a minute and was killed.',
  },
  verification_failed: {
    retryable: true,
    http: 500,
    summary: 'The produced ladder did not verify (missing segment, wrong duration, bad poster).',
  },
  insufficient_disk: { retryable: false, http: 507, summary: 'Not enough free space for roughly 3x the source.' },
  publish_failed: { retryable: true, http: 500, summary: 'Moving the ladder into storage/hls failed.' },
  // Jobs and sources
  cms_error: { retryable: true, http: 502, summary: 'The CMS could not be reached or refused a write.' },
  store_unavailable: { retryable: true, http: 503, summary: 'The job store (PostgreSQL, STORE_URL) cannot be reached; it is retried.' },
  cms_unauthorized: {
    retryable: true,
    http: 502,
    summary: "The CMS refused the daemon's credentials: a wrong or revoked API key or Application Password, or a missing scope.",
  },
  lease_expired: { retryable: true, http: 409, summary: 'A worker stopped heart-beating and its job was reclaimed.' },
  worker_lost: {
    retryable: false,
    http: 500,
    summary: 'The worker stopped (crash, out of memory, killed) on every attempt at this video.',
  },
  cancelled: { retryable: false, http: 409, summary: 'The job was cancelled.' },
  ladder_invalid: {
    retryable: false,
    http: 400,
    summary: "The record's ladder names a rung that LADDER does not define (or none at all).",
  },
  shutdown: { retryable: true, http: 503, summary: 'The daemon is shutting down; the job was released.' },
  internal_error: { retryable: true, http: 500, summary: 'An unexpected error; see the logs.' },
  // HTTP API
  invalid_request: { retryable: false, http: 400, summary: 'A parameter or body field is invalid.' },
  unauthorized: { retryable: false, http: 401, summary: 'Missing or wrong credentials.' },
  not_found: { retryable: false, http: 404, summary: 'No such job or route.' },
  conflict: { retryable: false, http: 409, summary: 'The job is not in a state that allows this action.' },
  payload_too_large: { retryable: false, http: 413, summary: 'The request body is over the limit.' },
  // Admin dashboard
  forbidden: { retryable: false, http: 403, summary: 'The form lacks a valid CSRF token (reload the page and try again).' },
  rate_limited: { retryable: false, http: 429, summary: 'Too many login attempts from this address; wait 15 minutes.' },
  admin_disabled: { retryable: false, http: 503, summary: 'The dashboard is off: set ADMIN_PASSWORD or ADMIN_PASSWORD_HASH.' },
} as const satisfies Record<string, { retryable: boolean; http: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export interface AppErrorOptions {
  cause?: unknown;
  /** Structured facts for the log and the record (URL, status, ffmpeg tail...). Never secrets. */
  context?: Record<string, unknown>;
  /** Overrides the catalog default, e.g. a 429 that deserves a retry. */
  retryable?: boolean;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CATALOG[code].retryable;
    this.context = Object.freeze({ ...(options.context ?? {}) });
    Object.setPrototypeOf(this, new.target.prototype);
  }

  get httpStatus(): number {
    return ERROR_CATALOG[this.code].http;
  }
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Maps anything thrown into an AppError, keeping the original as `cause`. */
export function toAppError(err: unknown, fallback: ErrorCode = 'internal_error'): AppError {
  if (err instanceof AppError) return err;
  const sysCode = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const message = err instanceof Error ? err.message : String(err);
  if (sysCode === 'ETIMEDOUT' || sysCode === 'ESOCKETTIMEDOUT') {
    return new AppError('source_timeout', `Timed out: ${message}`, { cause: err });
  }
  if (typeof sysCode === 'string' && NETWORK_CODES.has(sysCode)) {
    return new AppError('source_network_error', `Network error (${sysCode}): ${message}`, { cause: err });
  }
  if (sysCode === 'ENOSPC') {
    return new AppError('insufficient_disk', `No space left on the storage volume: ${message}`, { cause: err });
  }
  return new AppError(fallback, message, { cause: err });
}

export function isAppError(err: unknown, code?: ErrorCode): err is AppError {
  return err instanceof AppError && (code === undefined || err.code === code);
}

/**
 * What an aborted operation rejects with: the signal's reason when it is an Error (the poller's
 * AppError 'shutdown' or 'cancelled'), else AppError('cancelled') naming `what` was cancelled.
 */
export function abortReason(signal: AbortSignal, what = 'operation'): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new AppError('cancelled', `The ${what} was cancelled.`, { cause: reason, context: { reason: String(reason) } });
}
