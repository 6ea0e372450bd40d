import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { AdminConfig } from '../../config/config.js';
import { AppError } from '../../errors.js';
import { adminCredentials } from './admin-credentials.js';
import { SessionGuard, sessionMiddleware, verifyCsrf } from './admin-session.js';
import { dashboardRouter, type DashboardRouteDeps } from './dashboard-routes.js';
import { jobRoutes, type JobRouteDeps } from './job-routes.js';
import { loginRouter } from './login-routes.js';
import { renderPage, renderView, VIEWS_DIR } from './render-view.js';

/** Everything the dashboard needs; it changes jobs only through the repository and the worker control. */
export interface AdminRouterDeps extends Omit<DashboardRouteDeps, 'ledger'>, Omit<JobRouteDeps, 'ledger'> {
  readonly ledger: DashboardRouteDeps['ledger'] & JobRouteDeps['ledger'];
  readonly admin: AdminConfig;
  /** PUBLIC_BASE_URL: the player and poster may load from there when nginx serves the ladders. */
  readonly publicBaseUrl: string;
}

const STATIC_DIR = path.join(VIEWS_DIR, '..', 'static');
const resolve = createRequire(import.meta.url).resolve;
// plyr exports only its CSS by path; the script and the icons sit beside it.
const PLYR_DIST = path.dirname(resolve('plyr/dist/plyr.css'));
/** The players' libraries, served from node_modules (the versions package-lock.json pins), never a CDN. */
const VENDOR: Record<string, { file: string; type: string }> = {
  'hls.min.js': { file: resolve('hls.js/dist/hls.min.js'), type: 'text/javascript; charset=utf-8' },
  'plyr.min.js': { file: path.join(PLYR_DIST, 'plyr.min.js'), type: 'text/javascript; charset=utf-8' },
  'plyr.css': { file: path.join(PLYR_DIST, 'plyr.css'), type: 'text/css; charset=utf-8' },
  'plyr.svg': { file: path.join(PLYR_DIST, 'plyr.svg'), type: 'image/svg+xml' },
};

/**
 * /admin: the EJS dashboard behind a session login. Without ADMIN_PASSWORD or ADMIN_PASSWORD_HASH
 * every route answers 503 with a page that says how to turn it on — never an open dashboard.
 */
export function adminRouter(deps: AdminRouterDeps): Router {
  const router = Router();
  router.use(contentSecurityPolicy(deps.publicBaseUrl));
  router.use('/assets', assetsRouter());
  const credentials = adminCredentials(deps.admin);
  if (!credentials) {
    router.use(async (req, res, next) => {
      if (req.accepts(['html', 'json']) === 'html' && !req.path.startsWith('/api/')) await renderView(res, 'disabled', {}, 503);
      else next(new AppError('admin_disabled', 'the dashboard is off: set ADMIN_PASSWORD or ADMIN_PASSWORD_HASH and restart'));
    });
    return router;
  }
  // Without SESSION_SECRET, a key per process: sessions simply end when the daemon restarts.
  router.use(sessionMiddleware(deps.admin.sessionSecret ?? randomBytes(32).toString('hex')));
  const guard = new SessionGuard(credentials, deps.now);
  router.use(loginRouter({ credentials, guard, log: deps.log }));
  router.use(guard.requireLogin());
  router.use(express.urlencoded({ extended: false, limit: '8kb' }), verifyCsrf);
  router.use(dashboardRouter({ ...deps, guard }));
  router.use(jobRoutes(deps));
  router.use(errorPage);
  return router;
}

/**
 * Scripts, styles and media from this daemon only (no CDN, no inline script). hls.js plays from a
 * blob: MediaSource and may start a blob: worker; the ladder itself may come from PUBLIC_BASE_URL.
 */
function contentSecurityPolicy(publicBaseUrl: string): RequestHandler {
  const media = ["'self'", new URL(publicBaseUrl).origin];
  return helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: [...media, 'data:'],
      mediaSrc: [...media, 'blob:'],
      connectSrc: media,
      workerSrc: ["'self'", 'blob:'],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
  });
}

function assetsRouter(): Router {
  const router = Router();
  for (const [name, { file, type }] of Object.entries(VENDOR)) {
    router.get(`/${name}`, (_req, res) => {
      res.sendFile(file, { maxAge: '1d', headers: { 'Content-Type': type } });
    });
  }
  router.use(express.static(STATIC_DIR, { index: false, redirect: false, maxAge: '1h' }));
  return router;
}

/** Pages get an HTML error page; the refresh script's JSON calls get the API's JSON error shape. */
const errorPage: ErrorRequestHandler = (err: unknown, req, res, next) => {
  const wantsHtml = req.accepts(['json', 'html']) === 'html' && !req.path.startsWith('/api/');
  if (!(err instanceof AppError) || !wantsHtml || res.headersSent) {
    next(err);
    return;
  }
  renderPage(req, res, 'error', { status: err.httpStatus, code: err.code, message: err.message }, err.httpStatus).catch(next);
};
