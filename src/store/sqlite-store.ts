import { AlertRepository } from './alert-repository.js';
import { CallbackRepository } from './callback-repository.js';
import { openDatabase, type Database } from './database.js';
import { JobRepository } from './job-repository.js';
import { Ledger } from './ledger.js';
import { OrphanRepository } from './orphan-repository.js';
import { ReportQueries } from './report-queries.js';
import { promised, type Store } from './store.js';
import { WorkerRegistry } from './worker-registry.js';

/** The embedded store: one SQLite file (better-sqlite3), shared by the processes of one host. */
export function sqliteStore(db: Database, now: () => Date): Store {
  return {
    kind: 'sqlite',
    jobs: promised(new JobRepository({ db, now })),
    ledger: promised(new Ledger({ db, now })),
    alerts: promised(new AlertRepository(db)),
    orphans: promised(new OrphanRepository(db)),
    callbacks: promised(new CallbackRepository(db)),
    reports: promised(new ReportQueries(db)),
    workers: promised(new WorkerRegistry(db)),
    signals: null,
    ping: async () => void db.prepare('SELECT 1').get(),
    close: async () => void db.close(),
  };
}

/** Opens (creating and migrating) the SQLite file at `file`. */
export function openSqliteStore(file: string, now: () => Date): Store {
  return sqliteStore(openDatabase(file), now);
}
