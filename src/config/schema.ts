import cron from 'node-cron';
import { z } from 'zod';
import { APPWRITE_KEY_PATTERN, parseFieldMap } from './appwrite-field-map.js';
import { SOURCE_KINDS } from '../domain/record.js';
import { parseBytes, parseDurationMs, parseLadder, parseSourceList } from './parsers.js';

/** Every environment variable the daemon reads, with its default. `.env.example` mirrors this list. */

const bool = (fallback: boolean) => z.stringbool().default(fallback);
const int = (fallback: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(fallback);

const duration = (fallback: string, minMs: number, maxMs: number) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDurationMs(text);
      if (ms === null || ms < minMs || ms > maxMs) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration between ${minMs} ms and ${maxMs} ms (e.g. 30s, 5m, 1h)` });
        return z.NEVER;
      }
      return ms;
    });

const bytes = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const value = parseBytes(text);
      if (value === null || value <= 0) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not a size (e.g. 500MB, 10GiB)` });
        return z.NEVER;
      }
      return value;
    });

const percent = (fallback: number) => z.coerce.number().min(0).max(100).default(fallback);

/** `scrypt:<log2 N>:<r>:<p>:<salt>:<hash>`, salt and hash in base64url (src/http/admin/password-hash.ts). */
const PASSWORD_HASH_PATTERN = /^scrypt:\d{1,2}:\d{1,2}:\d{1,2}:[A-Za-z0-9_-]{16,}:[A-Za-z0-9_-]{32,}$/;

const appwriteKey = z.string().regex(APPWRITE_KEY_PATTERN, 'must be an Appwrite id (letters, digits, . _ -, up to 36)');

