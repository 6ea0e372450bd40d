import type pg from 'pg';
import type { OrphanMark } from '../orphan-repository.js';
import type { OrphanStore } from '../store.js';
import { row, rows, run } from './pg-db.js';

/** The `gc_orphans` table on PostgreSQL, as src/store/orphan-repository.ts: the first sighting is kept. */
export class PgOrphanRepository implements OrphanStore {
  private readonly pool: pg.Pool;

  constructor({ pool }: { readonly pool: pg.Pool }) {
    this.pool = pool;
  }

  /** Every mark, by key. */
  async all(): Promise<Map<string, string>> {
    const marks = await rows(this.pool, 'SELECT job_key, first_seen_at FROM gc_orphans');
    return new Map(marks.map((r) => [String(r.job_key), String(r.first_seen_at)]));
  }

  /** Marks `key` as seen orphaned at `now`, unless it already is. Returns the mark. */
  async mark(key: string, now: Date): Promise<OrphanMark> {
    await run(
      this.pool,
      'INSERT INTO gc_orphans (job_key, first_seen_at) VALUES (@key, @now::timestamptz) ON CONFLICT (job_key) DO NOTHING',
      {
        key,
        now: now.toISOString(),
      },
    );
    const mark = await row(this.pool, 'SELECT first_seen_at FROM gc_orphans WHERE job_key = @key', { key });
    return { key, firstSeenAt: String(mark?.first_seen_at) };
  }

  /** Forgets the mark of `key`; true when there was one. */
  async clear(key: string): Promise<boolean> {
    return (await run(this.pool, 'DELETE FROM gc_orphans WHERE job_key = @key', { key })) === 1;
  }
}
