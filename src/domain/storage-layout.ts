/**
 * Where a published ladder lives, on disk (under STORAGE_DIR/hls) and in public URLs (under
 * PUBLIC_BASE_URL). nginx's site, the daemon's own HLS route and the verifier agree on these names.
 */

/** The URL path the ladders are served under, by nginx or by the daemon (SERVE_HLS). */
export const HLS_URL_PATH = '/storage/hls';

export const MASTER_PLAYLIST = 'master.m3u8';
export const POSTER_FILE = 'poster.jpg';
/** Inside each rung's folder. */
export const RUNG_PLAYLIST = 'playlist.m3u8';

/** `<base>/storage/hls/<key>` or, with a file, `<base>/storage/hls/<key>/<file>`. `base` has no trailing slash ('' for a same-origin path). */
export function hlsUrl(base: string, key: string, file?: string): string {
  const dir = `${base}${HLS_URL_PATH}/${key}`;
  return file === undefined ? dir : `${dir}/${file}`;
}
