import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors.js';
import { directoryBytes } from '../media/directory-size.js';
import type { Logger } from '../logging/logger.js';

/**
 * Publishing moves a verified ladder from storage/temp/<key>/out into storage/hls/<key> with
 * renames only, so a reader of storage/hls never sees a half-written ladder. Replacing an
 * existing ladder (re-processing) goes through hidden siblings:
 *   out → .<key>.incoming → (old <key> → .<key>.previous) → <key>, then .previous is removed.
 * Dot-directories are never served (nginx and the daemon deny dotfiles), and a crash between two
 * renames is repaired by recoverInterruptedPublishes() at start-up.
 */
export interface PublishOptions {
  readonly outDir: string;
  readonly hlsDir: string;
  readonly key: string;
  readonly log: Logger;
}

export async function publishLadder({ outDir, hlsDir, key, log }: PublishOptions): Promise<string> {
  const target = path.join(hlsDir, key);
  const incoming = path.join(hlsDir, `.${key}.incoming`);
  const previous = path.join(hlsDir, `.${key}.previous`);
  try {
    await mkdir(hlsDir, { recursive: true });
    await rm(incoming, { recursive: true, force: true });
    await rm(previous, { recursive: true, force: true });
    await rename(outDir, incoming);
    const replaced = await exists(target);
    if (replaced) await rename(target, previous);
    await rename(incoming, target);
    if (replaced) await rm(previous, { recursive: true, force: true });
    log.info({ target, replaced }, 'ladder published');
    return target;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AppError(
      code === 'ENOSPC' ? 'insufficient_disk' : 'publish_failed',
      `Publishing to ${target} failed: ${(err as Error).message}`,
      {
        cause: err,
        context: { target, errno: code },
      },
    );
  }
}

/**
 * Takes a ladder down (DELETE, gc): one rename to a hidden sibling, so it stops being served at
 * once and whole, then the files are removed. The bytes it held; null when there was none.
 */
export async function unpublishLadder({ hlsDir, key, log }: Omit<PublishOptions, 'outDir'>): Promise<number | null> {
  const target = path.join(hlsDir, key);
  const removing = path.join(hlsDir, `.${key}.removing`);
  try {
    await rm(removing, { recursive: true, force: true });
    await rename(target, removing);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AppError('publish_failed', `Removing ${target} failed: ${(err as Error).message}`, { cause: err, context: { target } });
  }
  const bytes = await directoryBytes(removing);
  // Out of reach already: a leftover (a crash here) is removed by recoverInterruptedPublishes at start.
  await rm(removing, { recursive: true, force: true });
  log.info({ target, bytes }, 'ladder removed');
  return bytes;
}

/** Finishes or rolls back publishes (and removals) cut short by a crash (see publishLadder, unpublishLadder). */
export async function recoverInterruptedPublishes(hlsDir: string, log: Logger): Promise<void> {
  const names = await readdir(hlsDir).catch(() => [] as string[]);
  for (const name of names) {
    const match = /^\.(.+)\.(incoming|previous|removing)$/.exec(name);
    if (!match?.[1]) continue;
    const hidden = path.join(hlsDir, name);
    const target = path.join(hlsDir, match[1]);
    if (match[2] === 'previous' && !(await exists(target))) {
      await rename(hidden, target);
      log.warn({ target }, 'restored the previous ladder after an interrupted publish');
    } else {
      await rm(hidden, { recursive: true, force: true });
      log.warn({ dir: hidden }, 'removed the leftover of an interrupted publish');
    }
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Removes the ladders of storage/hls last written before `olderThan` (the local copies kept for
 * LOCAL_COPY_DAYS when ladders are published to a bucket); how many went.
 */
export async function trimLocalLadders(hlsDir: string, olderThan: Date, log: Logger): Promise<number> {
  const entries = await readdir(hlsDir, { withFileTypes: true }).catch(() => []);
  let removed = 0;
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const { mtime } = await stat(path.join(hlsDir, entry.name, 'master.m3u8')).catch(() => ({ mtime: new Date(0) }));
    if (mtime >= olderThan) continue;
    if ((await unpublishLadder({ hlsDir, key: entry.name, log })) !== null) removed += 1;
  }
  return removed;
}
