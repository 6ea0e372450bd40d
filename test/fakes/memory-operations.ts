import { AppError } from '../../src/errors.js';
import { JOB_STATUSES, type JobStatus } from '../../src/domain/record.js';
import { camelName } from '../../src/domain/record-fields.js';
import {
  CANCEL_FROM,
  CLEARED_OUTPUTS,
  RETRY_FROM,
  cancelValues,
  changeValues,
  requeueValues,
  retryValues,
} from '../../src/sources/operation-values.js';
import type { FieldValues } from '../../src/sources/record-values.js';
import type { RequeueOptions, RequeueResult } from '../../src/domain/requeue.js';
import { emptyCounts, type JobChanges, type JobPage, type JobQuery, type RecordRef, type SourceJob } from '../../src/domain/source-job.js';
import { requeueByRefs } from '../../src/sources/requeue-refs.js';
import type { MemoryRecord } from './memory-source.js';

/** What the operator's side of MemorySource needs of its records. */
export interface MemoryStore {
  all(): MemoryRecord[];
  find(id: string): MemoryRecord | undefined;
  change(current: MemoryRecord, changes: Partial<MemoryRecord>): MemoryRecord;
}

/** The CMS sources' field values of an action (src/sources/operation-values.ts), as the memory record's properties. */
function asRecord(values: FieldValues): Partial<MemoryRecord> {
  return Object.fromEntries(Object.entries(values).map(([field, value]) => [camelName(field), value]));
}

/** The operator's side of the CmsSource contract over the memory "CMS" (test/contract/operations-contract.ts). */
export class MemoryOperations {
  constructor(private readonly store: MemoryStore) {}

  listJobs(query: JobQuery): JobPage {
    const all = this.store.all().sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
    const text = query.text?.trim().toLowerCase();
    const matches = all.filter(
      (r) =>
        (query.status === undefined || r.status === query.status) &&
        (!text || r.id.toLowerCase() === text || (r.title ?? '').toLowerCase().includes(text)),
    );
    const counts = emptyCounts();
    for (const r of all) counts[r.status] += 1;
    return { total: matches.length, counts, jobs: matches.slice(query.offset, query.offset + query.limit).map((r) => ({ ...r })) };
  }

  getJob(id: string): SourceJob | null {
    const record = this.store.find(id);
    return record ? { ...record } : null;
  }

  retry(id: string): SourceJob {
    return this.transition(id, RETRY_FROM, asRecord(retryValues()));
  }

  cancel(id: string): SourceJob {
    return this.transition(id, CANCEL_FROM, asRecord(cancelValues()));
  }

  update(id: string, changes: JobChanges): SourceJob {
    return this.transition(id, JOB_STATUSES, asRecord(changeValues(changes)));
  }

  clearOutputs(id: string): SourceJob {
    return this.transition(
      id,
      JOB_STATUSES.filter((status) => status !== 'processing'),
      asRecord(CLEARED_OUTPUTS),
    );
  }

  listRefs(): RecordRef[] {
    return this.store.all().map((r) => ({ id: r.id, status: r.status, hlsUrl: r.hlsUrl }));
  }

  requeue(options: RequeueOptions): Promise<RequeueResult> {
    return requeueByRefs(this.listRefs(), options, async (ref) => {
      const current = this.store.find(ref.id);
      if (current?.status !== ref.status) return false;
      this.store.change(current, asRecord(requeueValues(options.priority)));
      return true;
    });
  }

  private transition(id: string, from: readonly JobStatus[], changes: Partial<MemoryRecord>): SourceJob {
    const current = this.store.find(id);
    if (!current) throw new AppError('not_found', `no record ${id}`);
    if (!from.includes(current.status)) throw new AppError('conflict', `record ${id} is ${current.status}`);
    return { ...this.store.change(current, changes) };
  }
}
