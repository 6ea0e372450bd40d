import pg from 'pg';
import type { StoreSignals } from '../store.js';

/** The channel a trigger on `jobs` notifies when a row becomes pending (migrations.ts). */
export const JOBS_QUEUED_CHANNEL = 'vcmp_jobs_queued';

/** Options of {@link PgSignals}. */
export interface PgSignalsOptions {
  readonly url: string;
  /** A lost connection, and each failed attempt to listen again (the URL is never part of it). */
  readonly onError: (err: Error) => void;
  /** Pauses between attempts to listen again: 1 s doubling to 30 s by default. */
  readonly retryDelaysMs?: readonly number[];
}

const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 16_000, 30_000];

/**
 * LISTEN on one connection of its own (a pooled one would be handed to other queries): every
 * notification of JOBS_QUEUED_CHANNEL is passed to the listeners, so a job submitted to any daemon
 * of the fleet is claimed at once instead of at the next scheduled poll. When the connection is
 * lost it listens again, with growing pauses, and then tells the listeners once: a notification
 * sent meanwhile is lost, the jobs it announced are not.
 */
export class PgSignals implements StoreSignals {
  private readonly listeners = new Set<() => void>();
  private client: pg.Client | null = null;
  private retry: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;

  constructor(private readonly o: PgSignalsOptions) {}

  /** Resolves once listening (or once the first attempt failed: it keeps trying in the background). */
  async start(): Promise<void> {
    await this.connect(false);
  }

  onJobsQueued(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(reconnecting: boolean): Promise<void> {
    const client = new pg.Client({ connectionString: this.o.url, keepAlive: true, connectionTimeoutMillis: 5000 });
    let schema: string | null = null;
    client.on('notification', (message) => {
      if (message.channel === JOBS_QUEUED_CHANNEL && message.payload === schema) this.tell();
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('the PostgreSQL connection closed')));
    try {
      await client.connect();
      // The schema the store's tables are in (search_path), which the trigger names in its payload.
      schema = String((await client.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]?.schema);
      await client.query(`LISTEN ${JOBS_QUEUED_CHANNEL}`);
    } catch (err) {
      this.lost(client, err as Error);
      return;
    }
    if (this.closed) return void (await client.end());
    this.client = client;
    this.failures = 0;
    if (reconnecting) this.tell();
  }

  private lost(client: pg.Client, err: Error): void {
    if (this.closed || this.retry !== null || (this.client !== null && this.client !== client)) return;
    this.client = null;
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    this.o.onError(err);
    const delays = this.o.retryDelaysMs ?? RETRY_DELAYS_MS;
    const delay = delays[Math.min(this.failures, delays.length - 1)] ?? 30_000;
    this.failures += 1;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.connect(true);
    }, delay);
    this.retry.unref();
  }

  private tell(): void {
    for (const listener of this.listeners) listener();
  }
}
