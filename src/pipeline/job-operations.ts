import { AppError, toAppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { EventSink } from '../domain/events.js';
import { jobKey, parseJobKey } from '../domain/job-key.js';
import type { JobStatus, SourceKind } from '../domain/record.js';
import { type JobChanges, type JobPage, type SourceJob } from '../domain/source-job.js';
import type { ActiveJob, WorkerControl } from '../domain/worker.js';
import type { CmsSource } from '../sources/cms-source.js';
import { LocalLadderTarget, type LadderTarget } from '../publish/ladder-target.js';

/** Construction options of {@link JobOperations}. */
export interface JobOperationsOptions {
  /** The configured sources (SOURCES). */
  readonly sources: readonly CmsSource[];
  readonly worker: WorkerControl;
  readonly events: EventSink;
  readonly hlsDir: string;
  /** Where the ladders are (PUBLISH_TARGET); storage/hls (`hlsDir`) by default. */
  readonly ladders?: LadderTarget;
  readonly log: Logger;
}

/** A page across sources, newest first. */
export interface JobListQuery {
  readonly source?: SourceKind;
  readonly status?: JobStatus;
  readonly text?: string;
  /** 1-based. */
  readonly page: number;
  readonly perPage: number;
}

export interface JobList {
  readonly jobs: readonly SourceJob[];
  /** Records matching the query, over the sources asked. */
  readonly total: number;
  /** Per source: its matching total and every record's count by status. */
  readonly sources: readonly { readonly source: SourceKind; readonly total: number; readonly counts: JobPage['counts'] }[];
  /** Sources that could not be listed (a CMS outage): the page shows the others. */
  readonly errors: readonly { readonly source: SourceKind; readonly code: string; readonly message: string }[];
}

/** A job and what this daemon knows of it right now. */
export interface JobDetail {
  readonly job: SourceJob;
  /** Set when this daemon is running the job: the live percent, step, rung and ETA. */
  readonly live: ActiveJob | null;
}

/** What DELETE did. */
export interface DeleteOutcome {
  readonly key: string;
  /** The record itself was deleted (local), or only its outputs' fields cleared (CMS), or it was already gone. */
  readonly record: 'deleted' | 'cleared' | 'absent';
  readonly ladderRemoved: boolean;
}

/**
 * What a CMS's notice that a record was deleted led to: nothing (the record is still there),
 * the job running here cancelled, its ladder removed, or nothing left to remove.
 */
export type DeletedRecordOutcome = 'present' | 'cancelled' | 'ladder_removed' | 'absent';

/** A merged page across sources can reach this deep at most (page × per_page). */
export const MAX_MERGED_DEPTH = 10_000;

/**
 * The operator's actions on any job of any source, addressed by key `<source>-<id>`: what the API,
 * the dashboard and the CLI share. The sources decide what each state allows; this adds the
 * cross-source listing, the running worker (abort on cancel, live progress) and the ladder files.
 */
export class JobOperations {
  private readonly sources: ReadonlyMap<SourceKind, CmsSource>;
  private readonly worker: WorkerControl;
  private readonly events: EventSink;
  private readonly ladders: LadderTarget;
  private readonly log: Logger;

  constructor({ sources, worker, events, hlsDir, ladders, log }: JobOperationsOptions) {
    this.sources = new Map(sources.map((s) => [s.kind, s]));
    this.worker = worker;
    this.events = events;
    this.ladders = ladders ?? new LocalLadderTarget(hlsDir);
    this.log = log;
  }

  /** The configured source kinds, in SOURCES order. */
  kinds(): SourceKind[] {
    return [...this.sources.keys()];
  }

  async list(query: JobListQuery): Promise<JobList> {
    if (query.source !== undefined && !this.sources.has(query.source))
      throw new AppError('invalid_request', `the ${query.source} source is not configured (SOURCES=${this.kinds().join(',')})`);
    const kinds = query.source === undefined ? this.kinds() : [query.source];
    const single = kinds.length === 1;
    const depth = query.page * query.perPage;
    if (!single && depth > MAX_MERGED_DEPTH)
      throw new AppError(
        'invalid_request',
        `page × per_page may not pass ${MAX_MERGED_DEPTH} across sources; filter by source to go deeper`,
      );
    const offset = (query.page - 1) * query.perPage;
    const pages = await Promise.allSettled(
      kinds.map((kind) =>
        this.source(kind).listJobs({
          status: query.status,
          text: textFor(kind, query.text),
          // One source pages itself; a merge needs every source's newest `depth` to cut the page.
          limit: single ? query.perPage : depth,
          offset: single ? offset : 0,
        }),
      ),
    );
    const listed: JobList['sources'][number][] = [];
    const errors: JobList['errors'][number][] = [];
    const jobs: SourceJob[] = [];
    pages.forEach((page, i) => {
      const source = kinds[i]!;
      if (page.status === 'fulfilled') {
        listed.push({ source, total: page.value.total, counts: page.value.counts });
        jobs.push(...page.value.jobs);
      } else {
        const error = toAppError(page.reason);
        errors.push({ source, code: error.code, message: error.message });
      }
    });
    jobs.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
    const total = listed.reduce((sum, s) => sum + s.total, 0);
    return { jobs: single ? jobs : jobs.slice(offset, offset + query.perPage), total, sources: listed, errors };
  }

  async get(key: string): Promise<JobDetail> {
    const { source, id } = this.address(key);
    const job = await source.getJob(id);
    if (!job) throw new AppError('not_found', `no job ${key}`);
    return { job, live: this.liveOf(job) };
  }

  async retry(key: string): Promise<SourceJob> {
    const { source, id } = this.address(key);
    const job = await source.retry(id);
    this.log.info({ job: key }, 'job retried by the operator');
    this.worker.pollSoon();
    return job;
  }

  /** Retries every failed record of one source (the dashboard's "retry all failed"); returns how many. */
  async retryAllFailed(kind: SourceKind): Promise<number> {
    const source = this.source(kind);
    const refs = (await source.listRefs()).filter((ref) => ref.status === 'failed');
    let retried = 0;
    for (const ref of refs) {
      try {
        await source.retry(ref.id);
        retried += 1;
      } catch (err) {
        // A record that changed since the listing (retried by someone else, deleted) is skipped.
        if (!(err instanceof AppError && (err.code === 'conflict' || err.code === 'not_found'))) throw err;
      }
    }
    this.log.info({ source: kind, retried, failed: refs.length }, 'failed jobs retried by the operator');
    if (retried > 0) this.worker.pollSoon();
    return retried;
  }

  async cancel(key: string): Promise<SourceJob> {
    const { source, id } = this.address(key);
    const job = await source.cancel(id);
    // A running job stops at once if this daemon runs it (its pipeline then reports the cancel),
    // otherwise at its worker's next heartbeat; a queued one ends here.
    const running = job.claimedBy !== null && this.worker.abortJob(key, 'cancelled');
    if (job.claimedBy === null) this.events.emit({ type: 'job_cancelled', key });
    this.log.info({ job: key, running, holder: job.claimedBy }, 'job cancelled by the operator');
    return job;
  }

  async update(key: string, changes: JobChanges): Promise<SourceJob> {
    const { source, id } = this.address(key);
    const job = await source.update(id, changes);
    if (changes.priority !== undefined && job.status === 'pending') this.worker.pollSoon();
    return job;
  }

  /**
   * Local: the record and its ladder. CMS: the ladder, and its URLs cleared in the record (the
   * record belongs to the CMS). A job being processed is refused (cancel it first). A key whose
   * record is gone still has its ladder removed (a local job trimmed by JOB_RETENTION_DAYS).
   */
  async delete(key: string): Promise<DeleteOutcome> {
    const { source, id } = this.address(key);
    const job = await source.getJob(id);
    if (job?.status === 'processing')
      throw new AppError('conflict', `job ${key} is being processed; cancel it first`, { context: { key } });
    let record: DeleteOutcome['record'] = 'absent';
    if (job && source.remove) {
      await source.remove(id);
      record = 'deleted';
    } else if (job) {
      await source.clearOutputs(id);
      record = 'cleared';
    }
    const ladderRemoved = (await this.ladders.unpublish(key, this.log.child({ job: key }))) !== null;
    if (record === 'absent' && !ladderRemoved) throw new AppError('not_found', `no job ${key}`);
    this.log.info({ job: key, record, ladderRemoved }, 'job deleted by the operator');
    return { key, record, ladderRemoved };
  }

  /**
   * A CMS says the record of `key` was deleted (WordPress's signed `attachment.deleted`). The
   * notice is not trusted: the record is read again, and nothing happens unless it is gone. A job
   * this daemon runs is cancelled as the operator's cancel does it (its heartbeat would learn of
   * the deletion anyway, a beat later): it stops, publishes nothing, writes nothing back. Its
   * ladder from an earlier attempt is then left to the ladder GC: removing it here would race the
   * job's own last steps. Otherwise the ladder is taken down at once.
   */
  async recordDeleted(key: string): Promise<DeletedRecordOutcome> {
    const { source, id } = this.address(key);
    const log = this.log.child({ job: key });
    if (await source.getJob(id)) {
      log.info('deletion notice for a record that still exists: ignored');
      return 'present';
    }
    if (this.worker.abortJob(key, 'cancelled')) {
      log.info('record deleted in its CMS: the running job was cancelled');
      return 'cancelled';
    }
    const removed = (await this.ladders.unpublish(key, log)) !== null;
    log.info({ ladderRemoved: removed }, 'record deleted in its CMS');
    return removed ? 'ladder_removed' : 'absent';
  }

  /** The source named by `key` (`<source>-<id>`, or a bare local id as the API always took). */
  private address(key: string): { source: CmsSource; id: string } {
    const parsed = parseJobKey(key);
    if (!parsed) throw new AppError('invalid_request', `"${key}" is not a job key (<source>-<id>)`);
    return { source: this.source(parsed.source), id: parsed.id };
  }

  private source(kind: SourceKind): CmsSource {
    const source = this.sources.get(kind);
    if (!source) throw new AppError('not_found', `the ${kind} source is not configured (SOURCES)`);
    return source;
  }

  private liveOf(job: SourceJob): ActiveJob | null {
    if (job.status !== 'processing') return null;
    return this.worker.snapshot().active.find((a) => a.key === jobKey(job)) ?? null;
  }
}

/** A search for a key (`appwrite-6650f…`) is, for that key's source, a search for its id. */
function textFor(kind: SourceKind, text: string | undefined): string | undefined {
  return text?.startsWith(`${kind}-`) ? text.slice(kind.length + 1) : text;
}
