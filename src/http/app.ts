import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { ServerConfig, StorageConfig } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import type { WorkerControl } from '../domain/worker.js';
import type { JobStore, LedgerStore, WorkerStore } from '../store/store.js';
import { workersRouter } from './routes/workers.js';
import { requireApiKeyHeader } from './auth.js';
import { createErrorHandler, notFoundHandler } from './errors.js';
import { type HealthProbe, healthRouter } from './routes/health.js';
import { hlsStaticRouter } from './routes/hls-static.js';
import { jobsRouter, type CallbackRegistry } from './routes/jobs.js';
import type { JobOperations } from '../pipeline/job-operations.js';
import { pollRouter } from './routes/poll.js';
import { statsRouter } from './routes/stats.js';
import { HLS_URL_PATH } from '../domain/storage-layout.js';

/** A router mounted by the caller with its own authentication (webhook signatures, admin session). */
export interface AppMount {
  readonly path: string;
  readonly handler: RequestHandler;
}

/** Everything the HTTP layer needs; it reaches the worker only through {@link WorkerControl}. */
export interface AppDeps {
  readonly server: ServerConfig;
  readonly storage: StorageConfig;
  readonly worker: WorkerControl;
  /** Null when the local source is disabled (SOURCES without `local`). */
  readonly jobs: JobStore | null;
  readonly ledger: LedgerStore;
  /** The fleet's workers (GET /api/workers). */
  readonly workers: Pick<WorkerStore, 'list'>;
  /** A worker silent for longer is shown as lost. */
  readonly lostAfterMs: number;
  /** The operator's actions on the jobs of every source (the jobs API). */
  readonly operations: JobOperations;
  /** LADDER's rung names (a per-job ladder may name only these). */
  readonly ladderNames: readonly string[];
  /** Completion callbacks; null = a job's callback_url is refused. */
  readonly callbacks?: CallbackRegistry | null;
  readonly health: () => Promise<HealthProbe>;
  readonly log: Logger;
  /** Clock for uptime; defaults to the system clock. */
  readonly now?: () => Date;
  /**
   * Mounted after /health and /storage/hls, before the API-key routes and the JSON 404. They get
   * the raw body (no JSON parser runs before them), which signature checks need.
   */
  readonly mounts?: readonly AppMount[];
  /** Runs first on every request (the /metrics request counter). */
  readonly observe?: RequestHandler;
}

export const JSON_BODY_LIMIT = '64kb';

/** Builds the Express application (no listen): /health, /storage/hls, /api/… with API key. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // One hop: the address nginx saw, not whatever a client wrote into X-Forwarded-For.
  app.set('trust proxy', deps.server.trustProxy ? 1 : false);
  if (deps.observe) app.use(deps.observe);
  app.use(helmet());

  const now = deps.now ?? (() => new Date());
  app.use(healthRouter({ server: deps.server, worker: deps.worker, health: deps.health, log: deps.log, now }));
  if (deps.server.serveHls) app.use(HLS_URL_PATH, hlsStaticRouter({ hlsDir: deps.storage.hlsDir }));
  for (const mount of deps.mounts ?? []) app.use(mount.path, mount.handler);

  // Authenticate before parsing: an anonymous client cannot make us read its body.
  const api = express.Router();
  api.use(requireApiKeyHeader(deps.server.apiKey), express.json({ limit: JSON_BODY_LIMIT }));
  const { jobs, operations, ledger, worker, ladderNames } = deps;
  api.use(jobsRouter({ jobs, operations, ledger, worker, ladderNames, callbacks: deps.callbacks ?? null }));
  api.use(pollRouter({ worker: deps.worker }));
  api.use(statsRouter({ jobs: deps.jobs, ledger: deps.ledger }));
  api.use(workersRouter({ workers: deps.workers, lostAfterMs: deps.lostAfterMs, now }));
  app.use('/api', api);

  app.use(notFoundHandler);
  app.use(createErrorHandler(deps.log));
  return app;
}
