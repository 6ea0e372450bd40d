import type { AlertThresholds } from '../../src/config/config.js';
import type { SystemSample } from '../../src/alerts/system-sample.js';
import type { SourceStatus, WorkerSnapshot } from '../../src/domain/worker.js';

const GiB = 1024 ** 3;

/** The default thresholds, as the config builds them. */
export const THRESHOLDS: AlertThresholds = {
  cpuWarning: 90,
  cpuCritical: 99,
  cpuDurationMs: 5 * 60_000,
  memoryWarning: 80,
  memoryCritical: 95,
  diskWarning: 80,
  diskCritical: 95,
  failedJobsPerHour: 5,
  workerDelayMs: 5 * 60_000,
};

/** A reading at `at` with the given percentages (16 GiB of RAM, 500 GiB of disk). */
export function sample(at: Date | number, o: { cpu?: number; memory?: number; disk?: number } = {}): SystemSample {
  const memory = o.memory ?? 30;
  const disk = o.disk ?? 40;
  return {
    at: new Date(at).toISOString(),
    cpuPercent: o.cpu ?? 10,
    memory: { usedBytes: (memory / 100) * 16 * GiB, totalBytes: 16 * GiB, percent: memory },
    disk: { usedBytes: (disk / 100) * 500 * GiB, totalBytes: 500 * GiB, percent: disk },
    network: { inBitsPerSecond: 15e6, outBitsPerSecond: 45e6 },
  };
}

/** Readings every 10 s from `from` to `to` (inclusive), all with the same values. */
export function samplesBetween(from: number, to: number, o: { cpu?: number; memory?: number; disk?: number }): SystemSample[] {
  const list: SystemSample[] = [];
  for (let t = from; t <= to; t += 10_000) list.push(sample(t, o));
  return list;
}

export function snapshot(o: Partial<WorkerSnapshot> & { now: Date; sources?: SourceStatus[] }): WorkerSnapshot {
  const { now, ...rest } = o;
  return {
    state: 'IDLE',
    workerId: 'test:1',
    startedAt: new Date(now.getTime() - 3_600_000).toISOString(),
    lastTickAt: now.toISOString(),
    lastError: null,
    active: [],
    sources: [{ kind: 'local', connected: true, pending: 0, lastPollAt: now.toISOString(), lastError: null, lastErrorCode: null }],
    ...rest,
  };
}
