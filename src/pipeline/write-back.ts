import { AppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { realTimers, type PipelineTimers } from './timers.js';

/** Pauses between write-back attempts: short, so a CMS that returns is noticed within seconds. */
const BACKOFF_MS = [500, 1000, 2000, 5000];

/** A CMS or job store that is out of reach for now (or refuses the key): worth writing again. */
const UNREACHABLE: ReadonlySet<string> = new Set(['cms_error', 'cms_unauthorized', 'store_unavailable']);

/**
 * Runs a write-back (`complete`, a ledger row) again while the CMS or the store is unreachable, for up to
 * `withinMs`. The ladder is already published: giving up at once would leave the record
 * "processing" until its lease expires and then encode the video a second time. `withinMs` stays
 * under the lease, so no other worker can have reclaimed the record meanwhile (ownedWrite checks too).
 * @throws the last error once `withinMs` has passed, at once for any other error, or on `signal`.
 */
export async function retryWhileUnreachable(
  write: () => Promise<void>,
  o: { withinMs: number; signal: AbortSignal; log: Logger; now?: () => Date; sleep?: PipelineTimers['sleep'] },
): Promise<void> {
  const now = (): number => (o.now ? o.now().getTime() : Date.now());
  const sleep = o.sleep ?? realTimers.sleep;
  const deadline = now() + o.withinMs;
  for (let attempt = 0; ; attempt += 1) {
    try {
      await write();
      if (attempt > 0) o.log.info({ attempts: attempt + 1 }, 'write-back succeeded once the CMS answered again');
      return;
    } catch (err) {
      const wait = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!;
      // A refused key is as passing as an outage: the operator restores it, the write-back then lands.
      const unreachable = err instanceof AppError && UNREACHABLE.has(err.code);
      if (!unreachable || o.signal.aborted || now() + wait > deadline) throw err;
      if (attempt === 0) o.log.warn({ err }, 'the CMS did not take the result; retrying while the lease holds');
      await sleep(wait, o.signal);
    }
  }
}
