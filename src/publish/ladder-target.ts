import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { MASTER_PLAYLIST } from '../domain/storage-layout.js';
import type { Logger } from '../logging/logger.js';
import { directoryBytes } from '../media/directory-size.js';
import { publishLadder, unpublishLadder } from './local-ladders.js';

/** Where a published ladder's files are, under `<base>/storage/hls/<key>/`. */
export interface PublishedLadder {
  /**
   * Prefix of every file but the master playlist: '' on local disk; `v<version>/` in a bucket,
   * where each publish writes a new version and the master, always at the top, switches to it.
   */
  readonly filePrefix: string;
}

/**
 * Where ladders are published (PUBLISH_TARGET). Every implementation keeps the same promise: a
 * player never sees half a ladder, and a re-process replaces the old one without a moment where
 * the master playlist points at missing files.
 */
export interface LadderTarget {
  readonly kind: 'local' | 's3';
  /** Publishes the verified ladder in `outDir` (which it may consume) under `key`. */
  publish(options: { readonly key: string; readonly outDir: string; readonly log: Logger }): Promise<PublishedLadder>;
  /** Takes the ladder of `key` down; the bytes it held, or null when there was none. */
  unpublish(key: string, log: Logger): Promise<number | null>;
  /** Whether `key` has a published master playlist (the storage-loss check of `requeue --missing-ladder`). */
  hasLadder(key: string): Promise<boolean>;
  /** Every published key (gc). */
  keys(): Promise<string[]>;
  /** The bytes the ladder of `key` holds (0 when there is none). */
  ladderBytes(key: string): Promise<number>;
}

/** storage/hls on the local disk, published with renames (local-ladders.ts). */
export class LocalLadderTarget implements LadderTarget {
  readonly kind = 'local';
  constructor(private readonly hlsDir: string) {}

  async publish({ key, outDir, log }: { key: string; outDir: string; log: Logger }): Promise<PublishedLadder> {
    await publishLadder({ outDir, hlsDir: this.hlsDir, key, log });
    return { filePrefix: '' };
  }

  unpublish(key: string, log: Logger): Promise<number | null> {
    return unpublishLadder({ hlsDir: this.hlsDir, key, log });
  }

  async hasLadder(key: string): Promise<boolean> {
    return stat(path.join(this.hlsDir, key, MASTER_PLAYLIST)).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return false;
        throw err;
      },
    );
  }

  async keys(): Promise<string[]> {
    const entries = await readdir(this.hlsDir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    // Dot-directories are publishes and removals in progress, never a ladder.
    return entries
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  }

  ladderBytes(key: string): Promise<number> {
    return directoryBytes(path.join(this.hlsDir, key)).catch(() => 0);
  }
}
