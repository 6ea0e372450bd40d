import type pg from 'pg';
import type { FleetWorker, WorkerBeat } from '../worker-registry.js';
import { toFleetWorker, WORKER_SQL as SQL } from '../worker-registry.js';
import type { WorkerStore } from '../store.js';
import { rows, run } from './pg-db.js';

/** The `workers` table on PostgreSQL: the fleet's beats (see src/store/worker-registry.ts). */
export class PgWorkerRegistry implements WorkerStore {
  private readonly pool: pg.Pool;

  constructor({ pool }: { pool: pg.Pool }) {
    this.pool = pool;
  }

  async beat(beat: WorkerBeat, now: Date): Promise<void> {
    await run(this.pool, SQL.beat, { ...beat, jobs: JSON.stringify(beat.jobs), now: now.toISOString() });
  }

  async stop(workerId: string, now: Date): Promise<void> {
    await run(this.pool, SQL.stop, { workerId, now: now.toISOString() });
  }

  async list(): Promise<FleetWorker[]> {
    return (await rows(this.pool, SQL.list)).map(toFleetWorker);
  }

  async prune(before: Date): Promise<number> {
    return run(this.pool, SQL.prune, { before: before.toISOString() });
  }
}
