import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SystemSample } from '../alerts/system-sample.js';
import type { DaemonEvent, EventSink } from '../domain/events.js';
import type { WorkerSnapshot } from '../domain/worker.js';
import type { JobStatus } from '../domain/record.js';
import type { Alert } from '../store/alert-repository.js';
import type { QueueWait } from '../store/report-queries.js';

/** Where the gauges read their values at scrape time. */
export interface MetricsSources {
  readonly worker: () => WorkerSnapshot | null;
  /** Local store counts by status; null when the local source is disabled. */
  readonly jobCounts: () => Promise<Record<JobStatus, number> | null>;
  readonly system: () => SystemSample | null;
  readonly activeAlerts: () => Promise<readonly Alert[]>;
  /** Queue wait (due → claimed) of the last 24 h. */
  readonly queueWait: () => Promise<QueueWait>;
}

const PREFIX = 'video_compressor_';

/**
 * The daemon's Prometheus metrics, in a registry of its own (no global state: two daemons in one
 * test process do not collide). Counters follow the pipeline's events; gauges are read when
 * Prometheus scrapes. Label values are bounded sets (status, route pattern, source kind).
 */
export class DaemonMetrics implements EventSink {
  readonly registry = new Registry();
  private readonly attempts: Counter<'outcome'>;
  private readonly processing: Histogram<'rungs'>;
  private readonly bytes: Counter<'direction'>;
  private readonly requests: Counter<'method' | 'route' | 'status'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.attempts = new Counter({
      name: `${PREFIX}job_attempts_total`,
      help: 'Finished attempts by outcome (completed, retrying, failed).',
      labelNames: ['outcome'],
      registers,
    });
    this.processing = new Histogram({
      name: `${PREFIX}processing_seconds`,
      help: 'Processing time of completed jobs, download to write-back, by number of rungs produced.',
      labelNames: ['rungs'],
      buckets: [10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
      registers,
    });
    this.bytes = new Counter({
      name: `${PREFIX}bytes_total`,
      help: 'Bytes downloaded (in) and published (out) by completed jobs.',
      labelNames: ['direction'],
      registers,
    });
    this.requests = new Counter({
      name: `${PREFIX}http_requests_total`,
      help: 'HTTP requests by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    registerGauges(this.registry, sources);
  }

  emit(event: DaemonEvent): void {
    if (event.type === 'job_completed') {
      this.attempts.inc({ outcome: 'completed' });
      this.processing.observe({ rungs: String(event.rungs) }, event.processingMs / 1000);
      this.bytes.inc({ direction: 'in' }, event.sourceBytes);
      this.bytes.inc({ direction: 'out' }, event.outputBytes);
    } else if (event.type === 'job_failed') {
      this.attempts.inc({ outcome: event.final ? 'failed' : 'retrying' });
    }
  }

  /** Counts every response by its route pattern (never the raw path: ids would explode the label set). */
  httpObserver(): RequestHandler {
    return (req, res, next) => {
      res.once('finish', () => {
        // Express types req.route as any: the matched route's pattern, when a route matched.
        const pattern = (req.route as { path?: unknown } | undefined)?.path;
        const route = typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : req.baseUrl || 'unmatched';
        this.requests.inc({ method: req.method, route, status: String(res.statusCode) });
      });
      next();
    };
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function registerGauges(registry: Registry, sources: MetricsSources): void {
  const registers = [registry];
  new Gauge({
    name: `${PREFIX}jobs`,
    help: 'Jobs of the local store by status.',
    labelNames: ['status'],
    registers,
    async collect() {
      const counts = await sources.jobCounts();
      this.reset();
      for (const [status, count] of Object.entries(counts ?? {})) this.set({ status }, count);
    },
  });
  new Gauge({
    name: `${PREFIX}queue_pending`,
    help: 'Due records at the last poll, by source.',
    labelNames: ['source'],
    registers,
    collect() {
      this.reset();
      for (const s of sources.worker()?.sources ?? []) this.set({ source: s.kind }, s.pending);
    },
  });
  new Gauge({
    name: `${PREFIX}source_connected`,
    help: '1 when the last poll of the source succeeded.',
    labelNames: ['source'],
    registers,
    collect() {
      this.reset();
      for (const s of sources.worker()?.sources ?? []) this.set({ source: s.kind }, s.connected ? 1 : 0);
    },
  });
  new Gauge({
    name: `${PREFIX}queue_wait_seconds`,
    help: 'Queue wait of the jobs started in the last 24 h, due to claimed: median (quantile 0.5) and 95th percentile.',
    labelNames: ['quantile'],
    registers,
    async collect() {
      const wait = await sources.queueWait();
      this.reset();
      if (wait.medianMs !== null) this.set({ quantile: '0.5' }, wait.medianMs / 1000);
      if (wait.p95Ms !== null) this.set({ quantile: '0.95' }, wait.p95Ms / 1000);
    },
  });
  registerNowGauges(registry, sources);
  registerSystemGauges(registry, sources);
}

/** What is happening right now: jobs in progress, active alerts. */
function registerNowGauges(registry: Registry, sources: MetricsSources): void {
  const registers = [registry];
  new Gauge({
    name: `${PREFIX}active_jobs`,
    help: 'Jobs this daemon is processing now.',
    registers,
    collect() {
      this.set(sources.worker()?.active.length ?? 0);
    },
  });
  new Gauge({
    name: `${PREFIX}alerts_active`,
    help: 'Open or acknowledged alerts by level.',
    labelNames: ['level'],
    registers,
    async collect() {
      const alerts = await sources.activeAlerts();
      for (const level of ['warning', 'critical']) this.set({ level }, alerts.filter((a) => a.level === level).length);
    },
  });
}

function registerSystemGauges(registry: Registry, sources: MetricsSources): void {
  const registers = [registry];
  const readings: Array<[string, string, (s: SystemSample) => number | null]> = [
    ['system_cpu_percent', 'CPU usage at the last reading.', (s) => s.cpuPercent],
    ['system_memory_percent', 'Memory in use (without page cache).', (s) => s.memory.percent],
    ['system_disk_percent', 'Used space of the storage volume.', (s) => s.disk.percent],
    ['system_network_in_bits_per_second', 'Received, all interfaces but loopback.', (s) => s.network.inBitsPerSecond],
    ['system_network_out_bits_per_second', 'Sent, all interfaces but loopback.', (s) => s.network.outBitsPerSecond],
  ];
  for (const [name, help, read] of readings) {
    new Gauge({
      name: `${PREFIX}${name}`,
      help,
      registers,
      collect() {
        const sample = sources.system();
        const value = sample ? read(sample) : null;
        if (value !== null) this.set(value);
      },
    });
  }
}
