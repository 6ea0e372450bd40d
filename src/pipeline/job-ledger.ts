import type { SourceKind } from '../sources/cms-source.js';

/** What the pipeline records about each attempt; implemented by store/ledger.ts. */
export interface LedgerEntry {
  readonly key: string;
  readonly source: SourceKind;
  readonly recordId: string;
  readonly title: string | null;
  readonly workerId: string;
}

export interface LedgerOutcome {
  readonly status: 'completed' | 'failed' | 'retrying' | 'released' | 'cancelled';
  readonly processingMs?: number;
  readonly sourceBytes?: number;
  readonly outputBytes?: number;
  readonly duration?: number;
  readonly errorCode?: string;
  readonly error?: string;
  readonly logTail?: readonly string[];
}

export interface JobLedger {
  /** Opens an attempt (status "processing"); returns its id. */
  start(entry: LedgerEntry): number;
  finish(id: number, outcome: LedgerOutcome): void;
}
