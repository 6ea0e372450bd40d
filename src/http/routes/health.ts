import { Router } from 'express';
import type { ServerConfig } from '../../config/config.js';
import type { Logger } from '../../logging/logger.js';
import type { WorkerControl, WorkerSnapshot } from '../../domain/worker.js';
import type { SourceKind } from '../../domain/record.js';

/** Facts /health needs beyond the worker snapshot; probed by the caller (ffmpeg version, storage write test). */
export interface HealthProbe {
  readonly ffmpeg: string | null;
  readonly storageWritable: boolean;
  /** What a source warns about as deployed (e.g. an Appwrite whose claims are not locked), by kind; shown on its entry. */
  readonly sourceWarnings?: Readonly<Partial<Record<SourceKind, readonly string[]>>>;
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

/** A source's entry gets `warnings` only when it has some: the entry's shape is otherwise unchanged. */
function warningsOf(probe: HealthProbe, kind: SourceKind): { warnings?: readonly string[] } {
  const warnings = probe.sourceWarnings?.[kind] ?? [];
  return warnings.length > 0 ? { warnings } : {};
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
        // Why a source is disconnected: the error code only (cms_error unreachable, cms_unauthorized
        // its credentials refused). /health is public; the message, which may name hosts, is behind the API key.
        sources: snapshot.sources.map((source) => ({
          kind: source.kind,
          connected: source.connected,
          ...(source.connected || source.lastErrorCode === null ? {} : { error: source.lastErrorCode }),
          ...warningsOf(probe, source.kind),
        })),
        queue: { pending: snapshot.sources.reduce((sum, source) => sum + source.pending, 0) },
      });
  });
  return router;
}
