#!/usr/bin/env node
import { ConfigError } from './config/config.js';

const USAGE = `video-compressor — turns CMS video uploads into adaptive HLS ladders

Usage:
  video-compressor start                         run the daemon (HTTP API, dashboard, poller)
  video-compressor transcode <file|url> <out-dir> [--force]
                                                 one-shot ladder with the daemon's code path; JSON summary on stdout
  video-compressor doctor                        readiness report: configuration, ffmpeg, encoders, storage, sources, daemon
  video-compressor requeue --status failed|completed|all [--source <kind>] [--priority N] [--batch N] [--dry-run]
                                                 disaster recovery: finished records back to pending
  video-compressor requeue --missing-ladder [--status completed|all] [--source <kind>] [--dry-run]
                                                 storage-loss recovery: records whose ladder is gone back to pending
  video-compressor gc [--dry-run]                removes orphan ladders of storage/hls after ORPHAN_GRACE_DAYS
  video-compressor appwrite:setup [--backfill]   creates the Appwrite database, table, columns and indexes (idempotent);
                                                 --backfill queues the rows with a source_url but no status
  video-compressor hash-password                 reads a password on stdin, prints ADMIN_PASSWORD_HASH=… for .env
  video-compressor help | --version

Configuration comes from .env in the working directory and the environment (see .env.example).`;

// Each command is imported when run: the daemon does not load the CMS SDKs and tools that only
// other commands (or unconfigured sources) use, which keeps its resident memory down.
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return (await import('./commands/start-command.js')).runStart();
    case 'transcode':
      return (await import('./commands/transcode-command.js')).runTranscode(rest);
    case 'doctor':
      return (await import('./commands/doctor.js')).runDoctor();
    case 'hash-password':
      return (await import('./commands/hash-password-command.js')).runHashPassword();
    case 'appwrite:setup':
      return (await import('./commands/appwrite-setup-command.js')).runAppwriteSetup(rest);
    case 'requeue':
      return (await import('./commands/requeue-command.js')).runRequeue(rest);
    case 'gc':
      return (await import('./commands/gc-command.js')).runGc(rest);
    case '--version':
    case 'version': {
      const { loadConfig } = await import('./config/config.js');
      console.log(loadConfig().server.version);
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`Unknown command "${command}".\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exitCode = 2;
      return;
    }
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  },
);
