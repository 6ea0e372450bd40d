import { Router } from 'express';
import type { WorkerStore } from '../../store/store.js';
import { fleetView } from '../admin/fleet-model.js';

/** Dependencies of {@link workersRouter}. */
export interface WorkersRouteDeps {
  readonly workers: Pick<WorkerStore, 'list'>;
  readonly lostAfterMs: number;
  readonly now: () => Date;
}

/** GET /api/workers: every daemon sharing the store (the fleet), with its state, jobs and last heartbeat. */
export function workersRouter({ workers, lostAfterMs, now }: WorkersRouteDeps): Router {
  const router = Router();
  router.get('/workers', async (_req, res) => {
    const fleet = fleetView(await workers.list(), now(), lostAfterMs);
    res.set('Cache-Control', 'no-store').json({
      workers: fleet.map((w) => ({
        worker_id: w.workerId,
        host: w.host,
        version: w.version,
        state: w.state,
        lost: w.lost,
        jobs: w.jobList,
        heartbeat_at: w.heartbeatAt,
      })),
    });
  });
  return router;
}
