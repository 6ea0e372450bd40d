import { statfs } from 'node:fs/promises';
import si from 'systeminformation';
import type { SystemSample, SystemSampler, UsageReading } from './system-sample.js';

interface NetworkTotals {
  readonly rxBytes: number;
  readonly txBytes: number;
  /** performance.now() of the reading. */
  readonly atMs: number;
}

/**
 * The production sampler: CPU load since the previous reading and memory from systeminformation,
 * disk usage of the storage volume from statfs (exactly the file system STORAGE_DIR lives on, which
 * a list of mounts would have to guess), and network rates from byte counters between readings.
 */
export function createSystemSampler({ storageDir }: { readonly storageDir: string }): SystemSampler {
  let previous: NetworkTotals | null = null;
  return {
    async sample() {
      const [load, mem, disk, totals] = await Promise.all([si.currentLoad(), si.mem(), diskUsage(storageDir), networkTotals()]);
      const network = rates(previous, totals);
      previous = totals;
      // `active` leaves out the page cache, which the kernel hands back on demand: `used` would
      // read ~100 % on any busy file server.
      const memory: UsageReading = { usedBytes: mem.active, totalBytes: mem.total, percent: percentOf(mem.active, mem.total) };
      return { cpuPercent: clampPercent(load.currentLoad), memory, disk, network };
    },
  };
}

async function diskUsage(dir: string): Promise<UsageReading> {
  const fs = await statfs(dir);
  const used = (fs.blocks - fs.bfree) * fs.bsize;
  const available = fs.bavail * fs.bsize;
  // As df computes it: blocks reserved for root count neither as used nor as available.
  return { usedBytes: used, totalBytes: fs.blocks * fs.bsize, percent: percentOf(used, used + available) };
}

async function networkTotals(): Promise<NetworkTotals> {
  const stats = await si.networkStats('*');
  let rxBytes = 0;
  let txBytes = 0;
  for (const s of stats) {
    if (s.iface === 'lo' || s.iface.startsWith('lo:')) continue;
    rxBytes += s.rx_bytes;
    txBytes += s.tx_bytes;
  }
  return { rxBytes, txBytes, atMs: performance.now() };
}

function rates(before: NetworkTotals | null, after: NetworkTotals): SystemSample['network'] {
  const seconds = before ? (after.atMs - before.atMs) / 1000 : 0;
  // Counters reset when an interface goes away; report nothing rather than a negative rate.
  if (!before || seconds <= 0 || after.rxBytes < before.rxBytes || after.txBytes < before.txBytes) {
    return { inBitsPerSecond: null, outBitsPerSecond: null };
  }
  return {
    inBitsPerSecond: ((after.rxBytes - before.rxBytes) * 8) / seconds,
    outBitsPerSecond: ((after.txBytes - before.txBytes) * 8) / seconds,
  };
}

function percentOf(part: number, whole: number): number {
  return whole > 0 ? clampPercent((part / whole) * 100) : 0;
}

function clampPercent(value: number): number {
  return Number.isFinite(value) ? Math.min(100, Math.max(0, value)) : 0;
}
