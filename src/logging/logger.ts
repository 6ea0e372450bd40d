import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pino, type Logger, type TransportTargetOptions } from 'pino';
import type { LoggingConfig } from '../config/config.js';

export type { Logger } from 'pino';

/**
 * Paths whose values are replaced by "[redacted]" wherever they appear in a log object.
 * Secrets are never logged: credentials travel in headers and config slices, both covered here.
 */
export const REDACT_PATHS = [
  'apiKey',
  'password',
  'secret',
  'token',
  '*.apiKey',
  '*.password',
  '*.secret',
  '*.token',
  // The S3 slice of the config, and the AWS SDK's credentials objects.
  'credentials',
  '*.credentials',
  'secretAccessKey',
  '*.secretAccessKey',
  // STORE_URL carries the database password.
  'storeUrl',
  '*.storeUrl',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'config.headers.authorization',
  'config.headers["x-api-key"]',
  // An axios error logged as { err }: its request config carries the WordPress Application Password.
  'config.headers.Authorization',
  'err.config.headers.authorization',
  'err.config.headers.Authorization',
  'err.cause.config.headers.authorization',
  'err.cause.config.headers.Authorization',
];

export interface CreateLoggerOptions {
  config: LoggingConfig;
  /** Whether stdout is a terminal (readable output there); defaults to process.stdout.isTTY. */
  isTty?: boolean;
}

/**
 * The root logger: JSON lines to `logs/app.<date>.<n>.log` rotated daily and by size with a
 * bounded number of files kept, plus stdout (pretty on a terminal, JSON under PM2).
 */
export function createLogger({ config, isTty = process.stdout.isTTY === true }: CreateLoggerOptions): Logger {
  const pretty = config.pretty === 'true' || (config.pretty === 'auto' && isTty);
  // pino-roll links current.log before its own (async) mkdir finishes: on a first start the link
  // could fail and kill the process, so the directory must exist first.
  mkdirSync(config.dir, { recursive: true });
  const targets: TransportTargetOptions[] = [
    {
      target: 'pino-roll',
      level: config.level,
      options: {
        file: path.join(config.dir, 'app'),
        extension: '.log',
        frequency: 'daily',
        dateFormat: 'yyyy-MM-dd',
        size: `${Math.max(1, Math.round(config.maxSizeBytes / 1024))}k`,
        limit: { count: config.maxFiles },
        mkdir: true,
        symlink: true,
      },
    },
    pretty
      ? { target: 'pino-pretty', level: config.level, options: { colorize: true, translateTime: 'SYS:standard', ignore: 'pid,hostname' } }
      : { target: 'pino/file', level: config.level, options: { destination: 1 } },
  ];
  return pino(
    {
      level: config.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.transport({ targets }),
  );
}

/** A logger that drops everything: for tests and one-shot commands that print JSON. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
