import type { AlertRepository } from './alert-repository.js';
import type { CallbackRepository } from './callback-repository.js';
import type { JobRepository } from './job-repository.js';
import type { Ledger } from './ledger.js';
import type { OrphanRepository } from './orphan-repository.js';
import type { ReportQueries } from './report-queries.js';
import type { WorkerRegistry } from './worker-registry.js';

/**
 * The job store's contract, one for every backend: each table's repository with the public methods
 * of its embedded (SQLite) implementation, every one answering a Promise. The PostgreSQL
 * implementation (src/store/postgres/) is held to the same shapes by the type checker and to the
 * same behaviour by the store test suite, which runs against both.
 */
export type Promised<T> = {
  readonly [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/** The local source's `jobs` table: create, poll, exclusive claim, lease, operator edits. */
export type JobStore = Promised<JobRepository>;
/** One row per attempt of every job, from every source. */
export type LedgerStore = Promised<Ledger>;
export type AlertStore = Promised<AlertRepository>;
export type OrphanStore = Promised<OrphanRepository>;
export type CallbackStore = Promised<CallbackRepository>;
/** Read-only aggregates of the ledger (dashboard, alert rules, daily report). */
export type ReportStore = Promised<ReportQueries>;
/** The fleet: every daemon sharing the store and what it is doing. */
export type WorkerStore = Promised<WorkerRegistry>;

export const STORE_KINDS = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** News from other processes sharing the store. */
export interface StoreSignals {
  /** `listener` runs when a job of the local source became pending anywhere; returns the unsubscribe. */
  onJobsQueued(listener: () => void): () => void;
}

/** Every table of one store, opened and migrated. */
export interface Store {
  readonly kind: StoreKind;
  readonly jobs: JobStore;
  readonly ledger: LedgerStore;
  readonly alerts: AlertStore;
  readonly orphans: OrphanStore;
  readonly callbacks: CallbackStore;
  readonly reports: ReportStore;
  readonly workers: WorkerStore;
  /** PostgreSQL's notifications; null for SQLite (its processes, all on one host, find new jobs at their next poll). */
  readonly signals: StoreSignals | null;
  /** A cheap round trip; rejects when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Wraps a synchronous repository so that every public method answers a Promise. A throw becomes a
 * rejection, so callers handle both backends' failures the same way.
 */
export function promised<T extends object>(target: T): Promised<T> {
  const wrapped: Record<string, unknown> = {};
  let proto: object | null = Object.getPrototypeOf(target) as object | null;
  while (proto && proto !== Object.prototype) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const method = (target as Record<string, unknown>)[name];
      if (name === 'constructor' || name in wrapped || typeof method !== 'function') continue;
      wrapped[name] = async (...args: unknown[]): Promise<unknown> => (method as (...a: unknown[]) => unknown).apply(target, args);
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return wrapped as Promised<T>;
}
