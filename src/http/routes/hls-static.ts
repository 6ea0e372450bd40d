import express, { type RequestHandler, Router } from 'express';
import { AppError } from '../../errors.js';
import { ladderCacheControl, ladderContentType } from '../../domain/ladder-http.js';

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
        const type = ladderContentType(filePath);
        if (type) res.setHeader('Content-Type', type);
        res.setHeader('Cache-Control', ladderCacheControl(filePath));
        res.setHeader('Access-Control-Allow-Origin', '*');
        // helmet's same-origin default would stop players on other origins from loading segments.
        res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
      },
    }),
  );
  return router;
}
