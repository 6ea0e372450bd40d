import { access, constants, mkdir, readdir, rm, statfs, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AppConfig } from '../config/config.js';
import { runProcess, succeeded } from '../media/process-runner.js';
import { describeStore, openStore } from '../store/open-store.js';
import { silentLogger } from '../logging/logger.js';
import { hlsUrl, MASTER_PLAYLIST } from '../domain/storage-layout.js';

/** One line of the doctor's report. */
export interface DoctorCheck {
  readonly level: 'ok' | 'warn' | 'fail';
  readonly name: string;
  readonly detail: string;
}

const MIN_NODE: readonly [number, number] = [20, 19];
const LOW_INODES_RATIO = 0.05;

/** What the daemon will run with, secrets reduced to "set"/"unset". */
export function configSummary(config: AppConfig): [string, string][] {
  const { server, storage, worker, media, maintenance, logging } = config;
  return [
    ['NODE_ENV', config.env],
    ['listen', `${server.host}:${server.port}`],
    ['PUBLIC_BASE_URL', server.publicBaseUrl],
    ['SERVE_HLS', String(server.serveHls)],
    ['TRUST_PROXY', String(server.trustProxy)],
    ['API_KEY', server.apiKey === null ? 'unset' : 'set'],
    ['STORAGE_DIR', storage.dir],
    ['LOG_DIR', `${logging.dir} (level ${logging.level})`],
    ['SOURCES', worker.sources.join(',')],
    ['WORKER_ID', worker.id],
    ['POLL_CRON', `${worker.pollCron} (concurrency ${worker.concurrency}, lease ${worker.leaseSeconds} s)`],
    ['LADDER', media.ladder.map((r) => `${r.name}:${r.height}:${r.crf}`).join(',')],
    ['X264_PRESET', `${media.x264Preset} (segments of ${media.segmentSeconds} s)`],
    ['CLEANUP_CRON', `${maintenance.cleanupCron} (ledger kept ${maintenance.ledgerRetentionDays} days)`],
    [
      'machine',
      `${os.hostname()}, Node ${process.versions.node}, ${os.cpus().length} CPU(s), ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB RAM`,
    ],
  ];
}

/** The deployment and runtime checks an operator needs beyond ffmpeg and storage. */
export async function readinessChecks(config: AppConfig): Promise<DoctorCheck[]> {
  const checks = [checkNode(), checkPublicUrl(config), checkServeHls(config, await nginxVersion()), checkProxyTrust(config)];
  checks.push(await checkLogs(config), await checkInodes(config), await tempSummary(config), ...(await checkDatabase(config)));
  checks.push(await checkDaemon(config), ...(await checkPublicHealth(config)));
  return checks;
}

function isLocalUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

function checkNode(): DoctorCheck {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return ok
    ? { level: 'ok', name: 'node', detail: process.versions.node }
    : {
        level: 'fail',
        name: 'node',
        detail: `${process.versions.node}: 20.19 or newer is needed (PM2 loads ecosystem.config.js as an ES module)`,
      };
}

function checkPublicUrl(config: AppConfig): DoctorCheck {
  const url = config.server.publicBaseUrl;
  if (isLocalUrl(url)) {
    const level = config.env === 'production' ? 'warn' : 'ok';
    return {
      level,
      name: 'PUBLIC_BASE_URL',
      detail: `${url}: players elsewhere cannot reach it; set the public https origin nginx serves`,
    };
  }
  if (url.startsWith('http:')) {
    return {
      level: 'warn',
      name: 'PUBLIC_BASE_URL',
      detail: `${url}: players on https pages refuse http playlists (mixed content); use https`,
    };
  }
  return { level: 'ok', name: 'PUBLIC_BASE_URL', detail: `ladders at ${hlsUrl(url, '<key>', MASTER_PLAYLIST)}` };
}

function checkServeHls(config: AppConfig, nginx: string | null): DoctorCheck {
  const local = isLocalUrl(config.server.publicBaseUrl);
  const seen = nginx === null ? 'nginx not installed here' : nginx;
  if (config.server.serveHls && !local) {
    return {
      level: 'warn',
      name: 'SERVE_HLS',
      detail: `true: in production nginx serves storage/hls (nginx/video-compressor.conf); set SERVE_HLS=false (${seen})`,
    };
  }
  if (!config.server.serveHls && nginx === null) {
    return {
      level: 'warn',
      name: 'SERVE_HLS',
      detail: 'false, and nginx is not installed here: nothing serves storage/hls unless another host does',
    };
  }
  return { level: 'ok', name: 'SERVE_HLS', detail: `${config.server.serveHls} (${seen})` };
}

function checkProxyTrust(config: AppConfig): DoctorCheck {
  const { host, trustProxy, publicBaseUrl } = config.server;
  const loopback = host === '127.0.0.1' || host === '::1' || host === 'localhost';
  if (!loopback && trustProxy) {
    return {
      level: 'warn',
      name: 'HOST',
      detail: `${host} with TRUST_PROXY=true: clients can bypass nginx and forge X-Forwarded-For; use HOST=127.0.0.1`,
    };
  }
  if (!trustProxy && !isLocalUrl(publicBaseUrl)) {
    return {
      level: 'warn',
      name: 'TRUST_PROXY',
      detail: 'false behind a reverse proxy: client addresses (logs, rate limits) will all be the proxy; set TRUST_PROXY=true',
    };
  }
  return { level: 'ok', name: 'HOST', detail: `${host}, TRUST_PROXY=${trustProxy}` };
}

