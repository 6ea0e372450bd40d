import type { JobStatus, SourceKind } from './record.js';
import { recordFieldsToJson, type RecordFieldValues } from './record-fields.js';

/**
 * A record as an operator sees it (the API, the dashboard, the CLI): every field of the field
 * table, whatever the source, plus who holds it and when it was made.
 */
export type SourceJob = RecordFieldValues & {
  readonly source: SourceKind;
  readonly id: string;
  /** ISO-8601. */
  readonly createdAt: string;
  /** ISO-8601. */
  readonly updatedAt: string;
};

/** A page of one source's records, newest first. */
export interface JobQuery {
  readonly status?: JobStatus;
  /** Matches a record id exactly, or a title by substring, case-insensitively. */
  readonly text?: string;
  readonly limit: number;
  readonly offset: number;
}

export interface JobPage {
  /** Records matching the query (not only this page). */
  readonly total: number;
  /** Every record of the source by status, whatever the query (the filter tabs' counts). */
  readonly counts: Readonly<Record<JobStatus, number>>;
  readonly jobs: readonly SourceJob[];
}

/** What `PATCH /api/jobs/<key>` may change. */
export interface JobChanges {
  /** 1 urgent … 10 low. */
  readonly priority?: number;
  /** Rung names of LADDER, already validated; empty = the whole ladder. */
  readonly ladder?: readonly string[];
  /** The poster the operator picked (a file of the job's own ladder, already checked). */
  readonly posterUrl?: string;
}

/** What clean-up needs of a record: does it exist, is it busy, which ladder does it point at. */
export interface RecordRef {
  readonly id: string;
  readonly status: JobStatus;
  readonly hlsUrl: string | null;
}

export function emptyCounts(): Record<JobStatus, number> {
  return { pending: 0, processing: 0, completed: 0, failed: 0, cancelled: 0 };
}

/** A job as the API, the callbacks and the dashboard's JSON show it: its key, every field in snake_case, its dates. */
export function sourceJobToJson(job: SourceJob): Record<string, unknown> {
  return {
    key: `${job.source}-${job.id}`,
    id: job.id,
    source: job.source,
    ...recordFieldsToJson(job),
    created_at: job.createdAt,
    updated_at: job.updatedAt,
  };
}
