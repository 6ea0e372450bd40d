import type { SourceKind } from './record.js';

/**
 * What the worker tells the rest of the daemon (alerts, metrics, dashboard). Emitting never throws
 * and never waits: a slow or failing consumer must not hold up the pipeline.
 */
export type DaemonEvent =
  | { readonly type: 'source_disconnected'; readonly source: SourceKind; readonly error: string }
  | { readonly type: 'source_reconnected'; readonly source: SourceKind }
  | { readonly type: 'job_started'; readonly key: string; readonly title: string | null }
  | {
      readonly type: 'job_completed';
      readonly key: string;
      readonly processingMs: number;
      /** Downloaded. */
      readonly sourceBytes: number;
      /** Published (the whole ladder and poster). */
      readonly outputBytes: number;
      /** Renditions produced. */
      readonly rungs: number;
    }
  | {
      readonly type: 'job_failed';
      readonly key: string;
      /** A code of the error catalog (src/errors.ts). */
      readonly code: string;
      readonly message: string;
      /** true when no retry follows. */
      readonly final: boolean;
    }
  /**
   * A job stopped by a cancel: emitted once, by the daemon whose worker stopped it (a running job)
   * or by the daemon that cancelled it (a queued one).
   */
  | { readonly type: 'job_cancelled'; readonly key: string }
  /** FFmpeg died without a media diagnosis, or a worker stopped with a job in flight. */
  | { readonly type: 'worker_crashed'; readonly key: string | null; readonly reason: string }
  | { readonly type: 'disk_full'; readonly key: string; readonly message: string }
  /** The hardware encoder failed on a job, which libx264 then redid: the job still completes. */
  | { readonly type: 'encoder_fallback'; readonly key: string; readonly encoder: string; readonly message: string };

export interface EventSink {
  emit(event: DaemonEvent): void;
}

/** For tests and one-shot commands. */
export const ignoreEvents: EventSink = { emit: () => undefined };

/** One sink that hands every event to each of `sinks`, in order. */
export function fanOut(...sinks: readonly EventSink[]): EventSink {
  return { emit: (event) => sinks.forEach((sink) => sink.emit(event)) };
}
