import { Query } from 'node-appwrite';
import { JOB_STATUSES, type JobStatus } from '../domain/record.js';
import type { RecordField } from '../domain/record-fields.js';
import type { RequeueOptions, RequeueResult } from '../domain/requeue.js';
import { emptyCounts, type JobChanges, type JobPage, type JobQuery, type RecordRef, type SourceJob } from '../domain/source-job.js';
import { AppError } from '../errors.js';
import { isNotFound } from './appwrite-client.js';
import type { AppwriteRow } from './appwrite-fields.js';
import type { AppwriteTable } from './appwrite-table.js';
import {
  CANCEL_FROM,
  CLEARED_OUTPUTS,
  REQUEUE_FROM,
  RETRY_FROM,
  cancelValues,
  changeValues,
  requeueValues,
  retryValues,
} from './operation-values.js';
import type { FieldValues } from './record-values.js';
import { requeueByRefs } from './requeue-refs.js';

/** Rows per listRefs request. A cursor (unlike an offset) costs the server the same however deep the page. */
export const REFS_PAGE_SIZE = 500;

/** Clearing a ladder's fields under a running worker would race its publish. */
const CLEAR_FROM: readonly JobStatus[] = JOB_STATUSES.filter((status) => status !== 'processing');

/** Each action as its conflict message says it, and as an error's "while …" does. */
const ACTIONS = { retry: 'retrying', cancel: 'cancelling', change: 'changing', 'clear the outputs of': 'clearing the outputs of' } as const;
type Action = keyof typeof ACTIONS;

/** A row the source tracks (it has a status), with that status. */
interface TrackedRow {
  readonly row: AppwriteRow;
  readonly status: JobStatus;
}

/**
 * The operator's side of the CmsSource contract over the Appwrite table. Every action reads the
 * row, checks its status allows the action, and writes conditioned on the `$updatedAt` read
 * (AppwriteTable.writeDecided): when a worker claims the row, or another operator acts, in
 * between, the write loses with 409 and the action is decided again on the fresh row, so a retry
 * of a row just claimed answers `conflict` and a cancel never writes over a claim it did not see.
 */
export class AppwriteOperations {
  constructor(private readonly table: AppwriteTable) {}

  /**
   * One page, newest first, and the count of every status: one listRows per status with total
   * (Appwrite has no grouped count). The text is an exact `$id` or a title substring
   * (Query.contains: the server's LIKE, case-insensitive under its text collation).
   */
  async listJobs(query: JobQuery): Promise<JobPage> {
    const column = (field: RecordField): string => this.table.fields.column(field);
    const filters = [query.status === undefined ? Query.isNotNull(column('status')) : Query.equal(column('status'), query.status)];
    const text = query.text?.trim();
    if (text) filters.push(Query.or([Query.equal('$id', text), Query.contains(column('title'), text)]));
    // Appwrite refuses a limit under 1; a zero-row page is cut below instead.
    const page = [...filters, Query.orderDesc('$createdAt'), Query.limit(Math.max(1, query.limit)), Query.offset(query.offset)];
    const [listed, totals] = await this.table.call('read', 'listing jobs', () =>
      Promise.all([this.table.listRows(page), Promise.all(JOB_STATUSES.map((status) => this.countOf(status)))]),
    );
    const counts = emptyCounts();
    JOB_STATUSES.forEach((status, i) => (counts[status] = totals[i] ?? 0));
    return { total: listed.total, counts, jobs: listed.rows.slice(0, query.limit).map((row) => this.table.fields.toJob(row)) };
  }

  async getJob(id: string): Promise<SourceJob | null> {
    const tracked = await this.readTracked(id, 'reading a job');
    return tracked === null ? null : this.table.fields.toJob(tracked.row);
  }

  retry(id: string): Promise<SourceJob> {
    return this.transition(id, RETRY_FROM, retryValues(), 'retry');
  }

