import type { AxiosRequestConfig } from 'axios';
import { AppError, isAppError } from '../errors.js';
import { isJobStatus, isValidRecordId, type JobStatus } from '../domain/record.js';
import type { RequeueOptions, RequeueResult } from '../domain/requeue.js';
import { emptyCounts, type JobChanges, type JobPage, type JobQuery, type RecordRef, type SourceJob } from '../domain/source-job.js';
import { CANCEL_FROM, changeValues, CLEARED_OUTPUTS, RETRY_FROM, REQUEUE_FROM } from './operation-values.js';
import type { FieldValues } from './record-values.js';
import { requeueByRefs } from './requeue-refs.js';
import { errorCodeOf, PLUGIN_NAMESPACE, type WordpressAnswer, type WordpressResponse } from './wordpress-client.js';
import { MEDIA_FIELDS, toJob, toMeta, type MediaItem } from './wordpress-fields.js';

/** What the operator's side needs of the source's connection. */
export interface WordpressTransport {
  /** One REST call; throws a retryable `cms_error` when the site cannot be reached, never on an HTTP status. */
  request(config: AxiosRequestConfig, doing: string): Promise<WordpressResponse>;
  /** The `cms_error` for an answer that cannot be used (a refused password is logged once). */
  refused(answer: WordpressAnswer, doing: string): AppError;
}

/** Core REST's page size limit. */
const MAX_PER_PAGE = 100;
/** The plugin's page size limit of /refs. */
const REFS_PER_PAGE = 1000;

/** The plugin's compare-and-set transitions (POST video-compressor/v1/jobs/<id>/<action>), with the statuses each starts from. */
const TRANSITIONS = {
  retry: { doing: 'retrying', done: 'retried', from: RETRY_FROM },
  cancel: { doing: 'cancelling', done: 'cancelled', from: CANCEL_FROM },
  requeue: { doing: 'requeueing', done: 'requeued', from: REQUEUE_FROM },
} as const;
type Transition = keyof typeof TRANSITIONS;

/**
 * The operator's side of the WordPress source. Retry, cancel and requeue are the plugin's
 * compare-and-set routes (one UPDATE of vcmp_status, the other meta in the same transaction), so a
 * worker's claim and an operator's action never half-overwrite each other. Priority, ladder and
 * cleared outputs are meta writes through core REST after reading the video: a race there only
 * costs a stale value, never a lost claim.
 */
export class WordpressOperations {
  constructor(private readonly wp: WordpressTransport) {}

  async listJobs(query: JobQuery): Promise<JobPage> {
    const [counts, page] = await Promise.all([this.counts(), this.listTracked(query)]);
    return { counts, ...page };
  }

  async getJob(id: string): Promise<SourceJob | null> {
    if (!isWordpressId(id)) return null;
    const doing = `reading video ${id}`;
    const answer = await this.wp.request(
      { method: 'GET', url: `wp/v2/media/${id}`, params: { context: 'edit', _fields: MEDIA_FIELDS } },
      doing,
    );
    if (answer.status === 404 && errorCodeOf(answer.data) === 'rest_post_invalid_id') return null;
    if (answer.status !== 200) throw this.wp.refused(answer, doing);
    return toJob(answer.data as MediaItem);
  }

  retry(id: string): Promise<SourceJob> {
    return this.transition(id, 'retry', {});
  }

  cancel(id: string): Promise<SourceJob> {
    return this.transition(id, 'cancel', {});
  }

  async update(id: string, changes: JobChanges): Promise<SourceJob> {
    const job = await this.existing(id);
    const values = changeValues(changes);
    return Object.keys(values).length === 0 ? job : this.writeMeta(id, values, `changing video ${id}`);
  }

  async clearOutputs(id: string): Promise<SourceJob> {
    const job = await this.existing(id);
    if (job.status === 'processing') throw conflict(id, job.status, 'a video being processed keeps its outputs');
    return this.writeMeta(id, CLEARED_OUTPUTS, `clearing the outputs of video ${id}`);
  }

  /** Every tracked video, paged by the last id seen (a deletion meanwhile never hides a live video). */
  async listRefs(): Promise<RecordRef[]> {
    const refs: RecordRef[] = [];
    for (let after = 0; ;) {
      const doing = 'listing the tracked videos';
      const answer = await this.wp.request(
        { method: 'GET', url: `${PLUGIN_NAMESPACE}/refs`, params: { after, per_page: REFS_PER_PAGE } },
        doing,
      );
      if (answer.status !== 200 || !Array.isArray(answer.data)) throw this.wp.refused(answer, doing);
      const page = answer.data as { id: number; status: string; hls_url: string | null }[];
      for (const ref of page) {
        const refId = String(ref.id);
        if (isValidRecordId(refId) && isJobStatus(ref.status)) refs.push({ id: refId, status: ref.status, hlsUrl: ref.hls_url || null });
      }
      if (page.length < REFS_PER_PAGE) return refs;
      after = page[page.length - 1]!.id;
    }
  }

  /** Each record through the plugin's requeue, from the status it was listed with: a record changed since is left alone. */
  async requeue(options: RequeueOptions): Promise<RequeueResult> {
    return requeueByRefs(await this.listRefs(), options, async (ref) => {
      try {
        await this.transition(ref.id, 'requeue', { priority: options.priority, from: ref.status });
        return true;
      } catch (err) {
        if (isAppError(err, 'conflict') || isAppError(err, 'not_found')) return false;
        throw err;
      }
    });
  }

