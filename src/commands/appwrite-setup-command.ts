import { loadConfig } from '../config/config.js';
import { isAppError } from '../errors.js';
import { setupAppwrite } from '../sources/appwrite-setup.js';

/**
 * `video-compressor appwrite:setup`: creates what is missing of the database, the table, its
 * columns and indexes (never alters or drops anything), and says what it did. Exit 1 when an
 * existing column does not fit or Appwrite refused; running it again changes nothing.
 */
export async function runAppwriteSetup(): Promise<number> {
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
    const report = await setupAppwrite({ config: appwrite });
    for (const line of report.created) console.log(`  + created ${line}`);
    for (const line of report.problems) console.log(`  ✘ ${line}`);
    console.log(
      `\n${report.created.length} created, ${report.present.length} already present` +
        (report.problems.length > 0
          ? `, ${report.problems.length} problem(s): fix those columns by hand or map other ones (APPWRITE_FIELD_MAP).`
          : '.'),
    );
    return report.problems.length > 0 ? 1 : 0;
  } catch (err) {
    if (!isAppError(err)) throw err;
    console.error(`✘ ${err.message}`);
    console.error('  The key needs the scopes databases.read/write, tables.read/write, columns.read/write, indexes.read/write.');
    return 1;
  }
}
