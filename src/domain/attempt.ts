import type { SourceKind } from './record.js';

/** An attempt at a job as it starts: what the ledger records for every source. */
export interface AttemptStart {
  readonly key: string;
  readonly source: SourceKind;
  readonly recordId: string;
  readonly title: string | null;
  readonly workerId: string;
  /** ISO-8601: when the job became due (created, or its retry time); queue wait = start − this. */
  readonly queuedAt?: string;
}

export const ATTEMPT_OUTCOMES = ['completed', 'failed', 'retrying', 'released', 'cancelled'] as const;

export interface AttemptOutcome {
  readonly status: (typeof ATTEMPT_OUTCOMES)[number];
  readonly processingMs?: number;
  readonly sourceBytes?: number;
  readonly outputBytes?: number;
  readonly duration?: number;
  readonly errorCode?: string;
  readonly error?: string;
  readonly logTail?: readonly string[];
  /** What was done to the source on its way into the ladder (media's Conversion names). */
  readonly conversions?: readonly string[];
}

/** Where the pipeline records attempts; implemented by the store's ledger. */
export interface JobLedger {
  /** Opens an attempt (status "processing"); returns its id. */
  start(entry: AttemptStart): Promise<number>;
  finish(id: number, outcome: AttemptOutcome): Promise<void>;
}
