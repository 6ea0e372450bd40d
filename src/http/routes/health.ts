import { Router } from 'express';
import type { ServerConfig } from '../../config/config.js';
import type { Logger } from '../../logging/logger.js';
import type { WorkerControl, WorkerSnapshot } from '../../domain/worker.js';

/** Facts /health needs beyond the worker snapshot; probed by the caller (ffmpeg version, storage write test). */
export interface HealthProbe {
  readonly ffmpeg: string | null;
  readonly storageWritable: boolean;
}

/** Dependencies of {@link healthRouter}. */
export interface HealthRouteDeps {
  readonly server: ServerConfig;
  readonly worker: WorkerControl;
  readonly health: () => Promise<HealthProbe>;
  readonly log: Logger;
  readonly now: () => Date;
}

type HealthStatus = 'ok' | 'degraded' | 'unhealthy';

function overall(snapshot: WorkerSnapshot, probe: HealthProbe): HealthStatus {
  const broken = snapshot.state === 'ERROR' || snapshot.state === 'SHUTDOWN' || probe.ffmpeg === null || !probe.storageWritable;
  if (broken) return 'unhealthy';
  return snapshot.sources.some((source) => !source.connected) ? 'degraded' : 'ok';
}

/** GET /health, without auth: for load balancers, PM2 and uptime checks. 503 when unhealthy. */
export function healthRouter({ server, worker, health, log, now }: HealthRouteDeps): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const snapshot = worker.snapshot();
    const probe = await health().catch((err: unknown): HealthProbe => {
      log.error({ err }, 'health probe failed');
      return { ffmpeg: null, storageWritable: false };
    });
    const status = overall(snapshot, probe);
    res
      .status(status === 'unhealthy' ? 503 : 200)
      .set('Cache-Control', 'no-store')
      .json({
        status,
        state: snapshot.state,
        uptime_s: Math.max(0, Math.floor((now().getTime() - Date.parse(snapshot.startedAt)) / 1000)),
        version: server.version,
        ffmpeg: probe.ffmpeg,
        sources: snapshot.sources.map((source) => ({ kind: source.kind, connected: source.connected })),
        queue: { pending: snapshot.sources.reduce((sum, source) => sum + source.pending, 0) },
      });
  });
  return router;
}
