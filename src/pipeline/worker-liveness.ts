import { hostname } from 'node:os';
import { parseWorkerId } from '../domain/worker.js';

/**
 * Whether a worker id of the form `host:pid` names a process of this host that no longer runs.
 * Ids of other hosts, and ids without a pid (a pinned WORKER_ID), are never "gone" by this test:
 * for those only the lease tells.
 */
export function isDeadLocalWorker(workerId: string, host = hostname()): boolean {
  const worker = parseWorkerId(workerId);
  if (worker === null || worker.host !== host) return false;
  return worker.pid !== process.pid && !processAlive(worker.pid);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
