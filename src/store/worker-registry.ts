import type { Database } from './database.js';
import { jsonArrayOrNull, textOrNull } from './column-values.js';

/** A job a worker is running, as the fleet view shows it. */
export interface FleetJob {
  readonly key: string;
  readonly title: string | null;
  readonly percent: number;
  readonly step: string;
}

/** What a daemon reports about itself at each beat. */
export interface WorkerBeat {
  readonly workerId: string;
  readonly host: string;
  readonly version: string;
  /** The poller's state (WAITING, PROCESSING, …). */
  readonly state: string;
  readonly jobs: readonly FleetJob[];
  /** ISO-8601 of the daemon's start. */
  readonly startedAt: string;
}

/** One daemon of the fleet as last heard of. */
export interface FleetWorker extends WorkerBeat {
  /** ISO-8601 of its last beat. */
  readonly heartbeatAt: string;
  /** ISO-8601 of its clean shutdown; null while it runs (or since it vanished). */
  readonly stoppedAt: string | null;
}

/** Both stores' statements (named parameters; the PostgreSQL store numbers them). */
export const WORKER_SQL = {
  beat: `INSERT INTO workers (worker_id, host, version, state, jobs, started_at, heartbeat_at, stopped_at)
    VALUES (@workerId, @host, @version, @state, @jobs, @startedAt, @now, NULL)
    ON CONFLICT (worker_id) DO UPDATE SET host = excluded.host, version = excluded.version, state = excluded.state,
      jobs = excluded.jobs, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, stopped_at = NULL`,
  stop: `UPDATE workers SET state = 'STOPPED', jobs = '[]', heartbeat_at = @now, stopped_at = @now WHERE worker_id = @workerId`,
  list: `SELECT * FROM workers ORDER BY worker_id`,
  prune: `DELETE FROM workers WHERE heartbeat_at < @before`,
} as const;

/**
 * The `workers` table: every daemon sharing the store beats here (fleet-beacon.ts), so the
 * dashboard of any of them shows the whole fleet. Timestamps come from the caller's clock.
 */
export class WorkerRegistry {
  constructor(private readonly db: Database) {}

  /** Records the worker as running now, with its jobs. */
  beat(beat: WorkerBeat, now: Date): void {
    this.db.prepare(WORKER_SQL.beat).run({ ...beat, jobs: JSON.stringify(beat.jobs), now: now.toISOString() });
  }

  /** A clean shutdown: no jobs, stopped now. */
  stop(workerId: string, now: Date): void {
    this.db.prepare(WORKER_SQL.stop).run({ workerId, now: now.toISOString() });
  }

  /** Every worker heard of, by id. */
  list(): FleetWorker[] {
    return (this.db.prepare(WORKER_SQL.list).all() as Record<string, unknown>[]).map(toFleetWorker);
  }

  /** Forgets workers not heard of since `before` (stopped or gone); how many. */
  prune(before: Date): number {
    return this.db.prepare(WORKER_SQL.prune).run({ before: before.toISOString() }).changes;
  }
}

/** A `workers` row (SQLite or PostgreSQL, normalised to text) as a {@link FleetWorker}. */
export function toFleetWorker(raw: Record<string, unknown>): FleetWorker {
  return {
    workerId: String(raw.worker_id),
    host: String(raw.host),
    version: String(raw.version),
    state: String(raw.state),
    jobs: (jsonArrayOrNull(raw.jobs) ?? []) as FleetJob[],
    startedAt: String(raw.started_at),
    heartbeatAt: String(raw.heartbeat_at),
    stoppedAt: textOrNull(raw.stopped_at),
  };
}
