import BetterSqlite3 from 'better-sqlite3';

/** An open better-sqlite3 connection. */
export type Database = BetterSqlite3.Database;

/**
 * Ordered schema migrations: entry i brings the schema from version i to i + 1 (PRAGMA user_version).
 * Append only; never edit a migration that has shipped.
 */
export const MIGRATIONS: readonly string[] = [
  // v1: the local source's jobs and the ledger of every attempt from every source.
  `
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    source_url TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
      CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled')),
    priority INTEGER NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
    title TEXT,
    retry_count INTEGER NOT NULL DEFAULT 0,
    last_retry_at TEXT,
    next_attempt_at TEXT,
    retry_errors TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    error_code TEXT,
    claimed_by TEXT,
    claimed_at TEXT,
    heartbeat_at TEXT,
    progress INTEGER NOT NULL DEFAULT 0,
    step TEXT,
    hls_url TEXT,
    poster_url TEXT,
    renditions TEXT,
    duration REAL,
    width INTEGER,
    height INTEGER,
    processing_ms INTEGER,
    output_bytes INTEGER,
    completed_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX jobs_poll_idx ON jobs (status, priority, created_at, id);
  CREATE INDEX jobs_next_attempt_idx ON jobs (next_attempt_at);
  CREATE INDEX jobs_created_idx ON jobs (created_at);

  CREATE TABLE ledger (
    id INTEGER PRIMARY KEY,
    job_key TEXT NOT NULL,
    source TEXT NOT NULL,
    record_id TEXT NOT NULL,
    title TEXT,
    worker_id TEXT NOT NULL,
    status TEXT NOT NULL
      CHECK (status IN ('processing', 'completed', 'failed', 'retrying', 'released', 'cancelled')),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    processing_ms INTEGER,
    source_bytes INTEGER,
    output_bytes INTEGER,
    duration REAL,
    error_code TEXT,
    error TEXT,
    log_tail TEXT
  );
  CREATE INDEX ledger_started_idx ON ledger (started_at);
  CREATE INDEX ledger_finished_idx ON ledger (finished_at);
  CREATE INDEX ledger_job_key_idx ON ledger (job_key);
  `,
  // v2: alerts raised by src/alerts (dashboard, notifications). One open or acknowledged alert per
  // rule at a time, enforced here so daemons sharing the file cannot open duplicates.
  `
  CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    rule TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('warning', 'critical')),
    status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
    message TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    last_notified_at TEXT,
    notifications INTEGER NOT NULL DEFAULT 0,
    acknowledged_at TEXT,
    acknowledged_by TEXT,
    resolved_at TEXT
  );
  CREATE UNIQUE INDEX alerts_active_rule_idx ON alerts (rule) WHERE status != 'resolved';
  CREATE INDEX alerts_status_idx ON alerts (status, last_seen_at);
  `,
  // v3: the poll's count of due jobs reads this index alone (COVERING INDEX), never a table row:
  // with jobs_poll_idx it looked up every pending row to check next_attempt_at.
  `
  CREATE INDEX jobs_due_idx ON jobs (status, next_attempt_at, heartbeat_at);
  `,
  // v4: what a completed attempt did to the source (deinterlaced, tonemapped, …), a JSON array.
  `
  ALTER TABLE ledger ADD COLUMN conversions TEXT;
  `,
  // v5: the previews' URLs written back with the ladder's.
  `
  ALTER TABLE jobs ADD COLUMN thumbnail_urls TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE jobs ADD COLUMN storyboard_url TEXT;
  ALTER TABLE jobs ADD COLUMN preview_url TEXT;
  ALTER TABLE jobs ADD COLUMN metadata_url TEXT;
  `,
  // v6: the operator's window. A per-job ladder (rung names, JSON array); when each attempt's job
  // became due (queue wait = started_at - queued_at); ladders seen without a record, since when
  // (gc removes them after ORPHAN_GRACE_DAYS).
  `
  ALTER TABLE jobs ADD COLUMN ladder TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE ledger ADD COLUMN queued_at TEXT;
  CREATE TABLE gc_orphans (
    job_key TEXT PRIMARY KEY,
    first_seen_at TEXT NOT NULL
  );
  CREATE INDEX jobs_updated_idx ON jobs (status, updated_at);
  `,
  // v7: completion callbacks (src/callbacks). A job's own callback URL given on submission, and
  // one row per POST to make: `job_json` is the job as it was when the event happened, so a retry
  // hours later still describes that event; `next_attempt_at` is null once the row is settled.
  `
  CREATE TABLE job_callbacks (
    job_key TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE callback_deliveries (
    id INTEGER PRIMARY KEY,
    job_key TEXT NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('job.completed', 'job.failed', 'job.cancelled')),
    url TEXT NOT NULL,
    job_json TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'refused')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_status_code INTEGER,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX callback_deliveries_due_idx ON callback_deliveries (status, next_attempt_at);
  CREATE INDEX callback_deliveries_job_idx ON callback_deliveries (job_key, id);
  `,
  // v8: the claim token of the record field table (written by the Appwrite source; null here, where
  // one conditional UPDATE already makes a claim exclusive).
  `
  ALTER TABLE jobs ADD COLUMN claim_token TEXT;
  `,
  // v9: the Appwrite Storage source of the record field table (null here: local jobs name a URL).
  `
  ALTER TABLE jobs ADD COLUMN source_file_id TEXT;
  ALTER TABLE jobs ADD COLUMN source_bucket_id TEXT;
  `,
  // v10: the fleet view. Each daemon sharing the store beats here (src/pipeline/fleet-beacon.ts).
  `
  CREATE TABLE workers (
    worker_id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    version TEXT NOT NULL,
    state TEXT NOT NULL,
    jobs TEXT NOT NULL DEFAULT '[]',
    started_at TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    stopped_at TEXT
  );
  CREATE INDEX workers_heartbeat_idx ON workers (heartbeat_at);
  `,
];

/**
 * Opens (creating if needed) the embedded store and brings its schema up to date.
 * Several daemon processes may share one file: WAL lets readers run beside the writer, and the
 * busy timeout makes a writer wait for the lock instead of failing at once.
 */
export function openDatabase(file: string): Database {
  const db = new BetterSqlite3(file);
  try {
    // busy_timeout first: switching to WAL itself needs a lock another process may hold.
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Applies pending migrations; a no-op when the schema is current. Safe when processes race. */
export function migrate(db: Database, migrations: readonly string[] = MIGRATIONS): number {
  if (userVersion(db) >= migrations.length) return userVersion(db);
  // IMMEDIATE takes the write lock before reading user_version, so a second process that
  // raced us here waits, then sees the new version and applies nothing.
  db.transaction(() => {
    for (let version = userVersion(db); version < migrations.length; version += 1) {
      db.exec(migrations[version] ?? '');
      db.pragma(`user_version = ${version + 1}`);
    }
  }).immediate();
  return userVersion(db);
}

function userVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}