  cancel(id: string): Promise<SourceJob> {
    return this.transition(id, CANCEL_FROM, cancelValues(), 'cancel');
  }

  async update(id: string, changes: JobChanges): Promise<SourceJob> {
    const values = changeValues(changes);
    if (Object.keys(values).length > 0) return this.transition(id, JOB_STATUSES, values, 'change');
    // Nothing to change, and Appwrite refuses an update without data (row_missing_payload).
    const job = await this.getJob(id);
    if (job === null) throw notFound(id);
    return job;
  }

  clearOutputs(id: string): Promise<SourceJob> {
    return this.transition(id, CLEAR_FROM, CLEARED_OUTPUTS, 'clear the outputs of');
  }

  /** Every tracked row, three columns each, a page at a time after the last row seen. */
  async listRefs(): Promise<RecordRef[]> {
    const { fields } = this.table;
    const base = [
      Query.isNotNull(fields.column('status')),
      Query.select(['$id', fields.column('status'), fields.column('hls_url')]),
      Query.limit(REFS_PAGE_SIZE),
    ];
    const refs: RecordRef[] = [];
    let after: string | null = null;
    for (;;) {
      const queries: string[] = after === null ? base : [...base, Query.cursorAfter(after)];
      // No total: counting every row on every page is work the server can skip.
      const { rows } = await this.table.call('read', 'listing every job', () => this.table.listRows(queries, false));
      for (const row of rows) {
        const ref = fields.toRef(row);
        if (ref) refs.push(ref);
      }
      const last = rows.at(-1);
      if (rows.length < REFS_PAGE_SIZE || last === undefined) return refs;
      after = last.$id;
    }
  }

  /** Row by row (Appwrite has no conditional batch update); a row that changed since the listing is left alone. */
  async requeue(options: RequeueOptions): Promise<RequeueResult> {
    return requeueByRefs(await this.listRefs(), options, async (ref) => {
      const written = await this.table.writeDecided(ref.id, 'requeueing', async () => {
        const tracked = await this.readTracked(ref.id, 'requeueing');
        if (tracked === null || tracked.status !== ref.status || !REQUEUE_FROM.includes(tracked.status)) return null;
        return { row: tracked.row, values: requeueValues(options.priority) };
      });
      return written !== null;
    });
  }

  /** `action` only if the row's status is one of `from`, decided again on every lost race. */
  private async transition(id: string, from: readonly JobStatus[], values: FieldValues, action: Action): Promise<SourceJob> {
    const doing = `${ACTIONS[action]} row ${id}`;
    const row = await this.table.writeDecided(id, doing, async () => {
      const tracked = await this.readTracked(id, doing);
      if (tracked === null) throw notFound(id);
      if (!from.includes(tracked.status)) {
        throw new AppError('conflict', `cannot ${action} row ${id}: it is ${tracked.status}`, { context: { id, status: tracked.status } });
      }
      return { row: tracked.row, values };
    });
    return this.table.fields.toJob(row);
  }

  /** The row, or null when there is none or the source does not track it (no status). */
  private async readTracked(id: string, doing: string): Promise<TrackedRow | null> {
    let row: AppwriteRow;
    try {
      row = await this.table.getRow(id);
    } catch (err) {
      if (isNotFound(err, 'row_not_found')) return null;
      throw this.table.report(err, 'read', doing);
    }
    this.table.succeeded('read');
    const status = this.table.fields.status(row);
    return status === null ? null : { row, status };
  }

  private async countOf(status: JobStatus): Promise<number> {
    const column = this.table.fields.column('status');
    // One row is the least a page may hold; only the total is read.
    const { total } = await this.table.listRows([Query.equal(column, status), Query.select(['$id']), Query.limit(1)]);
    return total;
  }
}

function notFound(id: string): AppError {
  return new AppError('not_found', `no Appwrite row ${id}`, { context: { id } });
}
