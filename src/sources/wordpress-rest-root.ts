import axios, { type AxiosInstance, type AxiosRequestConfig } from 'axios';
import type { Readable } from 'node:stream';
import type { WordpressConfig } from '../config/config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';

/** The link relation under which every WordPress page announces its REST API root (core's rest_output_link_header). */
export const API_LINK_REL = 'https://api.w.org/';

/** Where to look when the home page announces nothing usable: pretty permalinks first, then the query form every site answers. */
const PROBES = ['/wp-json/', '/?rest_route=/'] as const;

/** A REST root and how it was found (for the log line). */
export interface FoundRoot {
  /** `https://site/wp-json/` (routes appended to the path) or `https://site/index.php?rest_route=/` (routes in `rest_route`). */
  readonly root: string;
  readonly via: 'link' | 'probe';
}

/**
 * The URI of every `rel="https://api.w.org/"` link in Link header values (one header may hold
 * several comma-separated links, and a response may carry several headers), resolved against
 * `base`, in order. A quoted parameter may hold commas and semicolons; `rel` may list several
 * relation types separated by spaces. Unparsable URIs are skipped.
 */
export function apiRootLinks(header: unknown, base: string): string[] {
  const values = Array.isArray(header) ? header.map(String) : typeof header === 'string' ? [header] : [];
  const roots: string[] = [];
  for (const value of values) {
    for (const link of parseLinks(value)) {
      if (!link.rels.includes(API_LINK_REL)) continue;
      try {
        roots.push(new URL(link.uri, base).href);
      } catch {
        // Not a URI: another link may still be usable.
      }
    }
  }
  return roots;
}

function parseLinks(value: string): { uri: string; rels: string[] }[] {
  const links: { uri: string; rels: string[] }[] = [];
  let at = 0;
  while (at < value.length) {
    const open = value.indexOf('<', at);
    const close = open < 0 ? -1 : value.indexOf('>', open);
    if (close < 0) break;
    // The link's parameters run to the next comma outside quotes.
    let end = close + 1;
    for (let quoted = false; end < value.length; end += 1) {
      const c = value[end];
      if (quoted && c === '\\') end += 1;
      else if (c === '"') quoted = !quoted;
      else if (c === ',' && !quoted) break;
    }
    links.push({ uri: value.slice(open + 1, close).trim(), rels: relsOf(value.slice(close + 1, end)) });
    at = end + 1;
  }
  return links;
}

function relsOf(params: string): string[] {
  const match = /(?:^|;)\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
  return (match?.[1] ?? match?.[2] ?? '').split(/\s+/).filter(Boolean);
}

/**
 * Finds the site's REST root: the Link header of its home page (any status: WordPress sends it on
 * its 404 page too), else the first probe that answers as a REST index. Nothing here carries the
 * Application Password, and no redirect is followed: a root is only taken on WP_URL's own origin,
 * the one place the password is sent. Transport failures (unreachable, timeout) are thrown as
 * axios errors for the caller to word; finding nothing is a retryable `cms_error`.
 */
export async function discoverRestRoot(connection: Pick<WordpressConfig, 'url' | 'timeoutMs'>, log?: Logger): Promise<FoundRoot> {
  const http = axios.create({ timeout: connection.timeoutMs, validateStatus: () => true, maxRedirects: 0, proxy: false });
  const site = new URL(`${connection.url}/`);
  const tried: string[] = [];
  // Headers are all we need of the home page: its body is not read.
  const home = await http.get<Readable>(site.href, { responseType: 'stream' });
  home.data.destroy();
  const announced = apiRootLinks(home.headers.link, site.href);
  const root = announced.find((url) => new URL(url).origin === site.origin);
  if (root) return { root: asRoot(root), via: 'link' };
  if (announced.length > 0) {
    tried.push(`the home page announces ${announced[0]}, not on WP_URL's origin (the password is only sent to WP_URL)`);
    log?.warn({ site: connection.url, announced: announced[0] }, 'WordPress announces its REST API on another origin than WP_URL: ignored');
  } else {
    tried.push(`the home page (HTTP ${home.status}${redirectNote(home.headers.location)}) has no Link rel="${API_LINK_REL}"`);
  }
  for (const probe of PROBES) {
    const url = `${connection.url}${probe}`;
    const status = await probeIndex(http, url);
    if (status === 'index') return { root: url, via: 'probe' };
    tried.push(`${url} answered HTTP ${status}, not a REST index`);
  }
  throw new AppError(
    'cms_error',
    `found no WordPress REST API at ${connection.url}: ${tried.join('; ')}. Check WP_URL (the site's address)`,
    {
      context: { url: connection.url, tried },
    },
  );
}

