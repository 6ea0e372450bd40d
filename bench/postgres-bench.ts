/**
 * The two job stores side by side: the embedded SQLite one and PostgreSQL (TEST_POSTGRES_URL, a
 * schema of its own per run, dropped after). Poll cost of the local source over 1,000 to 100,000
 * pending jobs (SQLite and PostgreSQL polls alternate), the claim rate of three claimers racing for
 * 1,000 jobs (each with its own store, as three daemons would), and, PostgreSQL only, how long a
 * job created by one store takes to wake another through LISTEN/NOTIFY.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { LocalSource } from '../src/sources/local-source.js';
import { openDatabase } from '../src/store/database.js';
import { JobRepository } from '../src/store/job-repository.js';
import { openPostgresStore } from '../src/store/postgres/postgres-store.js';
import { openSqliteStore, sqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { createSchema } from '../test/helpers/postgres.js';
import { fmt, median, percentile, QUICK, RUNS } from './measure.js';

const SIZES = [1_000, 10_000, 100_000] as const;
/** POLL_PAGE_SIZE's default. */
const PAGE = 10;
const LEASE_SECONDS = 300;
const POLLS = QUICK ? 20 : 200;
const CLAIM_JOBS = 1_000;
const CLAIMERS = 3;
const WAKE_SAMPLES = 50;
const WAKE_TIMEOUT_MS = 5_000;
const now = (): Date => new Date();

export interface PollPair {
  readonly records: number;
  readonly sqlite: { readonly p50Ms: number; readonly p99Ms: number };
  readonly postgres: { readonly p50Ms: number; readonly p99Ms: number };
}

export interface PostgresFigures {
  readonly server: string;
  readonly polls: readonly PollPair[];
  /** Median claims per second over RUNS alternated runs. */
  readonly claims: { readonly sqlite: number; readonly postgres: number };
  readonly wake: { readonly createP50Ms: number; readonly p50Ms: number; readonly p99Ms: number };
}

/** Null when TEST_POSTGRES_URL is unset: the section is skipped. */
export async function benchPostgres(): Promise<PostgresFigures | null> {
  if (!process.env.TEST_POSTGRES_URL) return null;
  const server = await serverVersion(process.env.TEST_POSTGRES_URL);
  const polls: PollPair[] = [];
  for (const records of SIZES) {
    console.log(`postgres: poll over ${records} pending jobs…`);
    polls.push(await benchPollPair(records));
  }
  console.log(`postgres: ${CLAIMERS} claimers × ${CLAIM_JOBS} jobs, ${RUNS} alternated run(s)…`);
  const claims = { sqlite: [] as number[], postgres: [] as number[] };
  for (let i = 0; i < RUNS; i += 1) {
    claims.sqlite.push(await withSqliteFile(CLAIM_JOBS, async (file) => claimRace(() => Promise.resolve(openSqliteStore(file, now)))));
    claims.postgres.push(await withPgSchema(CLAIM_JOBS, async (url) => claimRace(() => openPostgresStore(url, { now }))));
  }
  console.log(`postgres: wake-up latency, ${WAKE_SAMPLES} samples…`);
  const wake = await withPgSchema(0, wakeLatency);
  return { server, polls, claims: { sqlite: median(claims.sqlite), postgres: median(claims.postgres) }, wake };
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return String((await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v);
  } finally {
    await client.end();
  }
}

