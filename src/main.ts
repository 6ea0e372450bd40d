import { access, constants, mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import cron from 'node-cron';
import { Monitoring } from './alerts/monitoring.js';
import type { AppConfig } from './config/config.js';
import { ConfigError } from './config/config.js';
import type { Express } from 'express';
import { createApp } from './http/app.js';
import type { DaemonMetrics } from './metrics/daemon-metrics.js';
import { cachedProbe } from './http/cached-probe.js';
import { daemonMounts } from './http/daemon-mounts.js';
import type { HealthProbe } from './http/routes/health.js';
import type { Logger } from './logging/logger.js';
import { binaryVersion } from './media/ffmpeg-version.js';
import type { DailyCleanup } from './pipeline/daily-cleanup.js';
import { createCallbacks, daemonMetrics, dailyCleanup, fleetBeacon } from './daemon-services.js';
import { fanOut, ignoreEvents, type EventSink } from './domain/events.js';
import { createPipelineTools } from './pipeline/pipeline-tools.js';
import { Poller } from './pipeline/poller.js';
import { processVideo } from './pipeline/process-video.js';
import { recoverInterruptedPublishes } from './publish/local-ladders.js';
import { createLadderTarget } from './publish/create-ladder-target.js';
import type { LadderTarget } from './publish/ladder-target.js';
import { isDeadLocalWorker } from './pipeline/worker-liveness.js';
import { sweepTemp } from './pipeline/workspace.js';
import { createSources } from './sources/create-sources.js';
import { openStore } from './store/open-store.js';
import type { JobStore, LedgerStore, Store, WorkerStore } from './store/store.js';
import { LOST_AFTER_MS, type FleetBeacon } from './pipeline/fleet-beacon.js';
import { JobOperations } from './pipeline/job-operations.js';
import type { CallbackService } from './callbacks/callback-service.js';
import type { CmsSource } from './sources/cms-source.js';

export interface RunningDaemon {
  readonly poller: Poller;
  readonly server: Server;
  /** The bound port (useful with PORT=0). */
  readonly port: number;
  /** Stops claiming, releases running jobs, closes the HTTP server and the database. True if everything settled in time. */
  close(): Promise<boolean>;
}

export interface StartDaemonOptions {
  readonly config: AppConfig;
  readonly log: Logger;
  readonly now?: () => Date;
  /** Where worker events go (alerts); dropped by default. */
  readonly events?: EventSink;
}

/** The daemon refuses to start without an API key (every /api route would be unusable): the key, or a ConfigError. */
export function requireApiKeyToStart(config: AppConfig): string {
  if (config.server.apiKey === null)
    throw new ConfigError(['API_KEY: is required to start the daemon (e.g. API_KEY=$(openssl rand -hex 24) in .env)']);
  return config.server.apiKey;
}

/** Wires every module from the config and starts the HTTP server and the poller. The one composition root. */
export async function startDaemon({
  config,
  log,
  now = () => new Date(),
  events: extraEvents = ignoreEvents,
}: StartDaemonOptions): Promise<RunningDaemon> {
  const apiKey = requireApiKeyToStart(config);

  await prepareStorage(config, log, now);
  const store = await openStore(config.storage, { now, log });
  const { jobs, ledger } = store;
  const localJobs = config.worker.sources.includes('local') ? jobs : null;
  const monitoring = new Monitoring({ config, store, jobs: localJobs, log, now });
  const metrics = daemonMetrics(monitoring, localJobs, now);
  // The job's JSON is read when its callback is recorded, after the operations exist (below).
  let operations: JobOperations | null = null;
  const job = (key: string) => operations?.get(key) ?? Promise.resolve(null);
  const callbacks = createCallbacks({ config, store: store.callbacks, log, now, job });
  // Every sink returns at once (alerts defer their work): the pipeline never waits for a notification.
  const events: EventSink = fanOut(monitoring.events, metrics, callbacks, extraEvents);
  const sources = await createSources({ config, jobs, log, now });
  await recoverInterruptedJobs({ config, jobs, ledger, log, events });

  const tools = createPipelineTools({ config, log });
  const ffmpeg = await binaryVersion(config.media.ffmpegPath);
  if (ffmpeg.version === null) log.error({ error: ffmpeg.error }, 'ffmpeg is not usable: jobs will fail until it is installed');

  const ladders = createLadderTarget(config);
  const poller = createPoller({ config, sources, ledger, tools, ladders, events, log, now });
  operations = new JobOperations({
    sources,
    worker: poller,
    events,
    hlsDir: config.storage.hlsDir,
    ladders,
    log: log.child({ module: 'operations' }),
  });
  const app = daemonApp({
    config,
    apiKey,
    poller,
    sources,
    localJobs,
    operations,
    callbacks,
    ledger,
    workers: store.workers,
    monitoring,
    metrics,
    ffmpeg: ffmpeg.version,
    log,
    now,
  });
  const server = await listen(app, config.server.host, config.server.port);
  const port = (server.address() as AddressInfo).port;
  const cleanup = dailyCleanup({ config, store, sources, ladders, worker: poller, log, now });
  const beacon = fleetBeacon({ config, workers: store.workers, worker: poller, log, now });
  startBackground({ poller, beacon, store, cleanup, callbacks, monitoring });
  log.info({ host: config.server.host, port, sources: config.worker.sources, worker: config.worker.id }, 'video-compressor started');
  return { poller, server, port, close: () => closeDaemon({ poller, cleanup, monitoring, callbacks, beacon, server, store, log }) };
}

/** The poller and the services that run beside it. */
function startBackground(o: Pick<Closable, 'poller' | 'beacon' | 'store' | 'cleanup' | 'callbacks' | 'monitoring'>): void {
  o.poller.start();
  o.beacon.start();
  // A job queued through any daemon sharing a PostgreSQL store wakes this one at once (a burst of
  // notifications, one per job, still makes one poll).
  o.store.signals?.onJobsQueued(() => o.poller.pollSoon(SIGNAL_GATHER_MS));
  o.cleanup.start();
  o.callbacks.start();
  o.monitoring.start(o.poller);
}

interface AppParts {
  readonly config: AppConfig;
  readonly apiKey: string;
  readonly poller: Poller;
  readonly sources: readonly CmsSource[];
  readonly localJobs: JobStore | null;
  readonly operations: JobOperations;
  readonly callbacks: CallbackService;
  readonly ledger: LedgerStore;
  readonly workers: WorkerStore;
  readonly monitoring: Monitoring;
  readonly metrics: DaemonMetrics;
  readonly ffmpeg: string | null;
  readonly log: Logger;
  readonly now: () => Date;
}

/** The HTTP application: the API, the dashboard, the webhooks, /metrics and /health. */
function daemonApp(o: AppParts): Express {
  const { config, apiKey, poller: worker, operations, callbacks, ledger, workers, monitoring, metrics, log, now } = o;
  const mounts = daemonMounts({ config, apiKey, worker, operations, callbacks, ledger, workers, monitoring, metrics, log, now });
  return createApp({
    server: { ...config.server, apiKey },
    storage: config.storage,
    worker,
    jobs: o.localJobs,
    ledger,
    workers,
    lostAfterMs: LOST_AFTER_MS,
    operations,
    ladderNames: config.media.ladder.map((rung) => rung.name),
    callbacks,
    mounts,
    observe: metrics.httpObserver(),
    health: healthProbe(config, o.ffmpeg, o.sources),
    log: log.child({ module: 'http' }),
  });
}

/** Cached for a second: /health may be polled hundreds of times a second (see cached-probe.ts). */
function healthProbe(config: AppConfig, ffmpegVersion: string | null, sources: readonly CmsSource[]): () => Promise<HealthProbe> {
  const probe = async (): Promise<HealthProbe> => ({
    ffmpeg: ffmpegVersion,
    storageWritable: await isWritable(config.storage.dir),
    // What a source warns about as deployed (an Appwrite without locked claims), known from its first poll on.
    sourceWarnings: Object.fromEntries(sources.map((source) => [source.kind, source.warnings?.() ?? []])),
  });
  return cachedProbe(probe, { ttlMs: HEALTH_PROBE_TTL_MS, now: () => performance.now() });
}

interface PollerParts {
  readonly config: AppConfig;
  readonly sources: CmsSource[];
  readonly ledger: LedgerStore;
  readonly tools: ReturnType<typeof createPipelineTools>;
  readonly ladders: LadderTarget;
  readonly events: EventSink;
  readonly log: Logger;
  readonly now: () => Date;
}

/** The worker loop: every source polled on POLL_CRON, each claimed record run through processVideo. */
function createPoller({ config, sources, ledger, tools, ladders, events, log, now }: PollerParts): Poller {
  return new Poller({
    sources,
    config: { ...config.worker, workerId: config.worker.id },
    runJob: (source, record, options) =>
      processVideo(record, { source, ledger, tools, ladders, events, config: pipelineConfig(config), log, now }, options),
    schedule: (expr, fn) => cron.schedule(expr, fn),
    log: log.child({ module: 'poller' }),
    now,
    events,
  });
}

interface Closable {
  readonly poller: Poller;
  readonly cleanup: DailyCleanup;
  readonly monitoring: Monitoring;
  readonly callbacks: CallbackService;
  readonly beacon: FleetBeacon;
  readonly server: Server;
  readonly store: Store;
  readonly log: Logger;
}

async function closeDaemon({ poller, cleanup, monitoring, callbacks, beacon, server, store, log }: Closable): Promise<boolean> {
  const [settled] = await Promise.all([poller.stop(), cleanup.stop()]);
  // After the poller: the jobs it stopped may still report; before the database closes.
  await callbacks.stop();
  await beacon.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  monitoring.stop();
  await store.close();
  log.info({ settled }, 'video-compressor stopped');
  return settled;
}

/** A previous run of this daemon (pinned WORKER_ID) or a dead process on this host left work behind. */
async function recoverInterruptedJobs(o: {
  config: AppConfig;
  jobs: JobStore;
  ledger: LedgerStore;
  log: Logger;
  events: EventSink;
}): Promise<void> {
  const isGone = (workerId: string): boolean => workerId === o.config.worker.id || isDeadLocalWorker(workerId);
  const interrupted = await o.ledger.markInterrupted(isGone);
  const expired = await o.jobs.expireLeasesOf(isGone);
  if (interrupted === 0 && expired === 0) return;
  o.log.warn({ attempts: interrupted, jobs: expired }, 'a worker stopped with jobs in flight; they will be reclaimed');
  o.events.emit({
    type: 'worker_crashed',
    key: null,
    reason: `${Math.max(interrupted, expired)} job(s) were in flight when a worker on this host stopped`,
  });
}

function pipelineConfig(config: AppConfig) {
  return {
    workerId: config.worker.id,
    tempDir: config.storage.tempDir,
    hlsDir: config.storage.hlsDir,
    publicBaseUrl: config.server.publicBaseUrl,
    heartbeatMs: config.worker.heartbeatMs,
    retryDelaysMs: config.worker.retryDelaysMs,
    diskSpaceFactor: config.storage.diskSpaceFactor,
    // Half the lease: the record cannot have been reclaimed meanwhile, even with a stale heartbeat.
    writeBackRetryMs: (config.worker.leaseSeconds * 1000) / 2,
  };
}

async function prepareStorage(config: AppConfig, log: Logger, now: () => Date): Promise<void> {
  for (const dir of [config.storage.dir, config.storage.tempDir, config.storage.hlsDir]) await mkdir(dir, { recursive: true });
  await sweepTemp(config.storage.tempDir, log, { staleAfterMs: 24 * 3600_000, now });
  await recoverInterruptedPublishes(config.storage.hlsDir, log);
}

/** How long a wake-up from the store waits for more of a burst before polling. */
const SIGNAL_GATHER_MS = 100;

/** How long /health reuses its storage probe; a storage that turns read-only shows within this. */
const HEALTH_PROBE_TTL_MS = 1000;

async function isWritable(dir: string): Promise<boolean> {
  return access(dir, constants.W_OK).then(
    () => true,
    () => false,
  );
}

function listen(app: ReturnType<typeof createApp>, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}
