/**
 * A WordPress site in miniature on a loopback port, for the WordPress source's HTTP side: the home
 * page with its `Link: <root>; rel="https://api.w.org/"` header, and the few REST routes the daemon
 * calls (media list/read/write, the plugin's claim and status, users/me). With pretty permalinks the
 * API answers at /wp-json/<route> and at ?rest_route=; with plain ones only at ?rest_route= (and
 * /wp-json/... is the theme's HTML 404 page), as in WordPress.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startServer, type TestServer } from '../helpers/http-fixtures.js';

export interface FakeWordpressOptions {
  readonly permalinks: 'pretty' | 'plain';
  /** The home page's Link header: the announced root by default, `false` for none, given values as are (`{origin}` replaced). */
  readonly link?: false | string | readonly string[];
  readonly version?: string;
  readonly capabilities?: Record<string, boolean>;
}

/** One request the site saw. */
export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  /** The REST route, or null for a page. */
  readonly route: string | null;
  readonly query: URLSearchParams;
  readonly authorized: boolean;
  /** A POST's JSON body ({} otherwise). */
  readonly body: Record<string, unknown>;
}

export interface FakeWordpress {
  readonly url: string;
  readonly server: TestServer;
  /** Attachments by id: meta without the `vcmp_` prefix. */
  readonly media: Map<number, Record<string, unknown>>;
  readonly requests: FakeRequest[];
  /** REST calls (route set), optionally of one method and route prefix. */
  restCalls(method?: string, prefix?: string): FakeRequest[];
  close(): Promise<void>;
}

export async function startFakeWordpress(options: FakeWordpressOptions): Promise<FakeWordpress> {
  const media = new Map<number, Record<string, unknown>>();
  const requests: FakeRequest[] = [];
  let origin = '';
  const server = await startServer((req, res) => {
    void handle(req, res).catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  origin = server.origin;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    const route = routeOf(url, options.permalinks);
    const authorized = (req.headers.authorization ?? '').startsWith('Basic ');
    const body = req.method === 'POST' ? await readJson(req) : {};
    requests.push({ method: req.method ?? 'GET', path: url.pathname, route, query: url.searchParams, authorized, body });
    if (route === null) return page(url, res);
    if (route === '/') return json(res, 200, { name: 'Fake site', namespaces: ['wp/v2', 'video-compressor/v1'] });
    if (!authorized) return json(res, 401, { code: 'rest_not_logged_in', message: 'You are not currently logged in.' });
    return rest(req.method ?? 'GET', route, url.searchParams, body, res);
  }

  function page(url: URL, res: ServerResponse): void {
    const root = options.permalinks === 'pretty' ? `${origin}/wp-json/` : `${origin}/index.php?rest_route=/`;
    const link = options.link === undefined ? `<${root}>; rel="https://api.w.org/"` : options.link;
    const headers: Record<string, string | string[]> = { 'Content-Type': 'text/html' };
    // Several values are sent as several Link header lines.
    if (link !== false) headers.Link = (typeof link === 'string' ? [link] : [...link]).map((l) => l.replaceAll('{origin}', origin));
    res.writeHead(url.pathname === '/' ? 200 : 404, headers).end('<html>a page</html>');
  }

  function rest(method: string, route: string, query: URLSearchParams, body: Record<string, unknown>, res: ServerResponse): void {
    const item = /^\/wp\/v2\/media\/(\d+)$/.exec(route);
    const claim = /^\/video-compressor\/v1\/claim\/(\d+)$/.exec(route);
    if (route === '/wp/v2/media' && method === 'GET') {
      const status = query.get('vcmp_status');
      const items = [...media].filter(([, meta]) => status === null || meta.status === status).map(([id, meta]) => mediaItem(id, meta));
      return json(res, 200, items, { 'X-WP-Total': String(items.length) });
    }
    if (item) {
      const meta = media.get(Number(item[1]));
      if (!meta) return json(res, 404, { code: 'rest_post_invalid_id', message: 'Invalid post ID.' });
      if (method === 'POST') for (const [key, value] of Object.entries(body.meta ?? {})) meta[key.replace(/^vcmp_/, '')] = value;
      return json(res, 200, mediaItem(Number(item[1]), meta));
    }
    if (claim) {
      const meta = media.get(Number(claim[1]));
      if (!meta) return json(res, 404, { code: 'vcmp_not_found', message: 'No such video.' });
      Object.assign(meta, { status: 'processing', claimed_by: body.worker, heartbeat_at: new Date().toISOString() });
      return json(res, 200, mediaItem(Number(claim[1]), meta));
    }
    if (route === '/video-compressor/v1/status') return json(res, 200, { version: options.version ?? '2.0.0', counts: { pending: 0 } });
    if (route === '/wp/v2/users/me') return json(res, 200, { id: 1, capabilities: options.capabilities ?? {} });
    json(res, 404, { code: 'rest_no_route', message: 'No route was found matching the URL and request method.' });
  }

  return {
    url: origin,
    server,
    media,
    requests,
    restCalls: (method, prefix = '') => requests.filter((r) => r.route?.startsWith(prefix) && (!method || r.method === method)),
    close: () => server.close(),
  };
}

/** The REST route a URL names, as WordPress reads it; null for a page. */
function routeOf(url: URL, permalinks: 'pretty' | 'plain'): string | null {
  const restRoute = url.searchParams.get('rest_route');
  if (restRoute !== null && (url.pathname === '/' || url.pathname === '/index.php')) return restRoute;
  if (permalinks === 'pretty' && url.pathname.startsWith('/wp-json/')) return url.pathname.slice('/wp-json'.length);
  return null;
}

function mediaItem(id: number, meta: Record<string, unknown>): Record<string, unknown> {
  return {
    id,
    date_gmt: '2026-01-02T03:04:05',
    modified_gmt: '2026-01-02T03:04:05',
    source_url: `http://127.0.0.1/wp-content/uploads/${id}.mp4`,
    title: { raw: `Video ${id}` },
    mime_type: 'video/mp4',
    meta: Object.fromEntries(Object.entries(meta).map(([key, value]) => [`vcmp_${key}`, value ?? ''])),
  };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}
