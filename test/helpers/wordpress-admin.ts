/**
 * wp-admin as a person uses it: logged in through wp-login.php (cookies), reading screens and
 * sending their forms with the nonces the screens carry. Redirects are not followed: a form's
 * answer is its redirect, whose query arguments carry the confirmation.
 */
import type { WordpressRole, WordpressSite } from './wordpress-site.js';

export interface AdminSession {
  /** A screen's HTML (e.g. 'upload.php?page=video-compressor'); throws unless 200. */
  screen(path: string): Promise<string>;
  /** Sends a form; returns the status and the Location it redirects to. */
  submit(path: string, fields: Record<string, string | string[]>): Promise<{ status: number; location: string | null; body: string }>;
  /** Follows a link (e.g. a row action); returns the status and Location. */
  follow(url: string): Promise<{ status: number; location: string | null }>;
}

/** The value of the hidden input `name` in the first form of `html` that has it (a nonce, usually). */
export function hiddenField(html: string, name: string, after = ''): string {
  const from = after ? html.indexOf(after) : 0;
  const match = new RegExp(`name="${name}" value="([^"]+)"`).exec(html.slice(Math.max(0, from)));
  if (!match?.[1]) throw new Error(`no field ${name}${after ? ` after ${after}` : ''} in the page`);
  return match[1];
}

export async function adminSession(site: WordpressSite, role: WordpressRole): Promise<AdminSession> {
  const jar = new Map<string, string>([['wordpress_test_cookie', 'WP%20Cookie%20check']]);
  const cookie = (): string => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const keep = (res: Response): void => {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  };
  const send = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const res = await fetch(url.startsWith('http') ? url : `${site.url}/wp-admin/${url}`, {
      ...init,
      redirect: 'manual',
      headers: { Cookie: cookie(), ...(init.headers as Record<string, string> | undefined) },
    });
    keep(res);
    return res;
  };
  const who = site.users[role];
  const login = await send(`${site.url}/wp-login.php`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ log: who.user, pwd: who.login, 'wp-submit': 'Log In', testcookie: '1' }).toString(),
  });
  if (login.status !== 302) throw new Error(`logging in as ${who.user} failed: HTTP ${login.status}`);
  return {
    screen: async (path) => {
      const res = await send(path);
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${body.slice(0, 300)}`);
      return body;
    },
    submit: async (path, fields) => {
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) form.append(k, one);
      const res = await send(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Referer: `${site.url}/wp-admin/${path}` },
        body: form.toString(),
      });
      return { status: res.status, location: res.headers.get('location'), body: await res.text() };
    },
    follow: async (url) => {
      // As a browser reads the attribute: &amp; and &#038; are &.
      const res = await send(url.replace(/&(amp|#038);/g, '&'), { headers: { Referer: `${site.url}/wp-admin/upload.php?mode=list` } });
      await res.arrayBuffer();
      return { status: res.status, location: res.headers.get('location') };
    },
  };
}
