import { Router } from 'express';
import type { JobStore, LedgerStore } from '../../store/store.js';

/** Dependencies of {@link statsRouter}. */
export interface StatsRouteDeps {
  /** Null when the local source is disabled: `queue` is then null. */
  readonly jobs: Pick<JobStore, 'countByStatus'> | null;
  readonly ledger: Pick<LedgerStore, 'stats'>;
}

/** GET /api/stats: the ledger's figures ("today" = since 00:00 UTC) plus local queue counts by status. */
export function statsRouter({ jobs, ledger }: StatsRouteDeps): Router {
  const router = Router();
  router.get('/stats', async (_req, res) => {
    const [stats, queue] = await Promise.all([ledger.stats(), jobs ? jobs.countByStatus() : null]);
    res.set('Cache-Control', 'no-store').json({
      today: stats.today,
      average_processing_ms: stats.averageProcessingMs,
      success_rate: stats.successRate,
      storage_used_today_bytes: stats.storageUsedTodayBytes,
      last_completed_at: stats.lastCompletedAt,
      queue,
    });
  });
  return router;
}
