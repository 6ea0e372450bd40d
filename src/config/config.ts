import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { envSchema, type RawEnv, type SourceKind } from './schema.js';
import type { LadderRungSpec } from './parsers.js';

export type { SourceKind } from './schema.js';
export type { LadderRungSpec } from './parsers.js';

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** null when unset: `start` refuses to run without it. */
  readonly apiKey: string | null;
  /** No trailing slash. Public URL = publicBaseUrl + /storage/hls/<key>/… */
  readonly publicBaseUrl: string;
  readonly serveHls: boolean;
  readonly trustProxy: boolean;
  readonly version: string;
}

export interface StorageConfig {
  readonly dir: string;
  readonly tempDir: string;
  readonly hlsDir: string;
  readonly dbPath: string;
  readonly diskSpaceFactor: number;
}

export interface LoggingConfig {
  readonly level: RawEnv['LOG_LEVEL'];
  readonly dir: string;
  readonly maxSizeBytes: number;
  readonly maxFiles: number;
  readonly pretty: 'auto' | 'true' | 'false';
}

export interface WorkerConfig {
  readonly id: string;
  readonly sources: readonly SourceKind[];
  readonly pollCron: string;
  readonly pollPageSize: number;
  readonly concurrency: number;
  readonly leaseSeconds: number;
  readonly heartbeatMs: number;
  readonly retryDelaysMs: readonly number[];
  readonly shutdownTimeoutMs: number;
}

export interface DownloadConfig {
  readonly maxBytes: number;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxRedirects: number;
  readonly allowPrivate: boolean;
}

export interface MediaConfig {
  readonly ffmpegPath: string;
  readonly ffprobePath: string;
  readonly ladder: readonly LadderRungSpec[];
  readonly x264Preset: RawEnv['X264_PRESET'];
  readonly threads: number;
  readonly segmentSeconds: number;
  readonly audioBitrateKbps: number;
  readonly minDurationSeconds: number;
  readonly maxDurationSeconds: number;
  readonly maxPixels: number;
  readonly maxFps: number;
}

export interface AppConfig {
  readonly env: RawEnv['NODE_ENV'];
  readonly server: ServerConfig;
  readonly storage: StorageConfig;
  readonly logging: LoggingConfig;
  readonly worker: WorkerConfig;
  readonly download: DownloadConfig;
  readonly media: MediaConfig;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface LoadConfigOptions {
  /** The environment; `process.env` when omitted. Wins over the .env file. */
  env?: Record<string, string | undefined>;
  /** Directory that relative paths (.env, storage, logs) are resolved against. */
  cwd?: string;
  /** Path of the .env file; `<cwd>/.env` (or ENV_FILE) when omitted; false to skip. */
  envFile?: string | false;
}

/** Reads .env and the environment once, validates everything, reports every problem at once. */
export function loadConfig(options: LoadConfigOptions = {}): AppConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const fromFile = readEnvFile(options.envFile ?? env.ENV_FILE ?? path.join(cwd, '.env'), cwd);
  // Empty values (`API_KEY=` in a copied .env.example) mean "use the default".
  const merged = { ...definedOnly(fromFile), ...definedOnly(env) };
  const parsed = envSchema.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`));
  }
  return deepFreeze(buildConfig(parsed.data, cwd));
}

function readEnvFile(file: string | false, cwd: string): Record<string, string> {
  if (file === false) return {};
  try {
    return parseDotenv(readFileSync(path.resolve(cwd, file)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError([`cannot read ${file}: ${(err as Error).message}`]);
  }
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') out[key] = value;
  return out;
}

function buildConfig(raw: RawEnv, cwd: string): AppConfig {
  const storageDir = path.resolve(cwd, raw.STORAGE_DIR);
  const publicBaseUrl = (raw.PUBLIC_BASE_URL ?? `http://localhost:${raw.PORT}`).replace(/\/+$/, '');
  return {
    env: raw.NODE_ENV,
    server: {
      host: raw.HOST,
      port: raw.PORT,
      apiKey: raw.API_KEY ?? null,
      publicBaseUrl,
      serveHls: raw.SERVE_HLS,
      trustProxy: raw.TRUST_PROXY,
      version: packageVersion(),
    },
    storage: {
      dir: storageDir,
      tempDir: path.join(storageDir, 'temp'),
      hlsDir: path.join(storageDir, 'hls'),
      dbPath: path.join(storageDir, 'state.db'),
      diskSpaceFactor: raw.DISK_SPACE_FACTOR,
    },
    logging: {
      level: raw.LOG_LEVEL,
      dir: path.resolve(cwd, raw.LOG_DIR),
      maxSizeBytes: raw.LOG_MAX_SIZE,
      maxFiles: raw.LOG_MAX_FILES,
      pretty: raw.LOG_PRETTY,
    },
    worker: {
      id: raw.WORKER_ID ?? `${hostname()}:${process.pid}`,
      sources: raw.SOURCES,
      pollCron: raw.POLL_CRON,
      pollPageSize: raw.POLL_PAGE_SIZE,
      concurrency: raw.CONCURRENCY,
      leaseSeconds: raw.LEASE_SECONDS,
      heartbeatMs: raw.HEARTBEAT_SECONDS * 1000,
      retryDelaysMs: raw.RETRY_DELAYS,
      shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT,
    },
    download: {
      maxBytes: raw.MAX_SOURCE_BYTES,
      connectTimeoutMs: raw.DOWNLOAD_CONNECT_TIMEOUT,
      idleTimeoutMs: raw.DOWNLOAD_IDLE_TIMEOUT,
      maxRedirects: raw.DOWNLOAD_MAX_REDIRECTS,
      allowPrivate: raw.ALLOW_PRIVATE_SOURCE_URLS,
    },
    media: {
      ffmpegPath: raw.FFMPEG_PATH,
      ffprobePath: raw.FFPROBE_PATH,
      ladder: raw.LADDER,
      x264Preset: raw.X264_PRESET,
      threads: raw.FFMPEG_THREADS,
      segmentSeconds: raw.HLS_SEGMENT_SECONDS,
      audioBitrateKbps: raw.AUDIO_BITRATE_KBPS,
      minDurationSeconds: raw.MIN_DURATION_SECONDS,
      maxDurationSeconds: raw.MAX_DURATION_SECONDS,
      maxPixels: raw.MAX_SOURCE_PIXELS,
      maxFps: raw.MAX_FPS,
    },
  };
}

function packageVersion(): string {
  const pkgPath = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
