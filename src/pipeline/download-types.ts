import type { DownloadConfig } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import type { AddressPredicate, LookupFn } from './url-policy.js';

/** The download's options and results, apart from download.ts so its checks can name them without a cycle. */

export interface DownloadProgress {
  readonly bytes: number;
  /** From Content-Length; null when the server streams without one. */
  readonly totalBytes: number | null;
}

export interface DownloadOptions {
  readonly url: string;
  /** Written from scratch; removed again on any failure. Its directory must exist. */
  readonly destPath: string;
  readonly config: DownloadConfig;
  /** Aborting rejects with `signal.reason` (when an Error) and removes the partial file. */
  readonly signal?: AbortSignal;
  readonly log: Logger;
  /** DNS resolver for both the private-address policy and the connection; the system one by default. */
  readonly lookup?: LookupFn;
  /** Replaces isPublicAddress when `allowPrivate` is false. Tests only. */
  readonly isAllowedAddress?: AddressPredicate;
  /**
   * Request headers (an API key) for `url`'s origin only: a redirect to another origin is followed
   * without them. Never logged.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * A host name the private-address policy does not apply to: the CMS endpoint the operator
   * configured, whose Storage serves the file. Any other host a redirect leads to is judged as usual.
   */
  readonly trustedHost?: string | null;
  /** Called at most every `progressIntervalMs` (default 1000) while the body streams, and once at the end. */
  readonly onProgress?: (progress: DownloadProgress) => void;
  readonly progressIntervalMs?: number;
}

export interface DownloadResult {
  readonly bytes: number;
  /** The Content-Type the server announced, or null. */
  readonly contentType: string | null;
  /** After redirects. The full URL (credentials, tokens): pass it through redactUrl before logging. */
  readonly finalUrl: string;
}
