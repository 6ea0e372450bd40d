import path from 'node:path';

/**
 * How a ladder's files are served, wherever they are: by the daemon (SERVE_HLS), by nginx (its
 * site's `types` and `$video_compressor_cache` say the same) or from an S3 bucket (set on each
 * object when it is uploaded).
 */

const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.mp4': 'video/mp4',
  '.vtt': 'text/vtt; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

// A published ladder is never rewritten in place except by a reprocess, which replaces playlists:
// keep those short-lived, and let players and CDNs keep segments.
const CACHE_CONTROL: Record<string, string> = {
  '.m3u8': 'public, max-age=10',
  '.ts': 'public, max-age=31536000, immutable',
  '.jpg': 'public, max-age=300',
  '.jpeg': 'public, max-age=300',
  // preview.mp4, the storyboard and metadata.json are replaced in place by a reprocess, like the poster.
  '.mp4': 'public, max-age=300',
  '.vtt': 'public, max-age=300',
  '.json': 'public, max-age=60',
};

/** The Content-Type of a ladder file, by extension; null for a type a ladder never holds. */
export function ladderContentType(file: string): string | null {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? null;
}

/** The Cache-Control of a ladder file, by extension. */
export function ladderCacheControl(file: string): string {
  return CACHE_CONTROL[path.extname(file).toLowerCase()] ?? 'public, max-age=60';
}
