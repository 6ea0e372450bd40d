/** Which finished records `requeue` sends back to pending: `all` = failed and completed (never cancelled). */
export const REQUEUE_SCOPES = ['failed', 'completed', 'all'] as const;
export type RequeueScope = (typeof REQUEUE_SCOPES)[number];

/** Options of a requeue (disaster recovery), whatever the source. */
export interface RequeueOptions {
  readonly scope: RequeueScope;
  /** Priority the records get (1 urgent … 10 low). */
  readonly priority: number;
  /** Records changed per transaction (or CMS request), so a running daemon is never blocked for long. */
  readonly batchSize: number;
  /** Count only; change nothing. */
  readonly dryRun: boolean;
  /** Only these record ids (e.g. those whose ladder is missing); every matching record when absent. */
  readonly ids?: ReadonlySet<string>;
  /** Called after each batch with the running total (progress for large stores). */
  readonly onBatch?: (requeued: number) => void;
}

/** What a requeue found and did. */
export interface RequeueResult {
  /** Matching records by status before the run. */
  readonly matched: { readonly failed: number; readonly completed: number };
  /** Records now pending again (0 on a dry run). */
  readonly requeued: number;
  readonly batches: number;
  /** Records being processed right now: never touched. */
  readonly processing: number;
}
