import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { AxiosResponse } from 'axios';
import { AppError } from '../errors.js';
import { headerValue, type Session } from './download-checks.js';

/**
 * Resuming a download cut mid-body with HTTP range requests, where the server allows them.
 *
 * After a cut (reset, premature close, fewer bytes than announced), the rest is asked for with
 * `Range: bytes=<bytes on disk>-` and appended. A 206 is one piece: its Content-Range must start
 * where the file ends and name the same total as the first answer. Servers may send less than
 * asked: Appwrite's Storage caps an open-ended range at 10 MiB, so the rest comes piece after piece
 * until the total is on disk. A server that ignores Range (200) sends the whole body again, which
 * replaces the file. Anything else (416, an error status, a mismatched range) ends the download
 * with the cut's own error. Timeouts are not cuts: a stalled or trickling source fails as before.
 */

/** Cuts survived per download; a piece that arrives whole does not count. */
export const MAX_RESUMES = 3;

export interface ContentRange {
  readonly start: number;
  /** Inclusive, as in the header. */
  readonly end: number;
  readonly total: number;
}

/** `bytes <start>-<end>/<total>`; null for anything else (an unknown total, `*`, other units). */
export function parseContentRange(value: string | null): ContentRange | null {
  const match = value === null ? null : /^\s*bytes\s+(\d+)-(\d+)\/(\d+)\s*$/i.exec(value);
  if (!match) return null;
  const [start, end, total] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return start <= end && end < total ? { start, end, total } : null;
}

/** What an answer to a range request means for the download. */
export type ResumeAnswer =
  | { readonly kind: 'piece'; readonly range: ContentRange }
  | { readonly kind: 'restart'; readonly contentLength: number | null }
  | { readonly kind: 'refused'; readonly reason: string };

/** Reads the answer to `Range: bytes=<offset>-` for a body of `total` bytes (null when the first answer gave no length). */
export function readResumeAnswer(response: AxiosResponse<Readable>, offset: number, total: number | null): ResumeAnswer {
  const { status } = response;
  if (status === 200) {
    const raw = headerValue(response, 'content-length');
    const contentLength = raw !== null && /^\d+$/.test(raw) ? Number(raw) : null;
    if (total !== null && contentLength !== null && contentLength !== total)
      return { kind: 'refused', reason: `the whole body sent again is ${contentLength} bytes, not ${total}` };
    return { kind: 'restart', contentLength };
  }
  if (status !== 206) return { kind: 'refused', reason: `the range request was answered HTTP ${status}` };
  const range = parseContentRange(headerValue(response, 'content-range'));
  if (range === null) return { kind: 'refused', reason: 'the partial answer has no usable Content-Range' };
  if (range.start !== offset) return { kind: 'refused', reason: `the partial answer starts at byte ${range.start}, not ${offset}` };
  if (total !== null && range.total !== total) return { kind: 'refused', reason: `the file is now ${range.total} bytes, not ${total}` };
  return { kind: 'piece', range };
}

/**
 * True when `error` (classified) is a cut in the body that a range request may mend: the body had
 * started, the connection broke or ended short, and no watchdog, limit or abort ended it.
 */
export function isCut(session: Session, error: Error): error is AppError {
  // Without a length there is no telling a cut from the end, nor how much is missing.
  if (!session.inBody || session.contentLength === null) return false;
  if (session.failure !== null || session.options.signal?.aborted === true) return false;
  return error instanceof AppError && (error.code === 'source_network_error' || error.code === 'source_truncated');
}

/** The bytes really on disk: the meter counts bytes it may not have written yet when the cut came. */
export async function bytesOnDisk(destPath: string): Promise<number> {
  return stat(destPath).then(
    (s) => s.size,
    () => 0,
  );
}
