import { Router } from 'express';
import type { WorkerControl } from '../../domain/worker.js';

/** POST /api/poll: run a poll tick now (after the one in progress, if any). */
export function pollRouter({ worker }: { readonly worker: WorkerControl }): Router {
  const router = Router();
  router.post('/poll', (_req, res) => {
    worker.pollNow();
    res.status(202).json({ polling: true });
  });
  return router;
}
