import { readdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { formatBytes, plural } from '../format/units.js';
import { silentLogger } from '../logging/logger.js';
import { LadderGc, type GcReport } from '../pipeline/ladder-gc.js';
import { createLadderTarget } from '../publish/create-ladder-target.js';
import { createSources } from '../sources/create-sources.js';
import { describeStore, openStore } from '../store/open-store.js';

export const GC_HELP = `Usage: video-compressor gc [--dry-run]

Removes orphan ladders from storage/hls: those whose record was deleted from its CMS, and those a
finished record no longer points at (its hls_url names another directory, or none). An orphan is
first marked and removed only once it has been one for ORPHAN_GRACE_DAYS (0 = at once); the
daemon runs the same collection daily at CLEANUP_CRON.

Never removed: the ladder of a record that is pending or processing, of a job being worked on,
of a local record that is missing (trimmed after JOB_RETENTION_DAYS, or a lost state.db: delete a
local ladder with DELETE /api/jobs/<key>), a directory that is not a key of a configured source,
and anything of a source whose records cannot be listed (the exit status is then 1).

  --dry-run   report what would be marked and removed; change nothing`;

/** `video-compressor gc`: one collection of orphan ladders, reported in plain lines. */
export async function runGc(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(GC_HELP);
    return 0;
  }
  let dryRun: boolean;
  try {
    dryRun = parseArgs({ args: argv, options: { 'dry-run': { type: 'boolean', default: false } } }).values['dry-run'];
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${GC_HELP}`);
    return 2;
  }
  const config = loadConfig();
  let store;
  try {
    store = await openStore(config.storage, { now, log: silentLogger() });
  } catch (err) {
    console.error(`Cannot open ${describeStore(config.storage)}: ${(err as Error).message}.`);
    return 1;
  }
  try {
    const log = silentLogger();
    const sources = await createSources({ config, jobs: store.jobs, log, now });
    // This process is not the daemon: a job in flight, on any worker sharing the volume, shows as
    // its work directory storage/temp/<key>.
    const working = new Set(await readdir(config.storage.tempDir).catch(() => [] as string[]));
    const gc = new LadderGc({
      hlsDir: config.storage.hlsDir,
      ladders: createLadderTarget(config),
      sources,
      orphans: store.orphans,
      graceDays: config.maintenance.orphanGraceDays,
      isBusy: (key) => working.has(key),
      log,
      now,
    });
    const report = await gc.run({ dryRun });
    for (const line of describeGcReport(report, dryRun)) console.log(line);
    for (const { source, error } of report.skippedSources)
      console.error(`${source}: records could not be listed, nothing touched: ${error}`);
    return report.skippedSources.length === 0 ? 0 : 1;
  } finally {
    await store.close();
  }
}

function now(): Date {
  return new Date();
}

/** The report in plain lines: one per removed or kept ladder, then the totals. */
export function describeGcReport(report: GcReport, dryRun: boolean): string[] {
  const lines = [
    ...report.removed.map(({ key, bytes }) => `${dryRun ? 'would remove' : 'removed'} ${key} (${formatBytes(bytes)})`),
    ...report.kept.map(({ key, reason }) => `kept ${key}: ${reason}`),
  ];
  const bytes = report.removed.reduce((sum, r) => sum + r.bytes, 0);
  lines.push(
    `${plural(report.scanned, 'ladder')} scanned, ${plural(report.orphans, 'orphan')}, ` +
      `${report.removed.length} ${dryRun ? 'would be removed' : 'removed'} (${formatBytes(bytes)}), ${report.kept.length} kept`,
  );
  if (report.skippedSources.length > 0) lines.push(`skipped: ${report.skippedSources.map((s) => s.source).join(', ')}`);
  if (dryRun) lines.push('dry run, nothing changed');
  return lines;
}
