import type { AxiosInstance, AxiosRequestConfig } from 'axios';
import type { WordpressConfig } from '../config/config.js';
import { AppError, isAppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { claimValues, completeValues, failValues, heartbeatValues, releaseValues, type FieldValues } from './record-values.js';
import type { CmsSource, SourceHealth } from './cms-source.js';
import type { Failure, Progress, VideoRecord } from '../domain/record.js';
import type { PublishResult } from '../domain/rendition.js';
import type { RequeueOptions, RequeueResult } from '../domain/requeue.js';
import type { JobChanges, JobPage, JobQuery, RecordRef, SourceJob } from '../domain/source-job.js';
import {
  answerError,
  createWordpressHttp,
  errorCodeOf,
  PLUGIN_NAMESPACE,
  transportError,
  type WordpressAnswer,
  type WordpressResponse,
} from './wordpress-client.js';
import { MEDIA_FIELDS, metaValue, toMeta, toRecord, type MediaItem } from './wordpress-fields.js';
import { WordpressOperations } from './wordpress-operations.js';

/** Construction options of {@link WordpressSource}. */
export interface WordpressSourceOptions {
  readonly config: WordpressConfig;
  /** This daemon's worker id: the owner checked before every write after a claim. */
  readonly workerId: string;
  /** A processing video whose heartbeat is older than this may be reclaimed (sent to the plugin's claim). */
  readonly leaseSeconds: number;
  readonly log: Logger;
  readonly now?: () => Date;
}

/** The REST API's page size limit. */
const MAX_PER_PAGE = 100;

/**
 * Video attachments of a WordPress site with the companion plugin. The plugin marks uploads
 * pending, lists them by status and offers the atomic claim (one compare-and-set UPDATE, 409 for
 * every other worker); later writes are meta updates through core REST after re-reading that the
 * video is still ours (WordPress has no conditional write; a reclaim needs a whole lease to pass).
 */
export class WordpressSource implements CmsSource {
  readonly kind = 'wordpress' as const;
  private readonly config: WordpressConfig;
  private readonly workerId: string;
  private readonly leaseSeconds: number;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly http: AxiosInstance;
  /** The operator's side (wordpress-operations.ts), over this source's requests. */
  private readonly ops: WordpressOperations;
  /** A refused password is logged once until a request succeeds again, not on every poll. */
  private authReported = false;

  constructor({ config, workerId, leaseSeconds, log, now = () => new Date() }: WordpressSourceOptions) {
    this.config = config;
    this.workerId = workerId;
    this.leaseSeconds = leaseSeconds;
    this.log = log;
    this.now = now;
    this.http = createWordpressHttp(config, { log });
    this.ops = new WordpressOperations({
      request: (request, doing) => this.request(request, doing),
      refused: (answer, doing) => this.refused(answer, doing),
    });
  }

  /** Pending videos that are due and processing ones whose lease expired, merged, priority then age. */
  async listPending(limit: number): Promise<{ total: number; records: VideoRecord[] }> {
    const now = this.now();
    const staleBefore = new Date(now.getTime() - this.leaseSeconds * 1000).toISOString();
    const [pending, stale] = await Promise.all([
      this.listMedia({ vcmp_status: 'pending', vcmp_due_before: now.toISOString() }, limit),
      this.listMedia({ vcmp_status: 'processing', vcmp_heartbeat_before: staleBefore }, limit),
    ]);
    const records: VideoRecord[] = [];
    for (const item of [...pending.items, ...stale.items]) {
      const record = toRecord(item);
      if (record) records.push(record);
    }
    records.sort((a, b) => a.priority - b.priority || a.createdAt.localeCompare(b.createdAt));
    return { total: pending.total + stale.total, records: records.slice(0, limit) };
  }

  async claim(record: VideoRecord, workerId: string): Promise<VideoRecord | null> {
    const answer = await this.request(
      {
        method: 'POST',
        url: `${PLUGIN_NAMESPACE}/claim/${record.id}`,
        // Due by this daemon's clock, as in its listing: the plugin refuses a video not due yet.
        data: { worker: workerId, lease: this.leaseSeconds, due_before: this.now().toISOString() },
      },
      `claiming video ${record.id}`,
    );
    // 409: another worker won; 404 vcmp_not_found: deleted (or no longer a video) since the poll.
    if (answer.status === 409 || (answer.status === 404 && errorCodeOf(answer.data) === 'vcmp_not_found')) return null;
    if (answer.status !== 200) throw this.refused(answer, `claiming video ${record.id}`);
    const nowIso = this.now().toISOString();
    const values = claimValues(record, workerId, nowIso);
    // The plugin set status, owner and lease; a reclaim also records the lost attempt.
    if (record.status === 'processing' && !(await this.reclaimRecorded(record.id, values))) return null;
    return {
      ...record,
      status: 'processing',
      claimedBy: workerId,
      heartbeatAt: nowIso,
      retryCount: (values.retry_count as number | undefined) ?? record.retryCount,
    };
  }

  /**
   * The claim is one atomic write, so no second worker can hold it; this read stops a job whose
   * video was deleted or cancelled during the encode before its ladder is published.
   */
  async confirmClaim(id: string): Promise<void> {
    await this.owned(id, 'confirming the claim');
  }

  async heartbeat(id: string, progress: Progress): Promise<void> {
    await this.ownedWrite(id, 'heart-beating', () => heartbeatValues(progress, this.now().toISOString()));
  }

  /**
   * WordPress stores a meta update one key at a time, in the plugin's registration order (status
   * before the URLs): a reader in between would see `completed` without a ladder. So the outputs
   * go first, the status after them, each write checking the video is still ours.
   */
  async complete(id: string, result: PublishResult): Promise<void> {
    const { status, ...outputs } = completeValues(result);
    await this.ownedWrite(id, 'writing the result back', () => outputs);
    await this.ownedWrite(id, 'marking the video completed', () => ({ status }));
  }

  async fail(id: string, failure: Failure): Promise<void> {
    await this.ownedWrite(id, 'writing the failure back', () => failValues(failure));
  }

  async release(id: string): Promise<void> {
    await this.ownedWrite(id, 'releasing the video', () => releaseValues(this.now().toISOString()));
  }

  async health(): Promise<SourceHealth> {
    try {
      const answer = await this.request({ method: 'GET', url: `${PLUGIN_NAMESPACE}/status` }, 'checking the connection');
      if (answer.status !== 200) throw this.refused(answer, 'checking the connection');
      return { kind: this.kind, connected: true };
    } catch (err) {
      return { kind: this.kind, connected: false, message: (err as Error).message };
    }
  }

  listJobs(query: JobQuery): Promise<JobPage> {
    return this.ops.listJobs(query);
  }

  getJob(id: string): Promise<SourceJob | null> {
    return this.ops.getJob(id);
  }

  retry(id: string): Promise<SourceJob> {
    return this.ops.retry(id);
  }

  cancel(id: string): Promise<SourceJob> {
    return this.ops.cancel(id);
  }

  update(id: string, changes: JobChanges): Promise<SourceJob> {
    return this.ops.update(id, changes);
  }

  clearOutputs(id: string): Promise<SourceJob> {
    return this.ops.clearOutputs(id);
  }

  listRefs(): Promise<RecordRef[]> {
    return this.ops.listRefs();
  }

  requeue(options: RequeueOptions): Promise<RequeueResult> {
    return this.ops.requeue(options);
  }

  private async listMedia(filter: Record<string, string>, limit: number): Promise<{ total: number; items: MediaItem[] }> {
    const params = {
      ...filter,
      media_type: 'video',
      per_page: Math.min(Math.max(limit, 1), MAX_PER_PAGE),
      context: 'edit',
      _fields: MEDIA_FIELDS,
    };
    const answer = await this.request({ method: 'GET', url: 'wp/v2/media', params }, `listing ${filter.vcmp_status} videos`);
    if (answer.status !== 200 || !Array.isArray(answer.data)) throw this.refused(answer, `listing ${filter.vcmp_status} videos`);
    const total = Number(answer.headers['x-wp-total'] ?? answer.data.length);
    return { total: Number.isFinite(total) ? total : answer.data.length, items: answer.data as MediaItem[] };
  }

  /** Re-reads the video, checks it is still ours, then writes (the contract of heartbeat and the write-backs). */
  private async ownedWrite(id: string, doing: string, values: () => FieldValues): Promise<void> {
    await this.owned(id, doing);
    await this.writeMeta(id, values(), `${doing} (video ${id})`);
  }

  /** Throws `cancelled` for a video cancelled or deleted, `lease_expired` for one another worker holds now. */
  private async owned(id: string, doing: string): Promise<void> {
    const answer = await this.request(
      { method: 'GET', url: `wp/v2/media/${id}`, params: { context: 'edit', _fields: MEDIA_FIELDS } },
      `${doing} (video ${id})`,
    );
    if (isDeleted(answer)) throw deleted(id);
    if (answer.status !== 200) throw this.refused(answer, `${doing} (video ${id})`);
    const item = answer.data as MediaItem;
    const status = metaValue(item, 'status');
    const owner = metaValue(item, 'claimed_by');
    if (status === 'cancelled') throw new AppError('cancelled', `video ${id} was cancelled`);
    if (status !== 'processing' || owner !== this.workerId) {
      throw new AppError(
        'lease_expired',
        `video ${id} is no longer held by ${this.workerId} (now ${String(status)}, claimed by ${typeof owner === 'string' ? owner : 'nobody'})`,
        {
          context: { id, workerId: this.workerId },
        },
      );
    }
  }

  private async writeMeta(id: string, values: FieldValues, doing: string): Promise<void> {
    const answer = await this.request({ method: 'POST', url: `wp/v2/media/${id}`, data: { meta: toMeta(values) } }, doing);
    // Deleted between the read and the write.
    if (isDeleted(answer)) throw deleted(id);
    if (answer.status !== 200) throw this.refused(answer, doing);
  }

  /** Records a reclaim's lost attempt; false when the video was deleted since the claim (nothing to process). */
  private async reclaimRecorded(id: string, values: FieldValues): Promise<boolean> {
    try {
      await this.writeMeta(id, values, `recording the reclaim of video ${id}`);
      return true;
    } catch (err) {
      if (isAppError(err, 'cancelled')) return false;
      throw err;
    }
  }

  private async request(config: AxiosRequestConfig, doing: string): Promise<WordpressResponse> {
    let res;
    try {
      res = await this.http.request<unknown>(config);
    } catch (err) {
      throw transportError(err, doing, this.config.url);
    }
    if (res.status >= 200 && res.status < 300) this.authReported = false;
    return { status: res.status, data: res.data, headers: res.headers };
  }

  /** The `cms_error` for an unusable answer; a refused password is logged once (with the HTTPS rule) until a request succeeds again. */
  private refused(answer: WordpressAnswer, doing: string): AppError {
    const error = answerError(answer, doing, this.config);
    if (answer.status === 401 && !this.authReported) {
      this.authReported = true;
      this.log.error({ status: answer.status, site: this.config.url, user: this.config.user }, error.message);
    }
    return error;
  }
}

/** Core's answer for an attachment that does not exist (any more). */
function isDeleted(answer: WordpressAnswer): boolean {
  return answer.status === 404 && errorCodeOf(answer.data) === 'rest_post_invalid_id';
}

/**
 * A video deleted in WordPress ends its job as cancelled, like an operator's cancel: FFmpeg stops,
 * nothing is published and nothing is written back (there is no record left to write to).
 */
function deleted(id: string): AppError {
  return new AppError('cancelled', `video ${id} was deleted in WordPress`, { context: { id, deleted: true } });
}
