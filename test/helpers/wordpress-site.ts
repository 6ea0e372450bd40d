/**
 * A real WordPress (Debian's package, MariaDB, PHP's built-in server) with our plugin active,
 * built by scripts/wordpress-test-site.sh. Setup failures throw: the WordPress tests fail, they
 * never skip.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './test-daemon.js';

const run = promisify(execFile);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type WordpressRole = 'admin' | 'editor' | 'author' | 'subscriber';

/** A user of the test site: REST with the Application Password, wp-login.php with `login`. */
export interface WordpressUser {
  readonly user: string;
  readonly password: string;
  readonly login: string;
}

export interface WordpressSite {
  readonly url: string;
  readonly users: Record<WordpressRole, WordpressUser>;
  /** Seconds the setup script took (packages already installed or not). */
  readonly setupSeconds: number;
  /** A REST call as one of the users, by `?rest_route=` (it works whatever the permalink setting). */
  rest(
    role: WordpressRole | { user: string; password: string },
    method: string,
    route: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /** Runs PHP inside the site (wordpress/test-site/eval.php); `cli` provides WP-CLI's entry points. Returns its output. */
  php(code: string, options?: { cli?: boolean }): Promise<string>;
  close(): Promise<void>;
}

/** `route` ('wp/v2/media?x=1') as a `?rest_route=` URL of the site. */
export function restUrl(siteUrl: string, route: string): string {
  const [routePath = '', query] = route.split('?', 2);
  return `${siteUrl}/?rest_route=/${routePath}${query ? `&${query}` : ''}`;
}

/** Runs `code` through eval.php in the site (as root, like the rest of the test site). */
async function runPhp(code: string, options: { cli?: boolean } = {}): Promise<string> {
  const child = spawn('php', [path.join(ROOT, 'wordpress/test-site/eval.php'), ...(options.cli ? ['--cli'] : [])], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin.end(`<?php ${code}`);
  const code_ = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code_ !== 0) throw new Error(`php exited ${code_}: ${out}${err}`);
  return out;
}

export async function startWordpressSite(): Promise<WordpressSite> {
  const port = await freePort();
  const started = Date.now();
  const { stdout } = await run(path.join(ROOT, 'scripts/wordpress-test-site.sh'), ['setup', String(port)], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  const info = JSON.parse(stdout.trim().split('\n').pop() ?? '');
  const server: ChildProcess = spawn('php', ['-S', `127.0.0.1:${port}`, '-t', info.docroot, info.router], {
    env: { ...process.env, PHP_CLI_SERVER_WORKERS: '4' },
    stdio: 'ignore',
    // Its own process group: the 4 workers outlive a signal sent to the master alone.
    detached: true,
  });
  const url: string = info.url;
  const users = { admin: info.admin, editor: info.editor, author: info.author, subscriber: info.subscriber };
  const rest: WordpressSite['rest'] = async (role, method, route, body, headers = {}) => {
    const who = typeof role === 'string' ? users[role] : role;
    const raw = Buffer.isBuffer(body);
    const res = await fetch(restUrl(url, route), {
      method,
      headers: {
        Authorization: `Basic ${Buffer.from(`${who.user}:${who.password}`).toString('base64')}`,
        ...(body === undefined || raw ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (an HTML error page): kept as text for the assertion message.
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  for (let i = 0; ; i += 1) {
    const answer = await fetch(`${url}/wp-json/`).catch(() => null);
    if (answer?.ok) break;
    if (i > 100) throw new Error(`WordPress did not start on ${url}`);
    await delay(50);
  }
  return {
    url,
    users,
    setupSeconds: (Date.now() - started) / 1000,
    rest,
    php: runPhp,
    close: async () => {
      if (server.exitCode !== null) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      process.kill(-(server.pid ?? 0), 'SIGTERM');
      await exited;
    },
  };
}

/** Uploads a file to the media library, as WordPress's own editor does (POST /wp/v2/media). */
export async function uploadMedia(
  site: WordpressSite,
  role: WordpressRole,
  file: Buffer,
  filename: string,
  contentType: string,
): Promise<any> {
  const res = await site.rest(role, 'POST', 'wp/v2/media', file, {
    'Content-Type': contentType,
    'Content-Disposition': `attachment; filename=${filename}`,
  });
  if (res.status !== 201) throw new Error(`upload of ${filename} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const MU_PLUGINS = '/var/lib/wordpress/wp-content/mu-plugins';

/**
 * A must-use plugin of the test site (`vcmp-test-<name>.php`), to reach inside a request (stop a
 * claim halfway, record hooks, define a wp-config constant). Returns its removal; the site's setup
 * removes any left behind.
 */
export async function installMuPlugin(name: string, php: string): Promise<() => Promise<void>> {
  const file = path.join(MU_PLUGINS, `vcmp-test-${name}.php`);
  await mkdir(MU_PLUGINS, { recursive: true });
  await writeFile(file, `<?php\n${php}\n`);
  return () => rm(file, { force: true });
}