/** A fresh SQLite file with `records` pending jobs (created by the repository, as `jobs.create` does), PRAGMA optimize'd. */
async function withSqliteFile<T>(records: number, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'vc-bench-pg-'));
  const file = path.join(dir, 'state.db');
  try {
    const db = openDatabase(file);
    const jobs = new JobRepository({ db, now });
    db.transaction(() => {
      for (let i = 0; i < records; i += 1) jobs.create({ sourceUrl: `https://example.com/v/${i}.mp4`, priority: 1 + (i % 5), title: null });
    })();
    db.pragma('optimize');
    db.close();
    return await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The rows `jobs.create` writes (id `j` + 20 hex digits, priority 1–5, no title, the whole
 * ladder, created_at = updated_at at millisecond precision, about 100 per millisecond as a
 * tight loop of creates would), in one INSERT … SELECT generate_series.
 */
const FILL_SQL = `INSERT INTO jobs (id, source_url, priority, title, ladder, created_at, updated_at)
  SELECT 'j' || substr(md5(random()::text || g::text), 1, 20), 'https://example.com/v/' || g || '.mp4', 1 + (g % 5), NULL, '[]'::jsonb,
    $1::timestamptz + (g / 100) * interval '1 millisecond', $1::timestamptz + (g / 100) * interval '1 millisecond'
  FROM generate_series(0, $2::int - 1) AS g`;

/** A fresh, migrated schema with `records` pending jobs, ANALYZEd; dropped after `fn`. */
async function withPgSchema<T>(records: number, fn: (url: string) => Promise<T>): Promise<T> {
  const { url, drop } = await createSchema();
  try {
    await (await openPostgresStore(url, { now })).close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      if (records > 0) await client.query(FILL_SQL, [now().toISOString(), records]);
      await client.query('ANALYZE jobs');
    } finally {
      await client.end();
    }
    return await fn(url);
  } finally {
    await drop();
  }
}

const source = (store: Store, workerId = 'bench'): LocalSource =>
  new LocalSource({ jobs: store.jobs, workerId, leaseSeconds: LEASE_SECONDS });

/** `listPending(PAGE)` POLLS times on each backend, SQLite and PostgreSQL polls alternating. */
async function benchPollPair(records: number): Promise<PollPair> {
  return withSqliteFile(records, async (file) => {
    const lite = sqliteStore(openDatabase(file), now);
    try {
      return await withPgSchema(records, async (url) => {
        const pgStore = await openPostgresStore(url, { now });
        try {
          const times = await alternatePolls(source(lite), source(pgStore), records);
          return { records, sqlite: stats(times.a), postgres: stats(times.b) };
        } finally {
          await pgStore.close();
        }
      });
    } finally {
      await lite.close();
    }
  });
}

async function alternatePolls(a: LocalSource, b: LocalSource, records: number): Promise<{ a: number[]; b: number[] }> {
  const times = { a: [] as number[], b: [] as number[] };
  const poll = async (s: LocalSource, into: number[]): Promise<void> => {
    const started = performance.now();
    const { total, records: page } = await s.listPending(PAGE);
    into.push(performance.now() - started);
    if (total !== records || page.length !== PAGE)
      throw new Error(`poll saw ${page.length} rows of ${total}, expected ${PAGE} of ${records}`);
  };
  // One untimed poll each: the first opens connections and prepares statements.
  await poll(a, []);
  await poll(b, []);
  for (let i = 0; i < POLLS; i += 1) {
    await poll(a, times.a);
    await poll(b, times.b);
  }
  return times;
}

const stats = (times: readonly number[]): { p50Ms: number; p99Ms: number } => ({ p50Ms: median(times), p99Ms: percentile(times, 99) });

/**
 * CLAIMERS stores on one database race for its CLAIM_JOBS pending jobs: each lists a page, claims
 * the first it can, and starts over until none is due. Answers claims per second; throws unless
 * every job was claimed exactly once.
 */
async function claimRace(open: () => Promise<Store>): Promise<number> {
  const stores: Store[] = [];
  try {
    for (let i = 0; i < CLAIMERS; i += 1) stores.push(await open());
    const started = performance.now();
    const won = await Promise.all(stores.map(async (store, i) => claimAll(source(store, `claimer-${i}`), `claimer-${i}`)));
    const seconds = (performance.now() - started) / 1000;
    const ids = won.flat();
    const counts = await stores[0]!.jobs.countByStatus();
    if (ids.length !== CLAIM_JOBS || new Set(ids).size !== CLAIM_JOBS || counts.processing !== CLAIM_JOBS || counts.pending !== 0)
      throw new Error(
        `claims: ${ids.length} claims of ${new Set(ids).size} distinct jobs, ${counts.processing} processing and ${counts.pending} pending; expected ${CLAIM_JOBS} each claimed once`,
      );
    return ids.length / seconds;
  } finally {
    for (const store of stores) await store.close();
  }
}

