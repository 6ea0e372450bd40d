/**
 * The shipped nginx site (nginx/video-compressor.conf) run by the Debian nginx package on
 * 127.0.0.1, without root: its own prefix, pid, logs and temp paths in a temp directory, the TLS
 * server block with a throwaway self-signed certificate, ports and paths rewritten.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const SHIPPED_SITE = new URL('../../nginx/video-compressor.conf', import.meta.url).pathname;
const INSTALL_HINT = 'apt-get install -y --no-install-recommends nginx openssl (scripts/test.sh does it when run as root)';

export interface RenderOptions {
  readonly upstreamPort: number;
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly hlsDir: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly acmeDir: string;
}

/**
 * The shipped site with test ports and paths. Every substitution must match exactly as many
 * times as expected, so a changed site file fails here instead of being tested half-rewritten.
 */
export function renderSite(site: string, o: RenderOptions): string {
  const edits: [string, string, number][] = [
    ['server 127.0.0.1:3000;', `server 127.0.0.1:${o.upstreamPort};`, 1],
    ['listen 80;', `listen 127.0.0.1:${o.httpPort};`, 1],
    ['listen [::]:80;', '', 1],
    ['listen 443 ssl http2;', `listen 127.0.0.1:${o.httpsPort} ssl http2;`, 1],
    ['listen [::]:443 ssl http2;', '', 1],
    ['/etc/letsencrypt/live/example.com/fullchain.pem', o.certFile, 1],
    ['/etc/letsencrypt/live/example.com/privkey.pem', o.keyFile, 1],
    ['/var/www/video-compressor/storage/hls/', `${o.hlsDir}/`, 1],
    ['root /var/www/html;', `root ${o.acmeDir};`, 1],
  ];
  let text = site;
  for (const [from, to, times] of edits) {
    const found = text.split(from).length - 1;
    if (found !== times) throw new Error(`nginx/video-compressor.conf: expected "${from}" ${times} time(s), found ${found}`);
    text = text.split(from).join(to);
  }
  return text;
}

/** The main nginx.conf around the site: Debian's http-level defaults, everything writable in `dir`. */
function mainConf(dir: string): string {
  return `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 128; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    gzip on;
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/tmp/body;
    proxy_temp_path ${dir}/tmp/proxy;
    fastcgi_temp_path ${dir}/tmp/fastcgi;
    uwsgi_temp_path ${dir}/tmp/uwsgi;
    scgi_temp_path ${dir}/tmp/scgi;
    include ${dir}/site.conf;
}
`;
}

export function findBinary(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return path.join(dir, name);
    } catch {
      // next
    }
  }
  return null;
}

export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface NginxServer {
  readonly dir: string;
  readonly httpsPort: number;
  readonly httpPort: number;
  readonly certFile: string;
  /** `https://127.0.0.1:<port>` */
  readonly origin: string;
  /** An HTTPS request whose path is sent exactly as given (no normalisation of `..`). */
  request(method: string, rawPath: string, headers?: Record<string, string>, body?: string): Promise<HttpResult>;
  /** A plain HTTP request to the port-80 server block. */
  requestPlain(method: string, rawPath: string): Promise<HttpResult>;
  accessLog(): Promise<string>;
  stop(): Promise<void>;
}

export interface StartNginxOptions {
  readonly upstreamPort: number;
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly hlsDir: string;
}

export async function startNginx(options: StartNginxOptions): Promise<NginxServer> {
  const nginx = findBinary('nginx');
  const openssl = findBinary('openssl');
  if (nginx === null || openssl === null) throw new Error(`nginx and openssl are needed: ${INSTALL_HINT}`);
  const dir = await mkdtemp(path.join(tmpdir(), 'vc-nginx-'));
  // As root, nginx's workers run as nobody: like www-data in production, they only need to read.
  await chmod(dir, 0o755);
  const acmeDir = path.join(dir, 'acme');
  await mkdir(path.join(dir, 'tmp'));
  await mkdir(path.join(acmeDir, '.well-known', 'acme-challenge'), { recursive: true });
  await writeFile(path.join(acmeDir, '.well-known', 'acme-challenge', 'token-1'), 'challenge-answer');
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  await run(openssl, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  const site = renderSite(readFileSync(SHIPPED_SITE, 'utf8'), { ...options, certFile, keyFile, acmeDir });
  await writeFile(path.join(dir, 'site.conf'), site);
  await writeFile(path.join(dir, 'nginx.conf'), mainConf(dir));

  const args = ['-p', `${dir}/`, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')];
  await run(nginx, [...args, '-t']).catch((err: Error & { stderr?: string }) => {
    throw new Error(`nginx -t refused the rendered site:\n${err.stderr ?? err.message}`);
  });
  const child = spawn(nginx, [...args, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // nginx's workers outlive a killed master: make sure the master is told to stop, even on a crash.
  const onExit = (): void => void child.kill('SIGTERM');
  process.once('exit', onExit);
  await waitForPort(child, options.httpsPort, () => stderr);
  const ca = await readFile(certFile);

  return {
    dir,
    httpsPort: options.httpsPort,
    httpPort: options.httpPort,
    certFile,
    origin: `https://127.0.0.1:${options.httpsPort}`,
    request: (method, rawPath, headers = {}, body) =>
      send(httpsRequest, { port: options.httpsPort, method, path: rawPath, headers, ca, agent: false }, body),
    requestPlain: (method, rawPath) => send(httpRequest, { port: options.httpPort, method, path: rawPath, agent: false }),
    accessLog: () => readFile(path.join(dir, 'access.log'), 'utf8'),
    stop: async () => {
      process.removeListener('exit', onExit);
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

type RequestFn = typeof httpRequest;

function send(fn: RequestFn | typeof httpsRequest, options: Record<string, unknown>, body?: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = fn({ host: '127.0.0.1', ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.once('error', reject);
    req.end(body);
  });
}

async function waitForPort(child: ChildProcess, port: number, stderr: () => string): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await delay(50);
  }
  throw new Error(`nginx did not listen on ${port}: ${stderr()}`);
}

/** SIGTERM (nginx's fast shutdown stops the workers too), SIGKILL after 5 s. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