async function checkLogs(config: AppConfig): Promise<DoctorCheck> {
  try {
    await mkdir(config.logging.dir, { recursive: true });
    const probe = path.join(config.logging.dir, `.doctor-${process.pid}`);
    await writeFile(probe, 'ok');
    await rm(probe);
    return { level: 'ok', name: 'logs', detail: `${config.logging.dir} writable` };
  } catch (err) {
    return { level: 'fail', name: 'logs', detail: `${config.logging.dir} is not writable: ${(err as Error).message}` };
  }
}

/** Every segment is a file: a volume can run out of inodes long before it runs out of bytes. */
async function checkInodes(config: AppConfig): Promise<DoctorCheck> {
  const stats = await statfs(config.storage.dir).catch(() => null);
  if (stats === null || stats.files === 0) return { level: 'ok', name: 'inodes', detail: 'not reported by this filesystem' };
  const ratio = stats.ffree / stats.files;
  const detail = `${stats.ffree.toLocaleString('en')} free (${(ratio * 100).toFixed(0)}%) on the storage volume`;
  return { level: ratio < LOW_INODES_RATIO ? 'warn' : 'ok', name: 'inodes', detail };
}

async function checkDatabase(config: AppConfig): Promise<DoctorCheck[]> {
  try {
    const store = await openStore(config.storage, { now: () => new Date(), log: silentLogger() });
    try {
      const counts = Object.entries(await store.jobs.countByStatus()).filter(([, n]) => n > 0);
      const ledger = await store.ledger.extent();
      const since = ledger.oldestStartedAt === null ? '' : ` since ${ledger.oldestStartedAt.slice(0, 10)}`;
      const kept = config.maintenance.ledgerRetentionDays;
      return [
        { level: 'ok', name: 'jobs', detail: counts.length === 0 ? 'none yet' : counts.map(([status, n]) => `${n} ${status}`).join(', ') },
        { level: 'ok', name: 'ledger', detail: `${ledger.attempts} attempt(s)${since}, kept ${kept} days` },
      ];
    } finally {
      await store.close();
    }
  } catch (err) {
    return [{ level: 'fail', name: 'database', detail: `cannot open ${describeStore(config.storage)}: ${(err as Error).message}` }];
  }
}

/** Whether a daemon answers on HOST:PORT (doctor also runs before the first start: not a failure). */
async function checkDaemon(config: AppConfig): Promise<DoctorCheck> {
  const host = ['0.0.0.0', '::'].includes(config.server.host) ? '127.0.0.1' : config.server.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}/health`;
  const health = await getJson(url, 2000);
  if (health.error !== null)
    return { level: 'warn', name: 'daemon', detail: `not answering at ${url} (${health.error}); start it: pm2 start ecosystem.config.js` };
  const body = health.body as { state?: string; version?: string; status?: string };
  const detail = `${body.status ?? '?'} at ${url}: state ${body.state ?? '?'}, version ${body.version ?? '?'}`;
  return { level: health.status === 200 ? 'ok' : 'warn', name: 'daemon', detail };
}

/** /health through the public URL: DNS, TLS and the nginx proxy in one request. */
async function checkPublicHealth(config: AppConfig): Promise<DoctorCheck[]> {
  if (isLocalUrl(config.server.publicBaseUrl)) return [];
  const url = `${config.server.publicBaseUrl}/health`;
  const health = await getJson(url, 5000);
  if (health.error !== null)
    return [{ level: 'warn', name: 'public URL', detail: `${url}: ${health.error} (DNS, TLS certificate or the nginx site)` }];
  return [{ level: health.status === 200 ? 'ok' : 'warn', name: 'public URL', detail: `${url} answered ${health.status}` }];
}

async function getJson(url: string, timeoutMs: number): Promise<{ status: number; body: unknown; error: string | null }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body: unknown = await res.json().catch(() => null);
    return { status: res.status, body, error: null };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { status: 0, body: null, error: cause ?? (err as Error).message };
  }
}

async function nginxVersion(): Promise<string | null> {
  for (const binary of ['nginx', '/usr/sbin/nginx']) {
    if (
      binary.startsWith('/') &&
      (await access(binary, constants.X_OK).then(
        () => false,
        () => true,
      ))
    )
      continue;
    // nginx prints its version on stderr.
    const result = await runProcess({ binary, args: ['-v'], timeoutMs: 5000 }).catch(() => null);
    const out = result !== null && succeeded(result) ? result.stderrTail.join('\n') : null;
    const version = out === null ? null : /nginx\/\S+/.exec(out)?.[0];
    if (version) return version;
  }
  return null;
}

/** Work directories in storage/temp right now (running jobs, or leftovers the daily cleanup removes). */
async function tempSummary(config: AppConfig): Promise<DoctorCheck> {
  const names = await readdir(config.storage.tempDir).catch(() => [] as string[]);
  return { level: 'ok', name: 'temp', detail: `${names.length} work dir(s) in ${config.storage.tempDir}` };
}
