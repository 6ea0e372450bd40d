/**
 * An operator's choice of poster for a completed ladder: the ladder's own `poster.jpg` or one of
 * its thumbnails. Both are files of the published ladder, so the record's `poster_url` only ever
 * points inside it. Pure.
 */
import { POSTER_FILE } from './storage-layout.js';

/** What the operator picked: 0 is the ladder's own poster, n ≥ 1 the n-th thumbnail. */
export type PosterPick = number;

/** The ladder directory's URL (with its trailing slash) from the master playlist's. */
export function ladderBase(hlsUrl: string): string {
  return hlsUrl.slice(0, hlsUrl.lastIndexOf('/') + 1);
}

/** `url` relative to the ladder directory (`thumbnails/thumb-03.jpg`), or null when it is not a file of it. */
export function ladderFile(hlsUrl: string, url: string): string | null {
  const base = ladderBase(hlsUrl);
  return url.startsWith(base) && url.length > base.length ? url.slice(base.length) : null;
}

/** The poster URL a pick stands for, or null for a thumbnail the ladder does not have. */
export function posterUrlFor(pick: PosterPick, ladder: { hlsUrl: string; thumbnailUrls: readonly string[] }): string | null {
  if (pick === 0) return `${ladderBase(ladder.hlsUrl)}${POSTER_FILE}`;
  return ladder.thumbnailUrls[pick - 1] ?? null;
}
