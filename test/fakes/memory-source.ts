import { AppError } from '../../src/errors.js';
import type { CmsSource, SourceHealth } from '../../src/sources/cms-source.js';
import type { Failure, Progress, VideoRecord } from '../../src/domain/record.js';
import type { PublishResult } from '../../src/domain/rendition.js';

type Stored = VideoRecord & { progress?: Progress; result?: PublishResult; failure?: Failure };

/** An in-memory CmsSource for poller and pipeline tests; records every call. */
export class MemorySource implements CmsSource {
  readonly kind = 'local' as const;
  readonly records = new Map<string, Stored>();
  readonly calls: string[] = [];
  connected = true;
  /** Throw from listPending while set (outage). */
  failList: Error | null = null;
  /** Make complete/fail throw (CMS down during write-back). */
  failWrites: Error | null = null;

  add(id: string, fields: Partial<VideoRecord> = {}): VideoRecord {
    const now = new Date().toISOString();
    const record: Stored = {
      source: 'local',
      id,
      sourceUrl: `http://example.test/${id}.mp4`,
      status: 'pending',
      priority: 5,
      title: null,
      retryCount: 0,
      retryErrors: [],
      createdAt: now,
      updatedAt: now,
      nextAttemptAt: null,
      claimedBy: null,
      heartbeatAt: null,
      ...fields,
    };
    this.records.set(id, record);
    return record;
  }

  get(id: string): Stored {
    const record = this.records.get(id);
    if (!record) throw new Error(`no record ${id}`);
    return record;
  }

  async listPending(limit: number): Promise<{ total: number; records: VideoRecord[] }> {
    this.calls.push('listPending');
    if (this.failList) throw this.failList;
    const due = [...this.records.values()]
      .filter((r) => r.status === 'pending' && (r.nextAttemptAt === null || r.nextAttemptAt <= new Date().toISOString()))
      .sort((a, b) => a.priority - b.priority || a.createdAt.localeCompare(b.createdAt));
    return { total: due.length, records: due.slice(0, limit) };
  }

  async claim(record: VideoRecord, workerId: string): Promise<VideoRecord | null> {
    this.calls.push(`claim:${record.id}`);
    const current = this.get(record.id);
    if (current.status !== 'pending') return null;
    const claimed: Stored = { ...current, status: 'processing', claimedBy: workerId, heartbeatAt: new Date().toISOString() };
    this.records.set(record.id, claimed);
    return claimed;
  }

  async heartbeat(id: string, progress: Progress): Promise<void> {
    this.calls.push(`heartbeat:${id}:${progress.step}`);
    const current = this.get(id);
    if (current.status === 'cancelled') throw new AppError('cancelled', 'cancelled');
    if (current.status !== 'processing') throw new AppError('lease_expired', 'lost');
    this.records.set(id, { ...current, progress });
  }

  async complete(id: string, result: PublishResult): Promise<void> {
    this.calls.push(`complete:${id}`);
    if (this.failWrites) throw this.failWrites;
    this.records.set(id, { ...this.get(id), status: 'completed', result });
  }

  async fail(id: string, failure: Failure): Promise<void> {
    this.calls.push(`fail:${id}:${failure.errorCode}:${failure.status}`);
    if (this.failWrites) throw this.failWrites;
    this.records.set(id, {
      ...this.get(id),
      status: failure.status,
      failure,
      retryCount: failure.retryCount,
      retryErrors: failure.retryErrors,
      nextAttemptAt: failure.nextAttemptAt,
    });
  }

  async release(id: string): Promise<void> {
    this.calls.push(`release:${id}`);
    this.records.set(id, { ...this.get(id), status: 'pending', claimedBy: null });
  }

  async health(): Promise<SourceHealth> {
    return { kind: this.kind, connected: this.connected };
  }
}
