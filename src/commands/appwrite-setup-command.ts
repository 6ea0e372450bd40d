import { loadConfig } from '../config/config.js';
import { isAppError } from '../errors.js';
import { setupAppwrite, type SetupReport } from '../sources/appwrite-setup.js';

const USAGE = 'Usage: video-compressor appwrite:setup [--backfill]';

/**
 * `video-compressor appwrite:setup [--backfill]`: creates what is missing of the database, the
 * table, its columns and indexes (never alters or drops anything), and says what it did. With
 * `--backfill`, also queues the rows that have a source but no status. Exit 1 when an existing
 * column does not fit or Appwrite refused; running it again changes nothing.
 */
export async function runAppwriteSetup(args: readonly string[] = []): Promise<number> {
  const unknown = args.filter((arg) => arg !== '--backfill');
  if (unknown.length > 0) {
    console.error(`Unknown option ${unknown.join(' ')}. ${USAGE}`);
    return 2;
  }
  const config = loadConfig();
  const appwrite = config.appwrite;
  if (!appwrite) {
    console.error(
      'appwrite:setup needs APPWRITE_ENDPOINT, APPWRITE_PROJECT_ID, APPWRITE_API_KEY and APPWRITE_DATABASE_ID (see .env.example)',
    );
    return 2;
  }
  console.log(`Appwrite ${appwrite.endpoint}, project ${appwrite.projectId}, table ${appwrite.databaseId}/${appwrite.tableId}`);
  try {
    const report = await setupAppwrite({ config: appwrite, backfill: args.includes('--backfill') });
    printReport(report);
    return report.problems.length > 0 ? 1 : 0;
  } catch (err) {
    if (!isAppError(err)) throw err;
    console.error(`✘ ${err.message}`);
    console.error('  The key needs the scopes databases.read/write, tables.read/write, columns.read/write, indexes.read/write');
    console.error('  (and rows.read/write for --backfill).');
    return 1;
  }
}

function printReport(report: SetupReport): void {
  for (const line of report.created) console.log(`  + created ${line}`);
  for (const line of report.problems) console.log(`  ✘ ${line}`);
  for (const line of report.warnings ?? []) console.log(`  ! Appwrite warns: ${line}`);
  console.log(
    `\n${report.created.length} created, ${report.present.length} already present` +
      (report.problems.length > 0
        ? `, ${report.problems.length} problem(s): fix those columns by hand or map other ones (APPWRITE_FIELD_MAP).`
        : '.'),
  );
  if (report.backfill) {
    const { queued, skipped } = report.backfill;
    console.log(
      `${queued} row(s) with a source_url but no status queued as pending` +
        (skipped > 0 ? `; ${skipped} changed meanwhile and were left alone: run it again.` : '.'),
    );
  } else if (report.tableHadRows) {
    console.log('The table already had rows: new columns were created optional, so they stay updatable.');
    console.log('Rows with a source_url but no status are not queued: run `video-compressor appwrite:setup --backfill` to queue them.');
  }
}
