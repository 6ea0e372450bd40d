import pg from 'pg';
import { AppError } from '../../errors.js';
import type { Store } from '../store.js';
import { migrate } from './migrations.js';
import { PgAlertRepository } from './pg-alert-repository.js';
import { PgCallbackRepository } from './pg-callback-repository.js';
import { run } from './pg-db.js';
import { PgJobRepository } from './pg-job-repository.js';
import { PgLedger } from './pg-ledger.js';
import { PgOrphanRepository } from './pg-orphan-repository.js';
import { PgReportQueries } from './pg-report-queries.js';
import { PgSignals } from './pg-signals.js';
import { PgWorkerRegistry } from './pg-worker-registry.js';
import { pgTypes } from './pg-types.js';

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** The clock every repository writes its timestamps from. */
  readonly now: () => Date;
  /**
   * Told when an idle connection of the pool fails (the server restarted, a network cut). The pool
   * drops that connection and opens a new one on the next query; the error is only reported.
   */
  readonly onError?: (err: Error) => void;
}

/** Connections per process: a poll, a few heartbeats and the dashboard at once; the server's own limit is shared by every daemon. */
const POOL_MAX = 5;
const CONNECT_TIMEOUT_MS = 5000;

/**
 * Opens the PostgreSQL store at `url` (postgres:// or postgresql://) and brings its schema up to
 * date. Rejects with the store's retryable error when the server cannot be reached, and with
 * `invalid_request` for a URL that is not PostgreSQL's (the message never shows the password).
 */
export async function openPostgresStore(url: string, o: PostgresStoreOptions): Promise<Store> {
  checkUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: POOL_MAX,
    keepAlive: true,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    types: pgTypes(),
  });
  // Without a listener, an idle client's 'error' would be an uncaught exception and stop the daemon.
  pool.on('error', (err) => o.onError?.(err));
  try {
    await migrate(pool, o.now);
  } catch (err) {
    await pool.end();
    throw err;
  }
  // After the migrations: the channel's trigger exists, and a failed start leaves no listener behind.
  const signals = new PgSignals({ url, onError: (err) => o.onError?.(err) });
  await signals.start();
  return postgresStore(pool, signals, o.now);
}

/** Every repository over one pool. */
function postgresStore(pool: pg.Pool, signals: PgSignals, now: () => Date): Store {
  return {
    kind: 'postgres',
    jobs: new PgJobRepository({ pool, now }),
    ledger: new PgLedger({ pool, now }),
    alerts: new PgAlertRepository({ pool }),
    orphans: new PgOrphanRepository({ pool }),
    callbacks: new PgCallbackRepository({ pool }),
    reports: new PgReportQueries({ pool }),
    // Not listening yet: daemons find new jobs at their next poll, as with SQLite.
    workers: new PgWorkerRegistry({ pool }),
    signals,
    ping: async () => void (await run(pool, 'SELECT 1')),
    close: async () => {
      await signals.close();
      await pool.end();
    },
  };
}

/** Refuses anything but a PostgreSQL URL; the message names the scheme and host, never the credentials. */
function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AppError(
      'invalid_request',
      'The PostgreSQL store URL is not a valid URL (expected postgres://user:password@host:port/database).',
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new AppError(
      'invalid_request',
      `The PostgreSQL store URL must start with postgres:// or postgresql://, not ${parsed.protocol}//`,
      {
        context: { protocol: parsed.protocol, host: parsed.host },
      },
    );
  }
}
