import type { DownloadConfig } from '../config/config.js';
import { AppError, ERROR_CATALOG, toAppError, type ErrorCode } from '../errors.js';
import type { DownloadProgress, DownloadResult } from './download-types.js';

/**
 * The messages between the daemon and its download child (download-child.ts, download-child-main.ts),
 * JSON over the fork's IPC channel: one request down, then progress and log records up, then one
 * result or error.
 */

/** The serialisable part of DownloadOptions, plus the level the child's log records start at. */
export interface DownloadRequest {
  readonly type: 'start';
  readonly url: string;
  readonly destPath: string;
  readonly config: DownloadConfig;
  readonly headers?: Readonly<Record<string, string>>;
  readonly trustedHost?: string | null;
  readonly progressIntervalMs?: number;
  readonly logLevel: string;
}

/** An AppError as it crosses the process boundary. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly context: Record<string, unknown>;
  readonly retryable: boolean;
}

export type ChildMessage =
  | ({ readonly type: 'progress' } & DownloadProgress)
  /** One pino line (JSON) of the child's logger, re-logged by the parent. */
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'result'; readonly result: DownloadResult }
  | { readonly type: 'error'; readonly error: WireError };

export function isDownloadRequest(message: unknown): message is DownloadRequest {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'start';
}

export function isChildMessage(message: unknown): message is ChildMessage {
  const type: unknown = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
  return type === 'progress' || type === 'log' || type === 'result' || type === 'error';
}

export function toWireError(err: unknown): WireError {
  const error = toAppError(err);
  return { code: error.code, message: error.message, context: { ...error.context }, retryable: error.retryable };
}

/** The AppError the child reported; a code this build does not know becomes internal_error. */
export function fromWireError(wire: WireError): AppError {
  const code: ErrorCode = Object.hasOwn(ERROR_CATALOG, wire.code) ? (wire.code as ErrorCode) : 'internal_error';
  return new AppError(code, wire.message, { context: wire.context, retryable: wire.retryable });
}
