import type { Database } from './database.js';

/** One orphan mark: a ladder `gc` found without a record pointing at it, and since when. */
export interface OrphanMark {
  readonly key: string;
  /** ISO-8601. */
  readonly firstSeenAt: string;
}

/**
 * The `gc_orphans` table. A ladder is removed only once it has been an orphan for
 * ORPHAN_GRACE_DAYS, so the first sighting has to survive restarts and be shared by every daemon
 * (and the `gc` command) using the same state.db. Timestamps are passed in by the caller's clock.
 */
export class OrphanRepository {
  constructor(private readonly db: Database) {}

  /** Every mark, by key. */
  all(): Map<string, string> {
    const rows = this.db.prepare('SELECT job_key, first_seen_at FROM gc_orphans').all() as { job_key: string; first_seen_at: string }[];
    return new Map(rows.map((row) => [row.job_key, row.first_seen_at]));
  }

  /** Marks `key` as seen orphaned at `now`, unless it already is: the first sighting is kept. Returns the mark. */
  mark(key: string, now: Date): OrphanMark {
    this.db
      .prepare('INSERT INTO gc_orphans (job_key, first_seen_at) VALUES (?, ?) ON CONFLICT (job_key) DO NOTHING')
      .run(key, now.toISOString());
    const firstSeenAt = this.db.prepare('SELECT first_seen_at FROM gc_orphans WHERE job_key = ?').pluck().get(key) as string;
    return { key, firstSeenAt };
  }

  /** Forgets the mark of `key` (no longer an orphan, or removed); true when there was one. */
  clear(key: string): boolean {
    return this.db.prepare('DELETE FROM gc_orphans WHERE job_key = ?').run(key).changes === 1;
  }
}