  private async counts(): Promise<Record<JobStatus, number>> {
    const doing = 'counting the videos by status';
    const answer = await this.wp.request({ method: 'GET', url: `${PLUGIN_NAMESPACE}/status` }, doing);
    if (answer.status !== 200) throw this.wp.refused(answer, doing);
    const counts = emptyCounts();
    const listed = (answer.data as { counts?: Record<string, unknown> } | null)?.counts ?? {};
    for (const [status, n] of Object.entries(listed)) if (isJobStatus(status) && typeof n === 'number') counts[status] = n;
    return counts;
  }

  /** The page the query asks for, in requests of at most core's page size (a merged listing may ask for thousands). */
  private async listTracked(query: JobQuery): Promise<{ total: number; jobs: SourceJob[] }> {
    const text = query.text?.trim();
    const filter = { vcmp_tracked: 1, ...(query.status ? { vcmp_status: query.status } : {}), ...(text ? { vcmp_search: text } : {}) };
    const jobs: SourceJob[] = [];
    let total = 0;
    for (let got = 0; got < query.limit;) {
      const want = Math.min(MAX_PER_PAGE, query.limit - got);
      const page = await this.mediaPage(filter, query.offset + got, want);
      if (got === 0) total = page.total;
      for (const item of page.items) {
        const job = toJob(item);
        if (job) jobs.push(job);
      }
      got += page.items.length;
      if (page.items.length < want) break;
    }
    // WordPress counts nothing when the page is past the end: ask for the total alone.
    if (jobs.length === 0 && query.offset > 0) total = (await this.mediaPage(filter, 0, 1)).total;
    return { total, jobs };
  }

  private async mediaPage(
    filter: Record<string, unknown>,
    offset: number,
    perPage: number,
  ): Promise<{ total: number; items: MediaItem[] }> {
    const doing = 'listing the tracked videos';
    const params = { ...filter, offset, per_page: perPage, context: 'edit', _fields: MEDIA_FIELDS };
    const answer = await this.wp.request({ method: 'GET', url: 'wp/v2/media', params }, doing);
    if (answer.status !== 200 || !Array.isArray(answer.data)) throw this.wp.refused(answer, doing);
    const total = Number(answer.headers['x-wp-total']);
    return { total: Number.isFinite(total) ? total : answer.data.length, items: answer.data as MediaItem[] };
  }

  /** POST video-compressor/v1/jobs/<id>/<action>: 404 `not_found`, 409 `conflict` with the video's status. */
  private async transition(id: string, action: Transition, data: Record<string, unknown>): Promise<SourceJob> {
    const { doing: verb, done, from } = TRANSITIONS[action];
    const doing = `${verb} video ${id}`;
    if (!isWordpressId(id)) throw notFound(id);
    const answer = await this.wp.request(
      { method: 'POST', url: `${PLUGIN_NAMESPACE}/jobs/${id}/${action}`, params: { _fields: MEDIA_FIELDS }, data },
      doing,
    );
    const code = errorCodeOf(answer.data);
    if (answer.status === 404 && code === 'vcmp_not_found') throw notFound(id);
    if (answer.status === 409 && code === 'vcmp_conflict')
      throw conflict(id, conflictStatus(answer.data), `only a video that is ${from.join(' or ')} can be ${done}`);
    if (answer.status !== 200) throw this.wp.refused(answer, doing);
    return this.jobOf(answer, doing);
  }

  /** The tracked video, or `not_found`. */
  private async existing(id: string): Promise<SourceJob> {
    const job = await this.getJob(id);
    if (!job) throw notFound(id);
    return job;
  }

  private async writeMeta(id: string, values: FieldValues, doing: string): Promise<SourceJob> {
    const answer = await this.wp.request(
      { method: 'POST', url: `wp/v2/media/${id}`, params: { _fields: MEDIA_FIELDS }, data: { meta: toMeta(values) } },
      doing,
    );
    // Deleted between the read and the write.
    if (answer.status === 404 && errorCodeOf(answer.data) === 'rest_post_invalid_id') throw notFound(id);
    if (answer.status !== 200) throw this.wp.refused(answer, doing);
    return this.jobOf(answer, doing);
  }

  private jobOf(answer: WordpressResponse, doing: string): SourceJob {
    const job = toJob(answer.data as MediaItem);
    if (!job) throw new AppError('cms_error', `WordPress answered no tracked video while ${doing}`, { context: { status: answer.status } });
    return job;
  }
}

/** Attachment ids are positive integers; anything else names no video (and must not reach a URL). */
function isWordpressId(id: string): boolean {
  return isValidRecordId(id) && /^[1-9]\d{0,18}$/.test(id);
}

function notFound(id: string): AppError {
  return new AppError('not_found', `no video ${id} tracked by WordPress`, { context: { id } });
}

function conflict(id: string, status: string, rule: string): AppError {
  return new AppError('conflict', `${rule}; video ${id} is ${status}`, { context: { id, status } });
}

/** The status the plugin's 409 names (`data.vcmp_status`). */
function conflictStatus(data: unknown): string {
  const status = (data as { data?: { vcmp_status?: unknown } } | null)?.data?.vcmp_status;
  return typeof status === 'string' && status !== '' ? status : 'unknown';
}
