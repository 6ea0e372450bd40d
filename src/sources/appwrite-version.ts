import { AppwriteException } from 'node-appwrite';
import type { Logger } from '../logging/logger.js';
import { createClient, toCmsError, type AppwriteConnection } from './appwrite-client.js';
import type { ServerWarnings } from './appwrite-warnings.js';

/** TablesDB, the API the source uses, came with 1.8. */
export const OLDEST_SUPPORTED = '1.8.0';
/**
 * The first release whose update route checks X-Appwrite-Timestamp against the row under a lock.
 * Before it the check reads a cached copy of the row, so two claims arriving together can both be
 * granted: the claim token (appwrite-claims.ts) then keeps the work exclusive on its own.
 */
export const LOCKED_UPDATES_SINCE = '1.9.5';

/** `1.9.0`, `1.9.5-rc.1` → [1, 9, 0] / [1, 9, 5]; null when it does not start like a version. */
export function parseVersion(version: string): [number, number, number] | null {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : null;
}

/** Negative when a < b, 0 when equal, positive when a > b; null when either is not a version. */
export function compareVersions(a: string, b: string): number | null {
  const [x, y] = [parseVersion(a), parseVersion(b)];
  if (x === null || y === null) return null;
  for (let i = 0; i < 3; i += 1) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/** What an operator must know about a server of this version; null when nothing. */
export function versionWarning(version: string): string | null {
  const vsOldest = compareVersions(version, OLDEST_SUPPORTED);
  if (vsOldest === null)
    return `Appwrite reports the version "${version}", which is not one the daemon knows (1.8.x and 1.9.x are supported)`;
  if (vsOldest < 0) return `Appwrite ${version} is older than 1.8, the oldest version the daemon supports (it uses the TablesDB API)`;
  if ((compareVersions(version, LOCKED_UPDATES_SINCE) ?? 0) < 0) return lockWarning(`Appwrite ${version}`);
  return null;
}

function lockWarning(server: string): string {
  return (
    `${server} checks X-Appwrite-Timestamp without a row lock (fixed in ${LOCKED_UPDATES_SINCE}): two daemons can both be granted ` +
    'one claim, and only the claim token keeps the work exclusive (a video may be encoded twice, never published twice); ' +
    `upgrade to ${LOCKED_UPDATES_SINCE} or later`
  );
}

/** GET /health/version: no key needed (only the project header the SDK always sends). */
export async function readServerVersion(connection: AppwriteConnection, warnings?: ServerWarnings): Promise<string> {
  const client = createClient(connection, { warnings }, false);
  const body: unknown = await client.call('get', new URL(`${connection.endpoint}/health/version`));
  const version = (body as { version?: unknown } | null)?.version;
  if (typeof version !== 'string' || version === '') throw new Error('the answer names no version');
  return version;
}

/**
 * The server's version, read once by the source at its first poll, logged once, and kept for
 * /health. A server that cannot be reached is asked again at the next poll; one that answers
 * without a version (a proxy refusing the route) counts as unknown and is warned about once.
 */
export class ServerVersionCheck {
  private version: string | null = null;
  private warning: string | null = null;
  private pending: Promise<void> | null = null;

  constructor(
    private readonly connection: AppwriteConnection,
    private readonly log: Logger,
    private readonly warnings?: ServerWarnings,
  ) {}

  /** Never throws. */
  check(): Promise<void> {
    if (this.version !== null) return Promise.resolve();
    this.pending ??= this.read().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** The version as the server reported it; null until known. */
  get reported(): string | null {
    return this.version;
  }

  get messages(): readonly string[] {
    return this.warning === null ? [] : [this.warning];
  }

  private async read(): Promise<void> {
    try {
      const version = await readServerVersion(this.connection, this.warnings);
      this.settle(version, versionWarning(version));
    } catch (err) {
      if (!(err instanceof AppwriteException) || err.code === 0 || err.code >= 500) {
        this.log.debug({ err }, 'could not read the Appwrite version; asking again at the next poll');
        return;
      }
      this.settle(
        'unknown',
        `Appwrite did not tell its version (GET /health/version answered HTTP ${err.code}): if it is older than ` +
          `${LOCKED_UPDATES_SINCE}, two daemons can both be granted one claim and only the claim token keeps the work exclusive`,
      );
    }
  }

  private settle(version: string, warning: string | null): void {
    this.version = version;
    this.warning = warning;
    if (warning === null) this.log.info({ appwriteVersion: version }, `Appwrite ${version}: claims are locked by the server`);
    else this.log.warn({ appwriteVersion: version }, warning);
  }
}

/** The doctor's line about the server's version. */
export async function checkVersion(
  connection: AppwriteConnection,
  warnings?: ServerWarnings,
): Promise<{ level: 'ok' | 'warn'; name: string; detail: string }> {
  const name = 'appwrite version';
  try {
    const version = await readServerVersion(connection, warnings);
    const warning = versionWarning(version);
    return warning === null
      ? { level: 'ok', name, detail: `${version}: claims are locked by the server` }
      : { level: 'warn', name, detail: warning };
  } catch (err) {
    return { level: 'warn', name, detail: `cannot read the version: ${toCmsError(err, 'reading the version').message}` };
  }
}
