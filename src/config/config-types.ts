import type { PublishConfig } from './publish-config.js';
/** The typed, frozen slices each module receives; built by loadConfig() in config.ts. */
import type { AppwriteConfig } from './appwrite-config.js';
import type { LadderRungSpec } from './parsers.js';
import type { SourceKind } from '../domain/record.js';
import type { RawEnv } from './schema.js';
import type { WordpressConfig } from './wordpress-config.js';

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
  /** Bearer token accepted by GET /metrics besides the API key; null = API key only. */
  readonly metricsToken: string | null;
}

export interface StorageConfig {
  readonly dir: string;
  readonly tempDir: string;
  readonly hlsDir: string;
  readonly dbPath: string;
  /** STORE_URL: a PostgreSQL connection URL (it holds the password: never log it), or null for the SQLite file at dbPath. */
  readonly storeUrl: string | null;
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

/** Daily housekeeping of the daemon (temp leftovers, old ledger rows). */
export interface MaintenanceConfig {
  readonly cleanupCron: string;
  readonly ledgerRetentionDays: number;
  /** Local jobs that ended longer ago are deleted (their ladders stay). */
  readonly jobRetentionDays: number;
  /** A ladder without a record (or one its record no longer points at) is removed after this long. */
  readonly orphanGraceDays: number;
}

/** Completion callbacks (src/callbacks): a POST of the job's JSON when it completes, fails or is cancelled. */
export interface CallbacksConfig {
  /** Sent for the jobs of every source; null = only jobs submitted with their own callback_url. */
  readonly url: string | null;
  /** HMAC-SHA256 key of X-Signature; null = deliveries are unsigned. */
  readonly secret: string | null;
  /** Callback hosts that resolve to private, loopback or link-local addresses are refused unless set. */
  readonly allowPrivate: boolean;
}

export interface DownloadConfig {
  readonly maxBytes: number;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxRedirects: number;
  readonly allowPrivate: boolean;
}

/** Bounds of every ladder run of FFmpeg (the encode watchdog of src/media/encode-watchdog.ts). */
export interface EncodeWatchdogConfig {
  /** No advance of FFmpeg's output time for this long kills the run (encode_stalled). */
  readonly stallSeconds: number;
  /** A run longer than timeoutFactor × the source duration + 60 s is killed (encode_timeout). */
  readonly timeoutFactor: number;
}

/** The outputs made from the encoded rungs after the ladder (src/media/previews); the poster and metadata.json always are. */
export interface PreviewConfig {
  /** PREVIEWS=on: thumbnails, storyboard and preview.mp4; off: none of them. */
  readonly enabled: boolean;
  readonly thumbnailCount: number;
  /** Never wider than the top rung. */
  readonly thumbnailWidth: number;
  /** Seconds between storyboard tiles; raised for long videos so one has at most ~500 tiles. */
  readonly storyboardIntervalSeconds: number;
}

export interface MediaConfig {
  readonly ffmpegPath: string;
  readonly ffprobePath: string;
  readonly ladder: readonly LadderRungSpec[];
  readonly x264Preset: RawEnv['X264_PRESET'];
  readonly threads: number;
  readonly videoEncoder: RawEnv['VIDEO_ENCODER'];
  readonly vaapiDevice: string;
  /** nice(1) level FFmpeg runs at; 0 = unchanged. */
  readonly nice: number;
  readonly passthrough: RawEnv['PASSTHROUGH'];
  readonly segmentSeconds: number;
  readonly audioBitrateKbps: number;
  readonly minDurationSeconds: number;
  readonly maxDurationSeconds: number;
  readonly maxPixels: number;
  readonly maxFps: number;
  readonly watchdog: EncodeWatchdogConfig;
  readonly previews: PreviewConfig;
  /** QUALITY_METRICS=on: metadata.json gives every rung's SSIM and PSNR against the source (src/media/previews/quality-metrics.ts). */
  readonly qualityMetrics: boolean;
}

/** The dashboard's login. Disabled while neither password variable is set. */
export interface AdminConfig {
  readonly user: string;
  readonly password: string | null;
  /** scrypt hash from `video-compressor hash-password`; wins over `password`. */
  readonly passwordHash: string | null;
  /** Signs the session cookie; null = a random key per process (sessions end at restart). */
  readonly sessionSecret: string | null;
}

/** Alert thresholds (percent, counts, durations), defaults from the product's alert conditions (docs/monitoring.md). */
export interface AlertThresholds {
  readonly cpuWarning: number;
  readonly cpuCritical: number;
  /** How long CPU must stay above a threshold. */
  readonly cpuDurationMs: number;
  readonly memoryWarning: number;
  readonly memoryCritical: number;
  readonly diskWarning: number;
  readonly diskCritical: number;
  readonly failedJobsPerHour: number;
  /** How late the poll loop may be beyond its own period. */
  readonly workerDelayMs: number;
}

export interface AlertsConfig {
  readonly cooldownMs: number;
  readonly thresholds: AlertThresholds;
  /** null = no e-mail channel. */
  readonly email: { readonly smtpUrl: string; readonly from: string; readonly to: readonly string[] } | null;
  readonly slackWebhookUrl: string | null;
  readonly discordWebhookUrl: string | null;
  /** null = no daily report (DAILY_REPORT_CRON=off). */
  readonly dailyReportCron: string | null;
}

export interface AppConfig {
  readonly env: RawEnv['NODE_ENV'];
  readonly server: ServerConfig;
  readonly storage: StorageConfig;
  /** Where ladders are published: local disk, or an S3-compatible bucket. */
  readonly publish: PublishConfig;
  readonly logging: LoggingConfig;
  readonly worker: WorkerConfig;
  readonly maintenance: MaintenanceConfig;
  readonly download: DownloadConfig;
  readonly media: MediaConfig;
  readonly admin: AdminConfig;
  readonly alerts: AlertsConfig;
  readonly callbacks: CallbacksConfig;
  /** Set when the Appwrite connection variables are; required by SOURCES=appwrite. */
  readonly appwrite: AppwriteConfig | null;
  /** Set when the WordPress connection variables are; required by SOURCES=wordpress. */
  readonly wordpress: WordpressConfig | null;
}
