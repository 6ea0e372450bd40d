import path from 'node:path';
import express, { type RequestHandler, Router } from 'express';
import { AppError } from '../../errors.js';

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

/**
 * Refuses anything that could step outside storage/hls before it reaches the file system:
 * `..` segments (raw or percent-encoded), backslashes, NUL, dotfiles. serve-static checks too;
 * this is the second lock on the door to storage/temp and state.db.
 */
const refuseTraversal: RequestHandler = (req, _res, next) => {
  let decoded: string;
  try {
    decoded = decodeURIComponent(req.path);
  } catch {
    next(new AppError('not_found', 'not found'));
    return;
  }
  const bad = decoded.includes('\0') || decoded.includes('\\') || decoded.split('/').some((part) => part.startsWith('.'));
  next(bad ? new AppError('not_found', 'not found') : undefined);
};

/** /storage/hls/… served by the daemon itself (SERVE_HLS=true); nginx does this in production. */
export function hlsStaticRouter({ hlsDir }: { readonly hlsDir: string }): Router {
  const router = Router();
  router.use(refuseTraversal);
  router.use(
    express.static(hlsDir, {
      dotfiles: 'deny',
      index: false,
      redirect: false,
      fallthrough: true,
      cacheControl: false,
      setHeaders(res, filePath) {
        const ext = path.extname(filePath).toLowerCase();
        const type = CONTENT_TYPES[ext];
        if (type) res.setHeader('Content-Type', type);
        res.setHeader('Cache-Control', CACHE_CONTROL[ext] ?? 'public, max-age=60');
        res.setHeader('Access-Control-Allow-Origin', '*');
        // helmet's same-origin default would stop players on other origins from loading segments.
        res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
      },
    }),
  );
  return router;
}
