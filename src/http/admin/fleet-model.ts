import { formatShortDuration } from '../../format/units.js';
import type { FleetWorker } from '../../store/worker-registry.js';

/** One daemon of the fleet as the overview and GET /api/workers show it. */
export interface FleetWorkerView {
  readonly workerId: string;
  readonly host: string;
  readonly version: string;
  /** The worker's own state; LOST when it stopped beating without a clean shutdown. */
  readonly state: string;
  readonly lost: boolean;
  /** The jobs it runs, e.g. "local-j1 42% (encoding)"; "—" when idle. */
  readonly jobs: string;
  readonly jobList: FleetWorker['jobs'];
  /** "12 s ago". */
  readonly heartbeat: string;
  readonly heartbeatAt: string;
  readonly level: 'ok' | 'warning' | 'muted';
}

/**
 * A worker stopped cleanly is shown for an hour: each restart under PM2 is a new `host:pid`, and
 * yesterday's processes are no news. Lost ones stay until the daily prune (7 days): they may hold jobs.
 */
const STOPPED_SHOWN_MS = 3_600_000;

/** The fleet as seen at `now`: running workers first, then lost ones, then those stopped cleanly. */
export function fleetView(workers: readonly FleetWorker[], now: Date, lostAfterMs: number): FleetWorkerView[] {
  const recent = workers.filter((w) => w.stoppedAt === null || now.getTime() - Date.parse(w.stoppedAt) <= STOPPED_SHOWN_MS);
  const views = recent.map((w): FleetWorkerView => {
    const silentMs = Math.max(0, now.getTime() - Date.parse(w.heartbeatAt));
    const lost = w.stoppedAt === null && silentMs > lostAfterMs;
    const jobs = w.jobs.map((job) => `${job.key} ${job.percent}% (${job.step})`).join(', ');
    return {
      workerId: w.workerId,
      host: w.host,
      version: w.version,
      state: lost ? 'LOST' : w.state,
      lost,
      jobs: jobs === '' || w.stoppedAt !== null ? '—' : jobs,
      jobList: w.stoppedAt === null ? w.jobs : [],
      heartbeat: `${formatShortDuration(silentMs)} ago`,
      heartbeatAt: w.heartbeatAt,
      level: lost ? 'warning' : w.stoppedAt === null ? 'ok' : 'muted',
    };
  });
  const rank = { ok: 0, warning: 1, muted: 2 } as const;
  return views.sort((a, b) => rank[a.level] - rank[b.level] || a.workerId.localeCompare(b.workerId));
}
