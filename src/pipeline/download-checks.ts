import { performance } from 'node:perf_hooks';
import type http from 'node:http';
import type https from 'node:https';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { AxiosResponse } from 'axios';
import { AppError, type AppErrorOptions, type ErrorCode } from '../errors.js';
import type { DownloadOptions } from './download-types.js';
import { redactUrl } from './url-policy.js';

/** Bytes held back before the first write so an HTML page served as video/mp4 can be recognised. */
const SNIFF_BYTES = 512;

/** Mutable state of one download, shared by the watchdogs and the error classification. */
export interface Session {
  readonly options: DownloadOptions;
  readonly agents: { readonly http: http.Agent; readonly https: https.Agent };
  /** The first failure a watchdog detected: it wins over the symptom axios reports (ECONNRESET…). */
  failure: AppError | null;
  url: URL | null;
  bytes: number;
  contentLength: number | null;
  inBody: boolean;
  lastProgressAt: number;
}

/** Validates the final response's status and headers, refusing before any of the body is read. */
export function checkResponse(
  session: Session,
  response: AxiosResponse<Readable>,
): { contentLength: number | null; contentType: string | null } {
  const { status } = response;
  const contentType = headerValue(response, 'content-type');
  const rawLength = headerValue(response, 'content-length');
  const contentLength = rawLength !== null && /^\d+$/.test(rawLength) ? Number(rawLength) : null;
  const { maxBytes } = session.options.config;
  const context = { status, contentType, contentLength };
  let error: AppError | null = null;
  if (status === 404 || status === 410) error = sourceError(session, 'source_not_found', `does not exist (HTTP ${status})`, context);
  else if (status >= 500)
    error = sourceError(session, 'source_server_error', `is unavailable: the server answered HTTP ${status}`, context);
  else if (status < 200 || status >= 300) {
    // 408 and 429 ask us to come back later rather than refuse the download. A refused API key
    // (a CMS's own file) is the operator's to fix, not the record's fault: tried again later.
    const keyRefused = (status === 401 || status === 403) && session.options.headers !== undefined;
    const retryable = status === 408 || status === 429 || keyRefused;
    error = sourceError(session, 'source_http_error', `was refused: the server answered HTTP ${status}`, context, { retryable });
  } else if (contentType !== null && /^\s*(text\/html|application\/xhtml\+xml)\b/i.test(contentType)) {
    error = sourceError(session, 'source_not_video', `is a web page (${contentType}), not a video`, context);
  } else if (contentLength !== null && contentLength > maxBytes) {
    error = sourceError(
      session,
      'source_too_large',
      `announces ${contentLength} bytes, over the ${maxBytes}-byte limit (MAX_SOURCE_BYTES)`,
      { ...context, maxBytes },
    );
  } else if (contentLength === 0) error = sourceError(session, 'source_empty', 'has an empty body', context);
  if (error === null) return { contentLength, contentType };
  // Closing now is what keeps a refused 10 GB body from being transferred.
  response.data.destroy();
  throw error;
}

export function headerValue(response: AxiosResponse<Readable>, name: string): string | null {
  const value: unknown = response.headers[name];
  return typeof value === 'string' ? value : null;
}

/** Counts bytes against the cap, reports progress and (unless `sniff` is false) sniffs the first bytes for HTML. */
export function createMeter(session: Session, { sniff = true }: { sniff?: boolean } = {}): Transform {
  const { maxBytes } = session.options.config;
  let held: Buffer[] | null = sniff ? [] : null;
  let heldBytes = 0;
  const release = (stream: Transform, callback: TransformCallback): void => {
    const head = Buffer.concat(held ?? []);
    held = null;
    if (looksLikeHtml(head)) return callback(sourceError(session, 'source_not_video', 'is an HTML page, not a video'));
    stream.push(head);
    callback();
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      session.bytes += chunk.length;
      if (session.bytes > maxBytes) {
        return callback(
          sourceError(session, 'source_too_large', `is larger than the ${maxBytes}-byte limit (MAX_SOURCE_BYTES)`, { maxBytes }),
        );
      }
      reportProgress(session);
      if (held === null) return callback(null, chunk);
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes < SNIFF_BYTES) return callback();
      release(this, callback);
    },
    flush(callback) {
      if (held === null || heldBytes === 0) return callback();
      release(this, callback);
    },
  });
}

/** True for `<!DOCTYPE html`, `<html`, `<head` or `<body` after an optional BOM and whitespace. */
export function looksLikeHtml(head: Buffer): boolean {
  const text = head
    .subarray(0, SNIFF_BYTES)
    .toString('latin1')
    .replace(/^\xEF\xBB\xBF/, '')
    .trimStart()
    .toLowerCase();
  return /^<(!doctype\s+html|html|head|body)[\s>]/.test(text);
}

function reportProgress(session: Session): void {
  const { onProgress, progressIntervalMs = 1000 } = session.options;
  const now = performance.now();
  if (!onProgress || now - session.lastProgressAt < progressIntervalMs) return;
  session.lastProgressAt = now;
  onProgress({ bytes: session.bytes, totalBytes: session.contentLength });
}

/** "The source at <url without query> <what>.", with the URL and byte count in the context. */
export function sourceError(
  session: Session,
  code: ErrorCode,
  what: string,
  context: Record<string, unknown> = {},
  options: AppErrorOptions = {},
): AppError {
  const url = redactUrl(session.url ?? session.options.url);
  return new AppError(code, `The source at ${url} ${what}.`, { ...options, context: { url, bytes: session.bytes, ...context } });
}
