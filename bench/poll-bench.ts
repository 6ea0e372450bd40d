/**
 * Poll cost: one `listDue` page (what the poller runs) over 10,000 pending records in the embedded
 * store. better-sqlite3 exposes no per-statement row counters, so "rows read" is shown by SQLite's
 * own EXPLAIN QUERY PLAN: SEARCH … USING INDEX with LIMIT reads one page of table rows; a COUNT
 * using a covering index reads index entries only.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../src/store/database.js';
import { JobRepository } from '../src/store/job-repository.js';
import { fmt, median, percentile } from './measure.js';

const RECORDS = 10_000;
const PAGE = 10;
const LEASE_SECONDS = 300;

export interface PollFigures {
  readonly records: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly page: number;
  readonly plan: string[];
}

export async function benchPoll(): Promise<PollFigures> {
  const dir = await mkdtemp(path.join(tmpdir(), 'vc-bench-poll-'));
  const db = openDatabase(path.join(dir, 'state.db'));
  try {
    const jobs = new JobRepository({ db, now: () => new Date() });
    db.transaction(() => {
      for (let i = 0; i < RECORDS; i += 1) jobs.create({ sourceUrl: `https://example.com/v/${i}.mp4`, priority: 1 + (i % 5), title: null });
    })();
    db.pragma('optimize');
    const times: number[] = [];
    let page = 0;
    for (let i = 0; i < 200; i += 1) {
      const started = performance.now();
      page = jobs.listDue({ limit: PAGE, leaseSeconds: LEASE_SECONDS }).rows.length;
      times.push(performance.now() - started);
    }
    return { records: RECORDS, p50Ms: median(times), p99Ms: percentile(times, 99), page, plan: queryPlans(db) };
  } finally {
    db.close();
  }
}

/** EXPLAIN QUERY PLAN of the statements one poll runs: SEARCH … USING INDEX means no table scan. */
function queryPlans(db: ReturnType<typeof openDatabase>): string[] {
  const params = { now: new Date().toISOString(), stale: new Date(0).toISOString(), limit: PAGE };
  const statements = [...(db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs'").all() as Array<{ sql: string | null }>)]
    .map((r) => r.sql)
    .filter((s): s is string => s !== null);
  const plan = (sql: string): string[] => {
    try {
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as Array<{ detail: string }>).map((r) => r.detail);
    } catch (err) {
      return [`(plan unavailable: ${(err as Error).message})`];
    }
  };
  // Copies of job-repository.ts's listDue/countDue (kept private there).
  const pending = "status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= @now)";
  const stale = "status = 'processing' AND (heartbeat_at IS NULL OR heartbeat_at < @stale)";
  const order = 'ORDER BY priority ASC, created_at ASC, id ASC';
  const due = `SELECT * FROM (SELECT * FROM (SELECT * FROM jobs WHERE ${pending} ${order} LIMIT @limit) UNION ALL SELECT * FROM (SELECT * FROM jobs WHERE ${stale} ${order} LIMIT @limit)) ${order} LIMIT @limit`;
  const count = `SELECT (SELECT COUNT(*) FROM jobs WHERE ${pending}) + (SELECT COUNT(*) FROM jobs WHERE ${stale}) AS n`;
  return [`indexes: ${statements.length}`, ...plan(due).map((d) => `page: ${d}`), ...plan(count).map((d) => `count: ${d}`)];
}

export function pollTable(f: PollFigures): string[] {
  return [
    '| records | page | p50 | p99 |',
    '|---|---|---|---|',
    `| ${f.records} pending | ${f.page} rows | ${fmt(f.p50Ms, 3)} ms | ${fmt(f.p99Ms, 3)} ms |`,
    '',
    'Query plan (EXPLAIN QUERY PLAN of `listDue` and `countDue`):',
    '',
    ...f.plan.map((p) => `- ${p}`),
  ];
}
