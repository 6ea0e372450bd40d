/**
 * Where the dashboard's browser fetches a job's ladder files from: the daemon itself when it
 * serves the ladders (SERVE_HLS, same origin), else the public URLs written to the record (nginx
 * or a CDN, allowed by the dashboard's content security policy). Pure.
 */
import { jobKey } from '../../domain/job-key.js';
import { ladderBase, ladderFile } from '../../domain/poster-pick.js';
import { hlsUrl, POSTER_FILE } from '../../domain/storage-layout.js';
import type { JobRow } from '../../store/job-repository.js';

/** How the page reaches the ladder: through the daemon (SERVE_HLS) or the public URL nginx serves. */
export interface PlaybackOptions {
  readonly serveHls: boolean;
}

/** A thumbnail the operator may pick as the poster (n = 0: the ladder's own poster). */
export interface PosterChoice {
  readonly n: number;
  readonly src: string;
  readonly current: boolean;
}

export interface LadderMedia {
  readonly player: string | null;
  readonly poster: string | null;
  readonly storyboard: string | null;
  readonly preview: string | null;
  /** The ladder's poster first, then the thumbnails; empty without a ladder. */
  readonly posterChoices: readonly PosterChoice[];
}

/** The job's ladder files as the browser should fetch them. */
export function ladderMedia(job: JobRow, playback: PlaybackOptions): LadderMedia {
  const master = job.hlsUrl;
  if (master === null) return { player: null, poster: null, storyboard: null, preview: null, posterChoices: [] };
  const key = jobKey({ source: 'local', id: job.id });
  // A URL outside the ladder (written by hand) is shown as it is.
  const fetchable = (url: string | null): string | null => {
    if (url === null) return null;
    const file = ladderFile(master, url);
    return playback.serveHls && file !== null ? hlsUrl('', key, file) : url;
  };
  const ownPoster = `${ladderBase(master)}${POSTER_FILE}`;
  const choices = [ownPoster, ...job.thumbnailUrls].map((url, n) => ({ n, src: fetchable(url) ?? url, current: url === job.posterUrl }));
  return {
    player: fetchable(master),
    poster: fetchable(job.posterUrl),
    storyboard: fetchable(job.storyboardUrl),
    preview: fetchable(job.previewUrl),
    posterChoices: job.thumbnailUrls.length > 0 ? choices : [],
  };
}
