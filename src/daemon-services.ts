import cron from 'node-cron';
import type { Monitoring } from './alerts/monitoring.js';
import { CallbackService } from './callbacks/callback-service.js';
import type { AppConfig } from './config/config.js';
import { isAppError } from './errors.js';
import { sourceJobToJson } from './domain/source-job.js';
import type { WorkerControl } from './domain/worker.js';
import type { Logger } from './logging/logger.js';
import { DaemonMetrics } from './metrics/daemon-metrics.js';
import { DailyCleanup } from './pipeline/daily-cleanup.js';
import type { JobDetail } from './pipeline/job-operations.js';
import type { LadderTarget } from './publish/ladder-target.js';
import { trimLocalLadders } from './publish/local-ladders.js';
import { LadderGc } from './pipeline/ladder-gc.js';
import type { CmsSource } from './sources/cms-source.js';
import type { CallbackStore, JobStore, Store, WorkerStore } from './store/store.js';
import { FleetBeacon } from './pipeline/fleet-beacon.js';
import { hostname } from 'node:os';

/**
 * The daemon's background services beside the poller, built from the config for main.ts: the
 * Prometheus metrics, the completion callbacks and the daily clean-up.
 */

/** /metrics: counters follow the events, gauges read the worker, the local store and the monitoring at scrape time. */
export function daemonMetrics(monitoring: Monitoring, localJobs: JobStore | null, now: () => Date): DaemonMetrics {
  return new DaemonMetrics({
    worker: () => monitoring.worker?.snapshot() ?? null,
    jobCounts: async () => (localJobs ? localJobs.countByStatus() : null),
    system: () => monitoring.monitor.latest(),
    activeAlerts: () => monitoring.alertRepository.active(),
    queueWait: () => monitoring.reports.queueWait(new Date(now().getTime() - 86_400_000), now()),
  });
}

/** Completion callbacks: a signed POST of the job's JSON when it completes, fails for good or is cancelled. */
export function createCallbacks(o: {
  config: AppConfig;
  store: CallbackStore;
  log: Logger;
  now: () => Date;
  job: (key: string) => Promise<JobDetail | null>;
}): CallbackService {
  const log = o.log.child({ module: 'callbacks' });
  return new CallbackService({
    store: o.store,
    config: o.config.callbacks,
    log,
    now: o.now,
    jobJson: async (key) => {
      try {
        const detail = await o.job(key);
        return detail ? sourceJobToJson(detail.job) : null;
      } catch (err) {
        // The callback still goes out, without the record: the receiver learns the key and the event.
        // A record deleted in its CMS (a job cancelled by the deletion) has nothing to read: no warning.
        if (isAppError(err, 'not_found')) return null;
        log.warn({ err, job: key }, 'could not read the job for its callback');
        return null;
      }
    },
  });
}

/** The fleet view's beat: this daemon's state and jobs in the store's `workers` table every 10 s. */
export function fleetBeacon(o: {
  config: AppConfig;
  workers: WorkerStore;
  worker: WorkerControl;
  log: Logger;
  now: () => Date;
}): FleetBeacon {
  return new FleetBeacon({
    workers: o.workers,
    worker: o.worker,
    host: hostname(),
    version: o.config.server.version,
    now: o.now,
    log: o.log.child({ module: 'fleet' }),
  });
}

export interface CleanupParts {
  readonly config: AppConfig;
  readonly store: Store;
  readonly sources: readonly CmsSource[];
  /** Where the ladders are (PUBLISH_TARGET). */
  readonly ladders: LadderTarget;
  readonly worker: WorkerControl;
  readonly log: Logger;
  readonly now: () => Date;
}

/** The daily housekeeping: temp leftovers, old ledger rows, ended local jobs, orphan ladders. */
export function dailyCleanup({ config, store, sources, ladders, worker, log, now }: CleanupParts): DailyCleanup {
  const ladderGc = new LadderGc({
    hlsDir: config.storage.hlsDir,
    ladders,
    sources,
    orphans: store.orphans,
    graceDays: config.maintenance.orphanGraceDays,
    isBusy: (key) => worker.snapshot().active.some((job) => job.key === key),
    log: log.child({ module: 'gc' }),
    now,
  });
  return new DailyCleanup({
    tempDir: config.storage.tempDir,
    ledger: store.ledger,
    ledgerRetentionDays: config.maintenance.ledgerRetentionDays,
    jobs: store.jobs,
    jobRetentionDays: config.maintenance.jobRetentionDays,
    ladderGc,
    ...(config.publish.target === 's3' && config.publish.localCopyDays > 0
      ? {
          localCopyDays: config.publish.localCopyDays,
          trimLocalCopies: (olderThan: Date) => trimLocalLadders(config.storage.hlsDir, olderThan, log.child({ module: 'cleanup' })),
        }
      : {}),
    cron: config.maintenance.cleanupCron,
    schedule: (expr, fn) => cron.schedule(expr, fn),
    log: log.child({ module: 'cleanup' }),
    now,
  });
}
