import type { WorkerControl, WorkerSnapshot, WorkerState } from '../../src/domain/worker.js';

/** A WorkerControl test double: a settable snapshot, and a log of every call. */
export class FakeWorker implements WorkerControl {
  readonly calls: string[] = [];
  readonly aborted: { key: string; reason: 'cancelled' }[] = [];
  /** What abortJob answers ("this daemon was running it"). */
  abortResult = true;
  state: WorkerState = 'IDLE';
  sources: WorkerSnapshot['sources'] = [
    { kind: 'local', connected: true, pending: 0, lastPollAt: null, lastError: null, lastErrorCode: null },
  ];
  startedAt = new Date('2024-01-01T00:00:00.000Z').toISOString();
  active: WorkerSnapshot['active'] = [];

  snapshot(): WorkerSnapshot {
    return {
      state: this.state,
      workerId: 'test-host:1',
      startedAt: this.startedAt,
      lastTickAt: null,
      lastError: null,
      active: this.active,
      sources: this.sources,
    };
  }

  pollNow(): void {
    this.calls.push('pollNow');
  }

  pollSoon(): void {
    this.calls.push('pollSoon');
  }

  abortJob(key: string, reason: 'cancelled'): boolean {
    this.calls.push('abortJob');
    this.aborted.push({ key, reason });
    return this.abortResult;
  }

  count(call: string): number {
    return this.calls.filter((c) => c === call).length;
  }
}
