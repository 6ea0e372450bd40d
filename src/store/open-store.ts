import type { StorageConfig } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import { openPostgresStore } from './postgres/postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/** What {@link openStore} needs besides the config. */
export interface OpenStoreOptions {
  readonly now: () => Date;
  readonly log: Logger;
}

/**
 * The store STORE_URL names: PostgreSQL (shared by every daemon of a fleet), or by default the
 * embedded SQLite file STORAGE_DIR/state.db. Opened and migrated; the URL is never logged.
 */
export async function openStore(storage: Pick<StorageConfig, 'dbPath' | 'storeUrl'>, { now, log }: OpenStoreOptions): Promise<Store> {
  if (storage.storeUrl === null) return openSqliteStore(storage.dbPath, now);
  const storeLog = log.child({ module: 'store' });
  return openPostgresStore(storage.storeUrl, {
    now,
    onError: (err) => storeLog.warn({ err }, 'a PostgreSQL connection failed; the next query opens a new one'),
  });
}

/** Where the store lives, for messages: the SQLite file, or the PostgreSQL host and database (no credentials). */
export function describeStore(storage: Pick<StorageConfig, 'dbPath' | 'storeUrl'>): string {
  if (storage.storeUrl === null) return storage.dbPath;
  const url = new URL(storage.storeUrl);
  return `postgres://${url.host}${url.pathname}`;
}
