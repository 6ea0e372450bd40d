import { publishResultFor } from '../helpers/publish-result.js';
import assert from 'node:assert/strict';
import { isAppError, type ErrorCode } from '../../src/errors.js';
import type { CmsSource } from '../../src/sources/cms-source.js';
import type { Failure, VideoRecord } from '../../src/domain/record.js';
import type { RecordFieldValues } from '../../src/domain/record-fields.js';
import type { PublishResult } from '../../src/domain/rendition.js';

/** Time as the source sees it. */
export interface ContractClock {
  /** The instant the source stamps its writes with and compares leases and retry times against. */
  now(): Date;
  /** Lets `ms` of time pass for the source: leases age, retry times come due. */
  advance(ms: number): Promise<void>;
}

/** A clock the test drives by hand (sources whose time can be injected), from a fixed instant. */
export interface ManualClock extends ContractClock {
  /** Moves time on at once, e.g. between records so that their creation times order them. */
  tick(ms: number): void;
}

export function manualClock(start = '2024-05-01T12:00:00.000Z'): ManualClock {
  let at = Date.parse(start);
  return {
    now: () => new Date(at),
    tick: (ms) => {
      at += ms;
    },
    advance: async (ms) => {
      at += ms;
    },
  };
}

/** The worker ids of every contract run: the source under test, and a rival daemon on another host. */
export const WORKER_ID = 'host-a:1';
export const RIVAL_ID = 'host-b:2';

export interface NewRecord {
  readonly priority?: number;
  readonly title?: string;
}

/** A fresh, empty source and the means to act on its CMS from outside the daemon. */
export interface SourceUnderTest {
  /** The source, writing as `workerId`. */
  readonly source: CmsSource;
  readonly workerId: string;
  /** The same CMS as seen by another daemon, writing as `rivalId`. */
  readonly rival: CmsSource;
  readonly rivalId: string;
  /** The lease both sources were built with. */
  readonly leaseSeconds: number;
  readonly clock: ContractClock;
  /**
   * A new pending record, as the CMS's users create one. Each record is created after the
   * previous one (a distinct, later creation time), as a CMS stamps them.
   */
  createRecord(fields?: NewRecord): Promise<{ id: string; sourceUrl: string }>;
  /** Every field of the record as stored in the CMS, read behind the source's back. */
  readRecord(id: string): Promise<RecordFieldValues>;
  /** Cancels the record as the API or an editor does. */
  cancel(id: string): Promise<void>;
  /**
   * How close to a lease or retry boundary the contract looks (default 1 s). A real CMS whose
   * timestamps keep whole seconds and whose round trips take real time needs more room.
   */
  readonly marginMs?: number;
  /** The precision of the times the CMS stamps itself (default 1 ms; WordPress's plugin keeps whole seconds). */
  readonly stampPrecisionMs?: number;
  /** What the retry error left by a reclaimed lease says, in this source's wording (default: names the worker). */
  readonly reclaimError?: (lostWorker: string) => RegExp;
  cleanup(): Promise<void>;
}

export const HOUR = 3600_000;

/** The contract's steps over one source under test: listing, claiming, failing and checking as the tests need. */
export class ContractSteps {
  constructor(private readonly h: SourceUnderTest) {}

  leaseMs(): number {
    return this.h.leaseSeconds * 1000;
  }

  margin(): number {
    return this.h.marginMs ?? 1000;
  }

  iso(ms: number): string {
    return new Date(ms).toISOString();
  }

  now(): number {
    return this.h.clock.now().getTime();
  }

  /** Lists with `source` and returns the record `id` as listed; fails when it is not due. */
  async listed(id: string, source: CmsSource = this.h.source): Promise<VideoRecord> {
    const { records } = await source.listPending(50);
    const record = records.find((r) => r.id === id);
    assert.ok(record, `${id} is listed (listed: ${records.map((r) => r.id).join(', ')})`);
    return record;
  }

  /** Lists and claims `id` as the source's own worker (or the rival); the claim must win. */
  async claim(id: string, as: 'worker' | 'rival' = 'worker'): Promise<VideoRecord> {
    const [source, workerId] = as === 'worker' ? [this.h.source, this.h.workerId] : [this.h.rival, this.h.rivalId];
    const claimed = await source.claim(await this.listed(id, source), workerId);
    assert.ok(claimed, `${workerId} claims ${id}`);
    return claimed;
  }

  /** A failed attempt retried at `nextAttemptAt` (ms), as the retry policy decides one. */
  retryAt(nextAttemptAt: number, fields: Partial<Failure> = {}): Failure {
    return {
      status: 'pending',
      error: 'The source server answered 503 Service Unavailable — will retry',
      errorCode: 'source_server_error',
      retryCount: 1,
      retryErrors: [`${this.iso(this.now())} source_server_error: 503`],
      lastRetryAt: this.iso(this.now()),
      nextAttemptAt: this.iso(nextAttemptAt),
      ...fields,
    };
  }

  async rejectsWith(promise: Promise<unknown>, code: ErrorCode, what: string): Promise<void> {
    await assert.rejects(promise, (err: unknown) => {
      assert.ok(isAppError(err, code), `${what}: expected AppError ${code}, got ${String(err)}`);
      return true;
    });
  }

  /** `value` was stamped between t0 and t1, at the CMS's precision (exactly t0 when the clock stood still). */
  stampedBetween(value: string | null, t0: number, t1: number, what: string): void {
    assert.ok(value, `${what} is set`);
    const precision = this.h.stampPrecisionMs ?? 1;
    const at = Date.parse(value);
    assert.ok(at >= Math.floor(t0 / precision) * precision && at <= t1, `${what} ${value} is between ${this.iso(t0)} and ${this.iso(t1)}`);
  }
}

/** A result as the pipeline writes it back. */
export function publishResult(): PublishResult {
  return publishResultFor('contract-1', { rungs: ['low', 'high'] });
}