async function claimAll(s: LocalSource, workerId: string): Promise<string[]> {
  const claimed: string[] = [];
  for (;;) {
    const { records } = await s.listPending(PAGE);
    if (records.length === 0) return claimed;
    for (const record of records) {
      const row = await s.claim(record, workerId);
      if (row) {
        claimed.push(row.id);
        break;
      }
    }
  }
}

/** Store A creates a job; the time until store B's `onJobsQueued` listener runs (and until create() returned). */
async function wakeLatency(url: string): Promise<PostgresFigures['wake']> {
  const a = await openPostgresStore(url, { now });
  const b = await openPostgresStore(url, { now });
  let wake: (() => void) | null = null;
  const off = b.signals?.onJobsQueued(() => wake?.());
  if (!off) throw new Error('the PostgreSQL store has no signals');
  try {
    const created: number[] = [];
    const woken: number[] = [];
    for (let i = 0; i < WAKE_SAMPLES; i += 1) {
      const signalled = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no notification within ${WAKE_TIMEOUT_MS} ms`)), WAKE_TIMEOUT_MS);
        wake = () => (clearTimeout(timer), resolve());
      });
      const started = performance.now();
      await a.jobs.create({ sourceUrl: `https://example.com/wake/${i}.mp4`, priority: 5, title: null });
      created.push(performance.now() - started);
      await signalled;
      woken.push(performance.now() - started);
      wake = null;
    }
    return { createP50Ms: median(created), ...stats(woken) };
  } finally {
    off();
    await a.close();
    await b.close();
  }
}

export function postgresTable(f: PostgresFigures | null): string[] {
  if (!f) return ['Skipped: TEST_POSTGRES_URL is not set.'];
  return [
    `PostgreSQL ${f.server} on ${process.env.TEST_POSTGRES_URL ? new URL(process.env.TEST_POSTGRES_URL).host : '?'}, SQLite in a temp file on local disk.`,
    '',
    `\`listPending(${PAGE})\` of the local source, ${POLLS} polls per size and backend (SQLite and PostgreSQL alternating):`,
    '',
    '| pending jobs | SQLite p50 | SQLite p99 | PostgreSQL p50 | PostgreSQL p99 |',
    '| ---: | ---: | ---: | ---: | ---: |',
    ...f.polls.map(
      (r) =>
        `| ${r.records} | ${fmt(r.sqlite.p50Ms, 3)} ms | ${fmt(r.sqlite.p99Ms, 3)} ms | ${fmt(r.postgres.p50Ms, 3)} ms | ${fmt(r.postgres.p99Ms, 3)} ms |`,
    ),
    '',
    `Claims: ${CLAIMERS} claimers (a store each) race for ${CLAIM_JOBS} pending jobs (list ${PAGE}, claim the first free one, repeat), median of ${RUNS} alternated run(s); every job claimed exactly once:`,
    '',
    '| | claims/s |',
    '| --- | ---: |',
    `| SQLite (3 connections, one file, one process: calls interleave) | ${fmt(f.claims.sqlite, 0)} |`,
    `| PostgreSQL (3 pools, one schema) | ${fmt(f.claims.postgres, 0)} |`,
    '',
    `Wake-up (PostgreSQL only): store A creates a job, store B's \`onJobsQueued\` listener runs (LISTEN/NOTIFY), ${WAKE_SAMPLES} samples:`,
    '',
    '| create() returned, p50 | B woken, p50 | B woken, p99 |',
    '| ---: | ---: | ---: |',
    `| ${fmt(f.wake.createP50Ms, 3)} ms | ${fmt(f.wake.p50Ms, 3)} ms | ${fmt(f.wake.p99Ms, 3)} ms |`,
  ];
}
