import { toAppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { CmsSource } from '../sources/cms-source.js';
import { parseJobKey } from '../domain/job-key.js';
import type { SourceKind } from '../domain/record.js';
import type { RecordRef } from '../domain/source-job.js';
import { HLS_URL_PATH } from '../domain/storage-layout.js';
import { LocalLadderTarget, type LadderTarget } from '../publish/ladder-target.js';
import type { OrphanStore } from '../store/store.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** All gc needs of a source: its kind and every record it tracks. */
export type GcSource = Pick<CmsSource, 'kind' | 'listRefs'>;

/** Construction options of {@link LadderGc}. */
export interface LadderGcOptions {
  readonly hlsDir: string;
  /** Where the ladders are (PUBLISH_TARGET); storage/hls (`hlsDir`) by default. */
  readonly ladders?: LadderTarget;
  /** The configured sources: a directory of any other source is left alone. */
  readonly sources: readonly GcSource[];
  readonly orphans: Pick<OrphanStore, 'all' | 'mark' | 'clear'>;
  /** ORPHAN_GRACE_DAYS: how long a ladder stays an orphan before it goes (0 = at once). */
  readonly graceDays: number;
  /** True while this daemon works on the key: its record may not say so yet (listed before the claim). */
  readonly isBusy: (key: string) => boolean;
  readonly log: Logger;
  readonly now: () => Date;
}

/** What one gc run found and did (on a dry run, `removed` is what would have gone). */
export interface GcReport {
  /** Directories of storage/hls looked at. */
  readonly scanned: number;
  /** Ladders found orphaned this run, removed or not yet. */
  readonly orphans: number;
  readonly removed: readonly { readonly key: string; readonly bytes: number }[];
  /** Ladders left alone that deserve a word (not a healthy ladder: those are simply fine). */
  readonly kept: readonly { readonly key: string; readonly reason: string }[];
  /** Sources whose records could not be listed: nothing of theirs was touched, their marks neither. */
  readonly skippedSources: readonly { readonly source: SourceKind; readonly error: string }[];
}

type Verdict =
  { readonly kind: 'fine' } | { readonly kind: 'kept'; readonly reason: string } | { readonly kind: 'orphan'; readonly why: string };

interface Run {
  readonly dryRun: boolean;
  readonly now: Date;
  readonly marks: Map<string, string>;
  readonly orphanKeys: Set<string>;
  readonly removed: { key: string; bytes: number }[];
  readonly kept: { key: string; reason: string }[];
}

/**
 * Removes ladders under storage/hls that no record needs any more: the record is gone (a CMS
 * source only), or it is finished and its hls_url points elsewhere. An orphan is marked first and
 * removed only after the grace period, so a record restored from a backup, or a CMS answering
 * from a stale replica, costs nothing. A source that cannot be listed is skipped whole: an outage
 * must never look like every record deleted.
 */
export class LadderGc {
  private readonly ladders: LadderTarget;

  constructor(private readonly options: LadderGcOptions) {
    this.ladders = options.ladders ?? new LocalLadderTarget(options.hlsDir);
  }

  async run({ dryRun = false }: { dryRun?: boolean } = {}): Promise<GcReport> {
    const { orphans, now } = this.options;
    // The directories first, then the records: a ladder published after the listing is not seen,
    // rather than seen without its (newer) record.
    const names = await this.ladderNames();
    const { refs, skippedSources } = await this.listSources();
    const run: Run = { dryRun, now: now(), marks: await orphans.all(), orphanKeys: new Set(), removed: [], kept: [] };
    for (const key of names) {
      const parsed = parseJobKey(key);
      const sourceRefs = parsed === null ? undefined : refs.get(parsed.source);
      if (parsed === null || !this.options.sources.some((s) => s.kind === parsed.source)) {
        run.kept.push({ key, reason: 'not a key of a configured source' });
      } else if (sourceRefs !== undefined) {
        await this.settle(run, key, this.judge(key, parsed.source, sourceRefs.get(parsed.id)));
      }
    }
    if (!dryRun) await this.forgetMarks(run, new Set(skippedSources.map((s) => s.source)));
    return { scanned: names.length, orphans: run.orphanKeys.size, removed: run.removed, kept: run.kept, skippedSources };
  }

  /** The published keys (local: the directories of storage/hls, never the dot-directories of a publish in flight). */
  private async ladderNames(): Promise<string[]> {
    try {
      return (await this.ladders.keys()).sort();
    } catch (err) {
      throw toAppError(err);
    }
  }

  private async listSources(): Promise<{ refs: Map<SourceKind, Map<string, RecordRef>>; skippedSources: GcReport['skippedSources'] }> {
    const refs = new Map<SourceKind, Map<string, RecordRef>>();
    const skippedSources: { source: SourceKind; error: string }[] = [];
    for (const source of this.options.sources) {
      try {
        refs.set(source.kind, new Map((await source.listRefs()).map((ref) => [ref.id, ref])));
      } catch (err) {
        const error = toAppError(err, 'cms_error');
        this.options.log.warn({ err: error, source: source.kind }, 'gc: cannot list the records; its ladders are left alone');
        skippedSources.push({ source: source.kind, error: `[${error.code}] ${error.message}` });
      }
    }
    return { refs, skippedSources };
  }

  private judge(key: string, kind: SourceKind, ref: RecordRef | undefined): Verdict {
    if (this.options.isBusy(key)) return { kind: 'kept', reason: 'being processed by this daemon' };
    if (ref === undefined) {
      // Local jobs are trimmed after JOB_RETENTION_DAYS while their ladders stay, and a lost
      // state.db must not wipe every ladder: only DELETE /api/jobs/<key> removes a local ladder.
      if (kind === 'local') return { kind: 'kept', reason: 'local record missing (trimmed or lost); DELETE /api/jobs removes it' };
      return { kind: 'orphan', why: 'record deleted' };
    }
    if (ref.status === 'pending' || ref.status === 'processing') return { kind: 'kept', reason: `record is ${ref.status}` };
    if (pointsInto(ref.hlsUrl, key)) return { kind: 'fine' };
    return { kind: 'orphan', why: `record ${ref.status}, hls_url ${ref.hlsUrl ?? 'empty'}` };
  }

  private async settle(run: Run, key: string, verdict: Verdict): Promise<void> {
    if (verdict.kind === 'kept') run.kept.push({ key, reason: verdict.reason });
    if (verdict.kind !== 'orphan') return;
    run.orphanKeys.add(key);
    const firstSeenAt =
      run.marks.get(key) ?? (run.dryRun ? run.now.toISOString() : (await this.options.orphans.mark(key, run.now)).firstSeenAt);
    const dueAt = new Date(Date.parse(firstSeenAt) + this.options.graceDays * DAY_MS);
    if (run.now < dueAt) {
      run.kept.push({ key, reason: `orphan (${verdict.why}) since ${firstSeenAt}, removed from ${dueAt.toISOString()}` });
    } else if (run.dryRun) {
      run.removed.push({ key, bytes: await this.ladders.ladderBytes(key).catch(() => 0) });
    } else {
      await this.remove(run, key, verdict.why);
    }
  }

  private async remove(run: Run, key: string, why: string): Promise<void> {
    const { orphans, isBusy, log } = this.options;
    // A job may have been claimed since the records were listed.
    if (isBusy(key)) {
      run.kept.push({ key, reason: 'being processed by this daemon' });
      return;
    }
    // One rename takes it out of reach first: nginx serves a ladder whole or not at all, never half-deleted.
    let bytes: number | null;
    try {
      bytes = await this.ladders.unpublish(key, log);
    } catch (err) {
      const error = toAppError(err);
      log.error({ err: error, key }, 'gc: cannot remove the orphan ladder');
      run.kept.push({ key, reason: `removal failed: ${error.message}` });
      return;
    }
    await orphans.clear(key);
    run.removed.push({ key, bytes: bytes ?? 0 });
    log.info({ key, bytes, why }, 'gc: removed an orphan ladder');
  }

  /** A mark whose ladder is no orphan any more (or gone) is dropped, except those of skipped sources. */
  private async forgetMarks(run: Run, skipped: ReadonlySet<SourceKind>): Promise<void> {
    for (const key of run.marks.keys()) {
      const source = parseJobKey(key)?.source;
      if (run.orphanKeys.has(key) || (source !== undefined && skipped.has(source))) continue;
      await this.options.orphans.clear(key);
    }
  }
}

/** Whether `hlsUrl` (absolute, or a same-origin path) is inside `/storage/hls/<key>/`, whatever PUBLIC_BASE_URL's prefix. */
export function pointsInto(hlsUrl: string | null, key: string): boolean {
  if (!hlsUrl) return false;
  const pathname = URL.canParse(hlsUrl, RELATIVE_BASE) ? new URL(hlsUrl, RELATIVE_BASE).pathname : hlsUrl;
  const dir = `${HLS_URL_PATH}/${key}`;
  return pathname.endsWith(dir) || pathname.includes(`${dir}/`);
}

const RELATIVE_BASE = 'http://relative.invalid';
