import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { buildAppwriteConfig, missingAppwriteVariables } from './appwrite-config.js';
import type { AlertsConfig, AppConfig, MediaConfig, WorkerConfig } from './config-types.js';
import { envSchema, type RawEnv } from './schema.js';
import { buildWordpressConfig, missingWordpressVariables } from './wordpress-config.js';
import { buildPublishConfig, missingPublishVariables } from './publish-config.js';
import { workerIdOf } from '../domain/worker.js';

export type * from './config-types.js';

export type { LadderRungSpec } from './parsers.js';
export type { AppwriteConfig } from './appwrite-config.js';
export type { WordpressConfig } from './wordpress-config.js';
export type { PublishConfig, S3Config } from './publish-config.js';

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
  const problems = [
    ...(parsed.error?.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`) ?? []),
    ...missingAppwriteVariables(merged),
    ...missingWordpressVariables(merged),
    ...missingPublishVariables(merged),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
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
      metricsToken: raw.METRICS_TOKEN ?? null,
    },
    storage: {
      dir: storageDir,
      tempDir: path.join(storageDir, 'temp'),
      hlsDir: path.join(storageDir, 'hls'),
      dbPath: path.join(storageDir, 'state.db'),
      storeUrl: raw.STORE_URL ?? null,
      diskSpaceFactor: raw.DISK_SPACE_FACTOR,
    },
    publish: buildPublishConfig(raw),
    logging: {
      level: raw.LOG_LEVEL,
      dir: path.resolve(cwd, raw.LOG_DIR),
      maxSizeBytes: raw.LOG_MAX_SIZE,
      maxFiles: raw.LOG_MAX_FILES,
      pretty: raw.LOG_PRETTY,
    },
    worker: buildWorkerConfig(raw),
    maintenance: {
      cleanupCron: raw.CLEANUP_CRON,
      ledgerRetentionDays: raw.LEDGER_RETENTION_DAYS,
      jobRetentionDays: raw.JOB_RETENTION_DAYS,
      orphanGraceDays: raw.ORPHAN_GRACE_DAYS,
    },
    download: {
      maxBytes: raw.MAX_SOURCE_BYTES,
      connectTimeoutMs: raw.DOWNLOAD_CONNECT_TIMEOUT,
      idleTimeoutMs: raw.DOWNLOAD_IDLE_TIMEOUT,
      maxRedirects: raw.DOWNLOAD_MAX_REDIRECTS,
      allowPrivate: raw.ALLOW_PRIVATE_SOURCE_URLS,
    },
    media: buildMediaConfig(raw),
    admin: {
      user: raw.ADMIN_USER,
      password: raw.ADMIN_PASSWORD ?? null,
      passwordHash: raw.ADMIN_PASSWORD_HASH ?? null,
      sessionSecret: raw.SESSION_SECRET ?? null,
    },
    alerts: buildAlertsConfig(raw),
    callbacks: { url: raw.CALLBACK_URL ?? null, secret: raw.CALLBACK_SECRET ?? null, allowPrivate: raw.ALLOW_PRIVATE_CALLBACK_URLS },
    appwrite: buildAppwriteConfig(raw, publicBaseUrl),
    wordpress: buildWordpressConfig(raw),
  };
}

function buildWorkerConfig(raw: RawEnv): WorkerConfig {
  return {
    id: raw.WORKER_ID ?? workerIdOf(hostname(), process.pid),
    sources: raw.SOURCES,
    pollCron: raw.POLL_CRON,
    pollPageSize: raw.POLL_PAGE_SIZE,
    concurrency: raw.CONCURRENCY,
    leaseSeconds: raw.LEASE_SECONDS,
    heartbeatMs: raw.HEARTBEAT_SECONDS * 1000,
    retryDelaysMs: raw.RETRY_DELAYS,
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT,
  };
}

function buildMediaConfig(raw: RawEnv): MediaConfig {
  return {
    ffmpegPath: raw.FFMPEG_PATH,
    ffprobePath: raw.FFPROBE_PATH,
    ladder: raw.LADDER,
    x264Preset: raw.X264_PRESET,
    threads: raw.FFMPEG_THREADS,
    videoEncoder: raw.VIDEO_ENCODER,
    vaapiDevice: raw.VAAPI_DEVICE,
    nice: raw.FFMPEG_NICE,
    passthrough: raw.PASSTHROUGH,
    segmentSeconds: raw.HLS_SEGMENT_SECONDS,
    audioBitrateKbps: raw.AUDIO_BITRATE_KBPS,
    minDurationSeconds: raw.MIN_DURATION_SECONDS,
    maxDurationSeconds: raw.MAX_DURATION_SECONDS,
    maxPixels: raw.MAX_SOURCE_PIXELS,
    maxFps: raw.MAX_FPS,
    watchdog: { stallSeconds: raw.ENCODE_STALL_SECONDS, timeoutFactor: raw.ENCODE_TIMEOUT_FACTOR },
    previews: {
      enabled: raw.PREVIEWS === 'on',
      thumbnailCount: raw.THUMBNAIL_COUNT,
      thumbnailWidth: raw.THUMBNAIL_WIDTH,
      storyboardIntervalSeconds: raw.STORYBOARD_INTERVAL,
    },
    qualityMetrics: raw.QUALITY_METRICS === 'on',
  };
}

function buildAlertsConfig(raw: RawEnv): AlertsConfig {
  // E-mail needs a server and someone to write to; the sender defaults to this host's name.
  const email =
    raw.SMTP_URL && raw.ALERT_EMAIL_TO.length > 0
      ? { smtpUrl: raw.SMTP_URL, from: raw.ALERT_EMAIL_FROM ?? `video-compressor@${hostname()}`, to: raw.ALERT_EMAIL_TO }
      : null;
  return {
    cooldownMs: raw.ALERT_COOLDOWN,
    thresholds: {
      cpuWarning: raw.ALERT_CPU_WARNING,
      cpuCritical: raw.ALERT_CPU_CRITICAL,
      cpuDurationMs: raw.ALERT_CPU_DURATION,
      memoryWarning: raw.ALERT_MEMORY_WARNING,
      memoryCritical: raw.ALERT_MEMORY_CRITICAL,
      diskWarning: raw.ALERT_DISK_WARNING,
      diskCritical: raw.ALERT_DISK_CRITICAL,
      failedJobsPerHour: raw.ALERT_FAILED_JOBS_PER_HOUR,
      workerDelayMs: raw.ALERT_WORKER_DELAY,
    },
    email,
    slackWebhookUrl: raw.SLACK_WEBHOOK_URL ?? null,
    discordWebhookUrl: raw.DISCORD_WEBHOOK_URL ?? null,
    dailyReportCron: raw.DAILY_REPORT_CRON === 'off' ? null : raw.DAILY_REPORT_CRON,
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
