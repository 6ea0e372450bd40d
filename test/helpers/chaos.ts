/**
 * Shared bits of the chaos suite (test/chaos): each scenario records one summary row, which
 * scripts/chaos-summary.ts prints as a table once the suite has run (`npm run test:chaos`). Test
 * files run in separate processes, so rows go through files (one per scenario) rather than memory.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SpawnedDaemon } from './spawn-daemon.js';
import { TEST_API_KEY } from './test-daemon.js';

export const ARTIFACTS = new URL('../chaos/artifacts/', import.meta.url).pathname;
const ROWS = path.join(ARTIFACTS, 'rows');

export interface ScenarioRow {
  readonly scenario: string;
  readonly tried: number;
  readonly survived: number;
  readonly lost: number;
  readonly notes: string;
  readonly seconds: number;
}

/** Records (overwrites) the row of one scenario. */
export function recordScenario(row: ScenarioRow): void {
  mkdirSync(ROWS, { recursive: true });
  writeFileSync(
    path.join(ROWS, `${row.scenario.replace(/[^a-z0-9]+/gi, '-')}.json`),
    JSON.stringify({ ...row, at: new Date().toISOString() }),
  );
}

export function readScenarios(): Array<ScenarioRow & { at: string }> {
  let files: string[] = [];
  try {
    files = readdirSync(ROWS).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files.map((f) => JSON.parse(readFileSync(path.join(ROWS, f), 'utf8')));
}

/** A small seeded PRNG (mulberry32): the random moments of a run reproduce from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Ledger rows (attempts) per record key and status, read from a daemon's state.db. */
export function ledgerCounts(dbPath: string): Map<string, Record<string, number>> {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT job_key AS key, status, COUNT(*) AS n FROM ledger GROUP BY job_key, status').all() as Array<{
      key: string;
      status: string;
      n: number;
    }>;
    const out = new Map<string, Record<string, number>>();
    for (const r of rows) out.set(r.key, { ...(out.get(r.key) ?? {}), [r.status]: r.n });
    return out;
  } finally {
    db.close();
  }
}

/**
 * An FFMPEG_PATH that logs every run's arguments to `log` and then runs the real ffmpeg, so a test
 * can count encodes per job (the HLS runs write into temp/<key>/).
 */
export function countingFfmpeg(dir: string): { path: string; encodesPerKey: () => Map<string, number> } {
  const log = path.join(dir, 'ffmpeg-runs.log');
  const script = path.join(dir, 'ffmpeg-counting');
  writeFileSync(script, `#!/bin/sh\necho "$*" >> '${log}'\nexec ffmpeg "$@"\n`, { mode: 0o755 });
  return {
    path: script,
    encodesPerKey: () => {
      const counts = new Map<string, number>();
      let text = '';
      try {
        text = readFileSync(log, 'utf8');
      } catch {
        return counts;
      }
      for (const line of text.split('\n')) {
        const key = / -f hls .*\/temp\/([^/ ]+)\//.exec(line)?.[1];
        if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return counts;
    },
  };
}

/**
 * Waits while a queue drains, however slow the machine: returns the jobs once every one has ended
 * (completed or failed), or as they are after 90 s in which no job ended.
 */
export async function untilDrained(listJobs: () => Promise<any[]>, stallMs = 90_000): Promise<any[]> {
  let [ended, lastProgress] = [-1, Date.now()];
  for (;;) {
    const jobs = await listJobs();
    const done = jobs.filter((j) => j.status === 'completed' || j.status === 'failed').length;
    if (done === jobs.length) return jobs;
    if (done > ended) [ended, lastProgress] = [done, Date.now()];
    if (Date.now() - lastProgress >= stallMs) return jobs;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** One call of a spawned daemon's API with the test key: the parsed JSON answer. */
export async function daemonApi(d: Pick<SpawnedDaemon, 'baseUrl'>, method: string, route: string, body?: unknown): Promise<any> {
  const res = await fetch(d.baseUrl + route, {
    method,
    headers: { 'X-API-Key': TEST_API_KEY, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return res.json();
}
