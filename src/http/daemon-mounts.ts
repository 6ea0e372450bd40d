import type { Monitoring } from '../alerts/monitoring.js';
import type { AppConfig } from '../config/config.js';
import type { WorkerControl } from '../domain/worker.js';
import type { Logger } from '../logging/logger.js';
import type { JobOperations } from '../pipeline/job-operations.js';
import type { CallbackRegistry } from './routes/jobs.js';
import type { LedgerStore, WorkerStore } from '../store/store.js';
import { LOST_AFTER_MS } from '../pipeline/fleet-beacon.js';
import { adminRouter } from './admin/admin-router.js';
import type { AppMount } from './app.js';
import { metricsRouter, type MetricsRouteDeps } from './routes/metrics.js';
import { appwriteWebhookRouter } from './webhooks/appwrite-webhook.js';
import { wordpressWebhookRouter } from './webhooks/wordpress-webhook.js';

/** What the dashboard reads from the operator's side of the daemon. */
export type MonitoringServices = Pick<Monitoring, 'alerts' | 'notifier' | 'monitor' | 'alertRepository' | 'reports' | 'localPending'>;

/** Everything the daemon's own routers need; main.ts builds it. */
export interface DaemonMountDeps {
  readonly config: AppConfig;
  readonly apiKey: string;
  /** The poller: the dashboard shows and controls it, the webhooks wake it. */
  readonly worker: WorkerControl;
  readonly operations: JobOperations;
  readonly callbacks?: CallbackRegistry | null;
  readonly ledger: LedgerStore;
  readonly workers: Pick<WorkerStore, 'list'>;
  readonly monitoring: MonitoringServices;
  readonly metrics: MetricsRouteDeps['metrics'];
  readonly log: Logger;
  readonly now: () => Date;
}

/**
 * Every router of the daemon beyond the app's own (/health, /storage/hls, /api): the webhooks of
 * the sources listed in SOURCES, /admin and /metrics, each with its own authentication. The one
 * place they are mounted; createApp (app.ts) puts them before the API-key routes.
 */
export function daemonMounts(deps: DaemonMountDeps): AppMount[] {
  const { config } = deps;
  return [
    ...webhookMounts(deps),
    { path: '/admin', handler: adminRouterOf(deps) },
    { path: '/metrics', handler: metricsRouter({ apiKey: deps.apiKey, metricsToken: config.server.metricsToken, metrics: deps.metrics }) },
  ];
}

/**
 * POST /api/webhooks/<kind> for each CMS source listed in SOURCES: a verified call wakes the
 * poller; WordPress's deletion notice goes to the operations (checked there against the record).
 */
function webhookMounts({ config, worker, operations, log }: DaemonMountDeps): AppMount[] {
  const pollNow = (): void => worker.pollNow();
  const mounts: AppMount[] = [];
  for (const kind of config.worker.sources) {
    if (kind === 'appwrite' && config.appwrite) {
      const handler = appwriteWebhookRouter({ config: config.appwrite, pollNow, log: log.child({ module: 'appwrite' }) });
      mounts.push({ path: '/api/webhooks/appwrite', handler });
    } else if (kind === 'wordpress' && config.wordpress) {
      const handler = wordpressWebhookRouter({
        config: config.wordpress,
        pollNow,
        attachmentDeleted: async (id) => void (await operations.recordDeleted(`wordpress-${id}`)),
        log: log.child({ module: 'wordpress' }),
      });
      mounts.push({ path: '/api/webhooks/wordpress', handler });
    }
  }
  return mounts;
}

function adminRouterOf({ config, worker, operations, callbacks, ledger, workers, monitoring, log, now }: DaemonMountDeps) {
  return adminRouter({
    admin: config.admin,
    publicBaseUrl: config.server.publicBaseUrl,
    serveHls: config.server.serveHls,
    worker,
    operations,
    callbacks: callbacks ?? null,
    ledger,
    workers,
    lostAfterMs: LOST_AFTER_MS,
    reports: monitoring.reports,
    alerts: monitoring.alertRepository,
    alertService: monitoring.alerts,
    notifier: monitoring.notifier,
    system: () => monitoring.monitor.latest(),
    localPending: () => monitoring.localPending(),
    thresholds: config.alerts.thresholds,
    now,
    log: log.child({ module: 'admin' }),
  });
}
