import { loadConfig } from '../config/config.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { requireApiKeyToStart, startDaemon } from '../main.js';

/**
 * `video-compressor start`: runs until SIGINT/SIGTERM, then shuts down gracefully (no new claims,
 * FFmpeg aborted, the running job released to pending without counting an attempt, temp cleaned)
 * within SHUTDOWN_TIMEOUT. A second signal forces the exit.
 */
export async function runStart(): Promise<number> {
  const config = loadConfig();
  // Before the logger: its transport thread must not be torn down by an immediate exit.
  requireApiKeyToStart(config);
  const log = createLogger({ config: config.logging });
  installCrashHandlers(log);
  const daemon = await startDaemon({ config, log }).catch(async (err: unknown) => {
    log.fatal({ err }, 'the daemon could not start');
    await new Promise<void>((resolve) => log.flush(() => resolve()));
    throw err;
  });
  // PM2's wait_ready: we are listening and polling.
  process.send?.('ready');

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  log.info({ signal }, 'shutting down');
  const force = (): void => {
    log.fatal('forced exit');
    flushAndExit(log, 1);
  };
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  const deadline = setTimeout(() => {
    log.fatal({ timeoutMs: config.worker.shutdownTimeoutMs }, 'graceful shutdown timed out');
    flushAndExit(log, 1);
  }, config.worker.shutdownTimeoutMs + 2000);
  deadline.unref();
  const settled = await daemon.close();
  flushAndExit(log, settled ? 0 : 1);
  return settled ? 0 : 1;
}

function installCrashHandlers(log: Logger): void {
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    flushAndExit(log, 1);
  });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection');
    flushAndExit(log, 1);
  });
}

function flushAndExit(log: Logger, code: number): void {
  log.flush(() => process.exit(code));
  // flush() never calls back if the transport is gone; do not hang on it.
  setTimeout(() => process.exit(code), 1000).unref();
}