function redirectNote(location: unknown): string {
  return typeof location === 'string' && location !== '' ? ` redirecting to ${location}` : '';
}

/** A path root ends with a slash, so routes resolve under it (`new URL('wp/v2/media', root)`). */
function asRoot(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('rest_route') && !parsed.pathname.endsWith('/')) parsed.pathname += '/';
  return parsed.href;
}

/**
 * A REST index answers 200 with its `namespaces`; a site that closes REST to anonymous callers
 * answers its own JSON error (`rest_…`), which still says the API lives here. `_fields` keeps the
 * index small (a site with many plugins lists megabytes of routes).
 */
async function probeIndex(http: AxiosInstance, url: string): Promise<'index' | number> {
  const answer = await http.get<unknown>(url, { params: { _fields: 'namespaces' }, headers: { Accept: 'application/json' } });
  const data = typeof answer.data === 'object' && answer.data !== null ? (answer.data as { namespaces?: unknown; code?: unknown }) : null;
  const index =
    answer.status === 200
      ? Array.isArray(data?.namespaces)
      : (answer.status === 401 || answer.status === 403) && typeof data?.code === 'string' && data.code.startsWith('rest_');
  return index ? 'index' : answer.status;
}

/**
 * Points a request for a route relative to the REST root (`wp/v2/media`, `wp/v2/users/me?context=edit`,
 * `''` for the index) at `root`: appended to a path root, or put in `rest_route` for a query root
 * (`index.php?rest_route=/wp/v2/media&vcmp_status=pending…`). The root's own query, the route's
 * inline query and the request's params are all kept, in that order of precedence (last wins).
 */
export function routeRequest<T extends AxiosRequestConfig>(root: string, config: T): T {
  const base = new URL(root);
  const relative = config.url ?? '';
  const q = relative.indexOf('?');
  const path = (q < 0 ? relative : relative.slice(0, q)).replace(/^\/+/, '');
  const route = base.searchParams.get('rest_route');
  const query: Record<string, unknown> = route === null ? {} : { rest_route: `${route.replace(/\/+$/, '')}/${path}` };
  for (const [key, value] of [...base.searchParams, ...new URLSearchParams(q < 0 ? '' : relative.slice(q + 1))])
    if (key !== 'rest_route') query[key] = value;
  base.search = '';
  base.hash = '';
  if (route === null && !base.pathname.endsWith('/')) base.pathname += '/';
  config.url = route === null ? new URL(path, base).href : base.href;
  config.baseURL = undefined;
  config.params = { ...query, ...(config.params as Record<string, unknown> | undefined) };
  return config;
}

/**
 * The discovered root, found once and shared by concurrent requests. A failed discovery is
 * forgotten, so the next request looks again; so is a root the site stopped answering on
 * ({@link forget}, after a non-REST 404: the permalinks were switched).
 */
export class RestRootCache {
  private pending: Promise<string> | null = null;
  private last: string | null = null;

  constructor(
    private readonly discover: () => Promise<FoundRoot>,
    private readonly log?: Logger,
  ) {}

  get(): Promise<string> {
    if (this.pending) return this.pending;
    const pending = this.discover().then(({ root, via }) => {
      if (root !== this.last) this.log?.info({ root, via }, 'WordPress REST API found');
      this.last = root;
      return root;
    });
    this.pending = pending;
    pending.catch(() => {
      if (this.pending === pending) this.pending = null;
    });
    return pending;
  }

  forget(): void {
    this.pending = null;
  }
}