export const envSchema = z.object({
  NODE_ENV: z.enum(['production', 'development', 'test']).default('production'),
  // HTTP
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(3000, 0, 65535),
  // Required by `start` (checked there), not by one-shot commands such as `transcode`.
  API_KEY: z.string().min(24, 'must be at least 24 characters (e.g. openssl rand -hex 24)').optional(),
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  SERVE_HLS: bool(true),
  TRUST_PROXY: bool(false),
  // Publishing (publish-config.ts)
  PUBLISH_TARGET: z.enum(['local', 's3']).default('local'),
  S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a bucket name (3-63 lower-case letters, digits, . and -)')
    .optional(),
  S3_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._/-]*$/, 'may hold letters, digits, . _ - and /')
    .default('storage/hls'),
  S3_FORCE_PATH_STYLE: bool(false),
  LOCAL_COPY_DAYS: int(0, 0, 3650),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
  // Storage
  STORAGE_DIR: z.string().min(1).default('./storage'),
  DISK_SPACE_FACTOR: z.coerce.number().min(1).max(20).default(3),
  STORE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL (or empty for the embedded SQLite file)' }).optional(),
  // Logging
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_DIR: z.string().min(1).default('./logs'),
  LOG_MAX_SIZE: bytes('50MB'),
  LOG_MAX_FILES: int(14, 1, 365),
  LOG_PRETTY: z.enum(['auto', 'true', 'false']).default('auto'),
  // Worker
  WORKER_ID: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'may use letters, digits, . _ : - (1-128)')
    .optional(),
  SOURCES: z
    .string()
    .default('local')
    .transform((text, ctx) => {
      const { kinds, unknown } = parseSourceList(text);
      if (kinds.length === 0 || unknown.length > 0) {
        ctx.addIssue({ code: 'custom', message: `must list one or more of ${SOURCE_KINDS.join(', ')} (got "${text}")` });
        return z.NEVER;
      }
      return kinds;
    }),
  POLL_CRON: z
    .string()
    .default('*/2 * * * *')
    .refine((expr) => cron.validate(expr), { message: 'is not a valid cron expression (e.g. */2 * * * *)' }),
  POLL_PAGE_SIZE: int(10, 1, 100),
  CONCURRENCY: int(1, 1, 16),
  LEASE_SECONDS: int(300, 30, 86_400),
  HEARTBEAT_SECONDS: int(30, 1, 3600),
  RETRY_DELAYS: z
    .string()
    .default('0,1h,6h')
    .transform((text, ctx) => {
      const parts = text
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
      const values = parts.map(parseDurationMs);
      if (parts.length > 10 || values.some((v) => v === null)) {
        ctx.addIssue({ code: 'custom', message: `"${text}" must be up to 10 comma-separated durations (e.g. 0,1h,6h)` });
        return z.NEVER;
      }
      return values as number[];
    }),
  SHUTDOWN_TIMEOUT: duration('10s', 1000, 600_000),
  // Maintenance
  CLEANUP_CRON: z
    .string()
    .default('30 3 * * *')
    .refine((expr) => cron.validate(expr), { message: 'is not a valid cron expression (e.g. 30 3 * * *)' }),
  LEDGER_RETENTION_DAYS: int(90, 1, 36_500),
  JOB_RETENTION_DAYS: int(90, 1, 36_500),
  ORPHAN_GRACE_DAYS: int(7, 0, 3650),
  // Completion callbacks
  CALLBACK_URL: z.url({ protocol: /^https?$/ }).optional(),
  CALLBACK_SECRET: z.string().min(24, 'must be at least 24 characters (e.g. openssl rand -hex 24)').optional(),
  ALLOW_PRIVATE_CALLBACK_URLS: bool(false),
  // Download
  MAX_SOURCE_BYTES: bytes('10GiB'),
  DOWNLOAD_CONNECT_TIMEOUT: duration('15s', 100, 600_000),
  DOWNLOAD_IDLE_TIMEOUT: duration('30s', 100, 3_600_000),
  DOWNLOAD_MAX_REDIRECTS: int(5, 0, 20),
  ALLOW_PRIVATE_SOURCE_URLS: bool(false),
  // Media
  FFMPEG_PATH: z.string().min(1).default('ffmpeg'),
  FFPROBE_PATH: z.string().min(1).default('ffprobe'),
  LADDER: z
    .string()
    .default('high:1080:23,medium:720:28,low:480:32')
    .transform((text, ctx) => {
      const { rungs, problems } = parseLadder(text);
      for (const problem of problems) ctx.addIssue({ code: 'custom', message: problem });
      return rungs;
    }),
  X264_PRESET: z.enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow']).default('fast'),
  FFMPEG_THREADS: int(0, 0, 64),
  // libx264 by default: CRF quality and reproducible output; `auto` is opt-in (probes hardware once).
  VIDEO_ENCODER: z.enum(['libx264', 'h264_nvenc', 'h264_qsv', 'h264_vaapi', 'auto']).default('libx264'),
  VAAPI_DEVICE: z.string().min(1).default('/dev/dri/renderD128'),
  FFMPEG_NICE: int(10, 0, 19),
  PASSTHROUGH: z.enum(['auto', 'off']).default('auto'),
  HLS_SEGMENT_SECONDS: int(10, 1, 60),
  AUDIO_BITRATE_KBPS: int(128, 32, 512),
  MIN_DURATION_SECONDS: z.coerce.number().min(0).default(1),
  MAX_DURATION_SECONDS: z.coerce.number().min(1).default(86_400),
  MAX_SOURCE_PIXELS: int(8192 * 4320, 1, 1_000_000_000),
  MAX_FPS: int(60, 1, 240),
  // Encode watchdog: a hung or runaway FFmpeg is killed instead of holding its worker for ever.
  ENCODE_STALL_SECONDS: int(300, 1, 86_400),
  ENCODE_TIMEOUT_FACTOR: z.coerce.number().min(1).max(1000).default(10),
  // Previews made from the encoded rungs (docs/media.md): thumbnails, storyboard, animated preview.
  PREVIEWS: z.enum(['on', 'off']).default('on'),
  THUMBNAIL_COUNT: int(5, 1, 50),
  THUMBNAIL_WIDTH: int(640, 64, 3840),
  STORYBOARD_INTERVAL: z.coerce.number().min(1).max(60).default(4),
  // SSIM and PSNR of every rung against the source in metadata.json (one extra decode of the source).
  QUALITY_METRICS: z.enum(['on', 'off']).default('off'),
  // Appwrite source (SOURCES=appwrite, appwrite:setup)
  APPWRITE_ENDPOINT: z
    .url({ protocol: /^https?$/ })
    .refine((url) => /\/v1\/?$/.test(url), { message: 'must end with /v1 (e.g. https://cloud.appwrite.io/v1)' })
    .optional(),
  APPWRITE_PROJECT_ID: appwriteKey.optional(),
  APPWRITE_API_KEY: z.string().min(1).optional(),
  APPWRITE_DATABASE_ID: appwriteKey.optional(),
  APPWRITE_TABLE_ID: appwriteKey.default('videos'),
  APPWRITE_WEBHOOK_SECRET: z.string().min(1).optional(),
  APPWRITE_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  APPWRITE_FIELD_MAP: z
    .string()
    .default('')
    .transform((text, ctx) => {
      const { map, problems } = parseFieldMap(text);
      for (const problem of problems) ctx.addIssue({ code: 'custom', message: problem });
      return map;
    }),
  APPWRITE_TIMEOUT: duration('15s', 1000, 300_000),
  APPWRITE_SOURCE_BUCKET_ID: appwriteKey.optional(),
  APPWRITE_DELETE_SOURCE_AFTER: bool(false),
  // WordPress source (SOURCES=wordpress)
  WP_URL: z.url({ protocol: /^https?$/ }).optional(),
  WP_USER: z.string().min(1).optional(),
  WP_APP_PASSWORD: z.string().min(1).optional(),
  WP_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters (e.g. openssl rand -hex 24)').optional(),
  WP_TIMEOUT: duration('15s', 1000, 300_000),
  // Admin dashboard and /metrics
  ADMIN_USER: z
    .string()
    .regex(/^[^\s:]{1,64}$/, 'must be 1-64 characters without spaces or colons')
    .default('admin'),
  ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters (or use ADMIN_PASSWORD_HASH)').optional(),
  ADMIN_PASSWORD_HASH: z
    .string()
    .regex(PASSWORD_HASH_PATTERN, 'must be scrypt:<log2 N>:<r>:<p>:<salt>:<hash> as printed by `video-compressor hash-password`')
    .optional(),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -hex 32)').optional(),
  METRICS_TOKEN: z.string().min(24, 'must be at least 24 characters (e.g. openssl rand -hex 24)').optional(),
  // Alerts
  ALERT_COOLDOWN: duration('30m', 60_000, 7 * 86_400_000),
  ALERT_CPU_WARNING: percent(90),
  ALERT_CPU_CRITICAL: percent(99),
  ALERT_CPU_DURATION: duration('5m', 0, 86_400_000),
  ALERT_MEMORY_WARNING: percent(80),
  ALERT_MEMORY_CRITICAL: percent(95),
  ALERT_DISK_WARNING: percent(80),
  ALERT_DISK_CRITICAL: percent(95),
  ALERT_FAILED_JOBS_PER_HOUR: int(5, 0, 100_000),
  ALERT_WORKER_DELAY: duration('5m', 10_000, 86_400_000),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  ALERT_EMAIL_FROM: z.email().optional(),
  ALERT_EMAIL_TO: z
    .string()
    .optional()
    .transform((text, ctx) => {
      const list = (text ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = list.filter((address) => !z.email().safeParse(address).success);
      if (bad.length > 0) ctx.addIssue({ code: 'custom', message: `not an e-mail address: ${bad.join(', ')}` });
      return list;
    }),
  SLACK_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  DISCORD_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  DAILY_REPORT_CRON: z
    .string()
    .default('0 9 * * *')
    .refine((expr) => expr === 'off' || cron.validate(expr), { message: 'is not a valid cron expression (e.g. 0 9 * * *) or off' }),
});

export type RawEnv = z.infer<typeof envSchema>;
