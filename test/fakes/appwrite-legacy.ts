/**
 * Appwrite as older servers in the wild behave, for the fake (appwrite-server.ts):
 *
 * - Up to 1.9.0 the update route checks `X-Appwrite-Timestamp` against a cached copy of the row,
 *   read before the request's other awaits, and without a row lock: two conditional updates
 *   arriving together can both pass (fixed in 1.9.5). With `cachedClaims` on, the fake reads the
 *   row's version, awaits (the fake's `holdUpdate`, or `delayMs`), then checks against what it
 *   read; every update granted that a locked server would have refused is kept in `grants`.
 * - A server older than the SDK's response format says so in `X-Appwrite-Warning` on every answer.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ApiError, type FakeRow } from './appwrite-store.js';

export class CachedUpdates {
  /** Off: the check and the write are one synchronous step, as on a server with row locks. */
  enabled = false;
  /** How long the cached copy is awaited past (unless the fake's `holdUpdate` is set): the window in which two claims both pass. */
  delayMs = 25;
  /** Updates granted on the cached copy that the row as written refused: double grants of a claim, among others. */
  readonly grants: Array<{ rowId: string; data: Record<string, unknown> }> = [];

  /**
   * Reads the row's version, awaits, and checks `timestamp` against what it read: 409 only when
   * the row had changed before the request arrived. Returns the instant `timestamp` names.
   */
  async check(row: FakeRow, timestamp: string, stillThere: () => boolean, hold: Promise<void> | null): Promise<number> {
    const cached = row.$updatedAt;
    await (hold ?? delay(this.delayMs));
    if (!stillThere()) throw new ApiError(404, 'row_not_found', 'Row with the requested ID could not be found.');
    const since = Date.parse(timestamp);
    if (Number.isNaN(since)) throw new ApiError(400, 'general_argument_invalid', 'Invalid X-Appwrite-Timestamp header value');
    if (Date.parse(cached) > since) throw new ApiError(409, 'row_update_conflict', 'Remote document is newer than local.');
    return since;
  }
}

/** `1.9.5` → 10905 (each part up to 99); NaN when it is not a version. */
function versionNumber(version: string): number {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  return match ? Number(match[1]) * 10_000 + Number(match[2]) * 100 + Number(match[3] ?? 0) : Number.NaN;
}

/** The warning a server of `version` sends a client built for the response format `format`; null when none. */
export function responseWarning(format: string | string[] | undefined, version: string): string | null {
  if (typeof format !== 'string' || !(versionNumber(format) > versionNumber(version))) return null;
  return (
    `The current SDK is built for Appwrite ${format}. However, the current Appwrite server version is ${version}. ` +
    'Please downgrade your SDK to match the Appwrite version'
  );
}
