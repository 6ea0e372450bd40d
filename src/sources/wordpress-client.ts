import axios, { isAxiosError, type AxiosInstance } from 'axios';
import type { WordpressConfig } from '../config/config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { discoverRestRoot, RestRootCache, routeRequest } from './wordpress-rest-root.js';

/** What a client needs to reach the site; the password never leaves this slice. */
export type WordpressConnection = Pick<WordpressConfig, 'url' | 'user' | 'appPassword' | 'timeoutMs'>;

/** The plugin's REST namespace (wordpress/video-compressor/includes/rest.php). */
export const PLUGIN_NAMESPACE = 'video-compressor/v1';

/** The plugin's capability for claims and write-backs (granted to administrators when the plugin is activated). */
export const PLUGIN_CAPABILITY = 'manage_video_compressor';

/** The site's REST root, discovered once (see wordpress-rest-root.ts); a failure is a retryable `cms_error` naming the site. */
export function restRootsOf(connection: Pick<WordpressConnection, 'url' | 'timeoutMs'>, log?: Logger): RestRootCache {
  return new RestRootCache(async () => {
    try {
      return await discoverRestRoot(connection, log);
    } catch (err) {
      throw transportError(err, 'looking for its REST API', connection.url);
    }
  }, log);
}

/**
 * An axios instance on the site's REST root with Basic auth (the Application Password). Callers
 * name routes relative to the root (`wp/v2/media`); each request waits for the root (discovered
 * on first use: `/wp-json/` on a site with pretty permalinks, `?rest_route=` on one without) and
 * is pointed there. It never throws on HTTP status: callers branch on the status, and a thrown
 * axios error (network, timeout) is turned into an AppError without its request config, which
 * holds the password.
 */
export function createWordpressHttp(connection: WordpressConnection, options: { log?: Logger; roots?: RestRootCache } = {}): AxiosInstance {
  const roots = options.roots ?? restRootsOf(connection, options.log);
  // WordPress shows the password in groups with spaces; it accepts it either way.
  const token = Buffer.from(`${connection.user}:${connection.appPassword}`, 'utf8').toString('base64');
  const http = axios.create({
    timeout: connection.timeoutMs,
    headers: { Authorization: `Basic ${token}`, Accept: 'application/json' },
    validateStatus: () => true,
    // A login page or a proxy's redirect is not the API: report it instead of following it.
    maxRedirects: 0,
    proxy: false,
  });
  http.interceptors.request.use(async (config) => routeRequest(await roots.get(), config));
  http.interceptors.response.use((res) => {
    // The REST API answers its 404s in JSON: an HTML one means the root moved (permalinks switched), so look again next time.
    if (res.status === 404 && (typeof res.data !== 'object' || res.data === null)) roots.forget();
    return res;
  });
  return http;
}

/** A non-2xx answer of the REST API, read for what an operator can act on. */
export interface WordpressAnswer {
  readonly status: number;
  readonly data: unknown;
}

/** An answer with its headers (`x-wp-total`, lower-cased by axios). */
export interface WordpressResponse extends WordpressAnswer {
  readonly headers: Readonly<Record<string, unknown>>;
}

/** WordPress's error body: `{ code, message, data: { status } }`. */
export function errorCodeOf(data: unknown): string {
  return typeof data === 'object' && data !== null && typeof (data as { code?: unknown }).code === 'string'
    ? (data as { code: string }).code
    : '';
}

function errorMessageOf(data: unknown): string {
  const message = typeof data === 'object' && data !== null ? (data as { message?: unknown }).message : undefined;
  if (typeof message === 'string') return message;
  const text = typeof data === 'string' ? data : '';
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/**
 * The `cms_error` for an answer we cannot use, with the fix when there is a known one: the plugin
 * missing (404 `rest_no_route` on its routes), the password refused (401), a user without the plugin's capability (403).
 */
export function answerError(answer: WordpressAnswer, doing: string, connection: Pick<WordpressConnection, 'url' | 'user'>): AppError {
  const code = errorCodeOf(answer.data);
  const context = { status: answer.status, wpCode: code || null };
  if (answer.status === 401) {
    return new AppError(
      'cms_unauthorized',
      `WordPress refused the Application Password of ${connection.user} while ${doing} (401 ${code}): check WP_USER and WP_APP_PASSWORD. ` +
        'WordPress honours Application Passwords only over HTTPS, or on a site whose WP_ENVIRONMENT_TYPE is local; over plain HTTP it ignores them',
      { context },
    );
  }
  if (answer.status === 403) {
    return new AppError(
      'cms_unauthorized',
      `WordPress denied ${connection.user} while ${doing} (403 ${code}): the user needs the ${PLUGIN_CAPABILITY} capability ` +
        `(an administrator has it; for another user: wp user add-cap ${connection.user} ${PLUGIN_CAPABILITY}) ` +
        'and the right to edit every media item (upload_files, edit_others_posts: an editor or administrator)',
      { context },
    );
  }
  if (answer.status === 404 && code === 'rest_no_route') {
    return new AppError(
      'cms_error',
      `${connection.url} has no video-compressor REST routes while ${doing}: install and activate the Video Compressor plugin (wordpress/video-compressor) on the site`,
      { context },
    );
  }
  if (answer.status >= 300 && answer.status < 400) {
    return new AppError(
      'cms_error',
      `WordPress redirected while ${doing} (HTTP ${answer.status}): check WP_URL (it must be the site's address, https if the site redirects to https)`,
      { context },
    );
  }
  return new AppError(
    'cms_error',
    `WordPress failed while ${doing} (HTTP ${answer.status}${code ? ` ${code}` : ''}: ${errorMessageOf(answer.data)})`,
    { context },
  );
}

/** Network and timeout failures: retryable `cms_error`s, without the axios error (its config holds the password). */
export function transportError(err: unknown, doing: string, url: string): AppError {
  if (err instanceof AppError) return err;
  if (isAxiosError(err)) {
    const code = err.code ?? 'ERR_UNKNOWN';
    const what = code === 'ECONNABORTED' || code === 'ETIMEDOUT' ? 'did not answer in time' : `is unreachable (${code})`;
    return new AppError('cms_error', `WordPress at ${url} ${what} while ${doing}`, { context: { code } });
  }
  return new AppError('cms_error', `WordPress request failed while ${doing}: ${err instanceof Error ? err.message : String(err)}`);
}
