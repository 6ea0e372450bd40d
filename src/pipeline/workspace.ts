import { mkdir, readdir, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { AppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { isDeadLocalWorker } from './worker-liveness.js';
import { parseWorkerId, workerIdOf } from '../domain/worker.js';

/** A job's private work directory: storage/temp/<key>/ with the download and the ladder being built. */
export interface Workspace {
  readonly dir: string;
  readonly sourcePath: string;
  readonly outDir: string;
  dispose(): Promise<void>;
}

const OWNER_FILE = '.owner';

/** `owner` identifies the process working here (`hostname:pid`), so a sweep spares live workers' directories. */
export async function createWorkspace(tempDir: string, key: string, owner = workerIdOf(hostname(), process.pid)): Promise<Workspace> {
  const dir = path.join(tempDir, key);
  // A previous attempt of the same job may have crashed here.
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, OWNER_FILE), owner);
  return {
    dir,
    sourcePath: path.join(dir, 'source'),
    outDir: path.join(dir, 'out'),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface SweepOptions {
  /** Directories of processes on other hosts (shared storage) younger than this are kept. */
  readonly staleAfterMs: number;
  readonly now: () => Date;
  readonly host?: string;
  /**
   * Daily runs: this process's own directories are its running jobs. At start-up (the default)
   * they can only be a previous process's that had the same pid (containers, reboots).
   */
  readonly keepOwn?: boolean;
  /**
   * Only directories untouched for this long are removed, whoever owns them: spares a job caught
   * between creating its directory and writing its owner, and a `transcode` run (no owner file).
   */
  readonly minAgeMs?: number;
}

/**
 * Removes work directories left by crashed workers: on this host, those whose owner process is
 * gone; from other hosts sharing the volume, those untouched for `staleAfterMs`. Run at start-up,
 * before this daemon claims anything, and daily.
 */
export async function sweepTemp(tempDir: string, log: Logger, options: SweepOptions): Promise<number> {
  await mkdir(tempDir, { recursive: true });
  let removed = 0;
  for (const name of await readdir(tempDir)) {
    const dir = path.join(tempDir, name);
    if ((await isLive(dir, options)) || (await isYoung(dir, options))) continue;
    await rm(dir, { recursive: true, force: true });
    removed += 1;
  }
  if (removed > 0) log.info({ removed }, 'swept temp leftovers');
  return removed;
}

async function isYoung(dir: string, { minAgeMs, now }: SweepOptions): Promise<boolean> {
  if (minAgeMs === undefined) return false;
  const mtime = await stat(dir).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  return now().getTime() - mtime < minAgeMs;
}

async function isLive(dir: string, { staleAfterMs, now, host = hostname(), keepOwn = false }: SweepOptions): Promise<boolean> {
  const owner = await readFile(path.join(dir, OWNER_FILE), 'utf8').catch(() => '');
  if (owner === '') return false;
  if (owner === workerIdOf(host, process.pid)) return keepOwn;
  if (parseWorkerId(owner)?.host === host) return !isDeadLocalWorker(owner, host);
  // Another host sharing the volume: only age tells.
  const mtime = await stat(dir).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  return now().getTime() - mtime < staleAfterMs;
}

export async function freeBytes(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}

/** Fails permanently (insufficient_disk) when `dir`'s volume has less than `needed` bytes free. */
export async function assertFreeSpace(dir: string, needed: number): Promise<void> {
  const free = await freeBytes(dir);
  if (free < needed) {
    throw new AppError(
      'insufficient_disk',
      `Not enough free disk space: ${formatGiB(free)} free, about ${formatGiB(needed)} needed for this video`,
      { context: { dir, freeBytes: free, neededBytes: needed } },
    );
  }
}

function formatGiB(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
