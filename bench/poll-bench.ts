/**
 * Poll cost: the embedded source's `listPending` (what the poller runs on every tick) over 1,000,
 * 10,000 and 100,000 pending records. "Rows read" is shown twice: by SQLite's own EXPLAIN QUERY
 * PLAN of the statements the poll runs (SEARCH … USING INDEX with a LIMIT reads one page of rows;
 * USING COVERING INDEX reads index entries, no row), and by the scaling: a poll that reads one page
 * costs the same at 100 times the records. (better-sqlite3 exposes no per-statement row counters.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalSource } from '../src/sources/local-source.js';
import { openDatabase } from '../src/store/database.js';
import { JobRepository, POLL_STATEMENTS } from '../src/store/job-repository.js';
import { promised } from '../src/store/store.js';
import { fmt, median, percentile } from './measure.js';

const SIZES = [1_000, 10_000, 100_000] as const;
/** POLL_PAGE_SIZE's default. */
const PAGE = 10;
const LEASE_SECONDS = 300;
const POLLS = 200;

export interface PollRow {
  readonly records: number;
  readonly page: number;
  readonly total: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface PollFigures {
  readonly rows: readonly PollRow[];
  readonly plan: readonly string[];
}

export async function benchPoll(): Promise<PollFigures> {
  const rows: PollRow[] = [];
  let plan: string[] = [];
  for (const records of SIZES) {
    const dir = await mkdtemp(path.join(tmpdir(), 'vc-bench-poll-'));
    const db = openDatabase(path.join(dir, 'state.db'));
    try {
      const jobs = new JobRepository({ db, now: () => new Date() });
      db.transaction(() => {
        for (let i = 0; i < records; i += 1)
          jobs.create({ sourceUrl: `https://example.com/v/${i}.mp4`, priority: 1 + (i % 5), title: null });
      })();
      // What the daemon's store looks like after its daily maintenance (ANALYZE statistics).
      db.pragma('optimize');
      rows.push(await timePolls(new LocalSource({ jobs: promised(jobs), workerId: 'bench', leaseSeconds: LEASE_SECONDS }), records));
      if (records === 10_000) plan = queryPlans(db);
    } finally {
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
  return { rows, plan };
}

async function timePolls(source: LocalSource, records: number): Promise<PollRow> {
  const times: number[] = [];
  let page = 0;
  let total = 0;
  for (let i = 0; i < POLLS; i += 1) {
    const started = performance.now();
    const result = await source.listPending(PAGE);
    times.push(performance.now() - started);
    page = result.records.length;
    total = result.total;
  }
  return { records, page, total, p50Ms: median(times), p99Ms: percentile(times, 99) };
}

/** EXPLAIN QUERY PLAN of the statements one poll runs. */
function queryPlans(db: ReturnType<typeof openDatabase>): string[] {
  const params = { now: new Date().toISOString(), stale: new Date(0).toISOString(), limit: PAGE };
  const plan = (sql: string): string[] =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as Array<{ detail: string }>).map((r) => r.detail);
  return [...plan(POLL_STATEMENTS.listDue).map((d) => `page: ${d}`), ...plan(POLL_STATEMENTS.countDue).map((d) => `count: ${d}`)];
}

export function pollTable(f: PollFigures): string[] {
  return [
    `\`listPending(${PAGE})\` of the embedded source, ${POLLS} polls per size:`,
    '',
    '| pending records | page returned | total counted | p50 | p99 |',
    '|---|---|---|---|---|',
    ...f.rows.map((r) => `| ${r.records} | ${r.page} rows | ${r.total} | ${fmt(r.p50Ms, 3)} ms | ${fmt(r.p99Ms, 3)} ms |`),
    '',
    'Query plan at 10,000 records (EXPLAIN QUERY PLAN of `listDue` and `countDue`):',
    '',
    ...f.plan.map((p) => `- ${p}`),
  ];
}
