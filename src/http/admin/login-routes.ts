import express, { Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import type { AdminCredentials } from './admin-credentials.js';
import { safeReturnPath, verifyCsrf, type SessionGuard } from './admin-session.js';
import { renderPage } from './render-view.js';

/** Dependencies of {@link loginRouter}. */
export interface LoginRouteDeps {
  readonly credentials: AdminCredentials;
  readonly guard: SessionGuard;
  readonly log: Logger;
}

export const LOGIN_WINDOW_MS = 15 * 60_000;
/** Failed attempts allowed per client address and window (successful logins do not count). */
export const LOGIN_ATTEMPTS = 10;

/** GET/POST /login. Attempts are rate-limited per address; the form carries a CSRF token like every other. */
export function loginRouter({ credentials, guard, log }: LoginRouteDeps): Router {
  const router = Router();
  const limiter = rateLimit({
    windowMs: LOGIN_WINDOW_MS,
    limit: LOGIN_ATTEMPTS,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    logger: {
      error: (err, message) => log.error({ err }, message ?? 'login rate limiter'),
      warn: (err, message) => log.warn({ err }, message ?? 'login rate limiter'),
    },
    handler: (_req, _res, next) => next(new AppError('rate_limited', 'too many login attempts from this address; try again in 15 minutes')),
  });

  router.get('/login', async (req, res) => {
    if (guard.currentUser(req) !== null) {
      res.redirect(303, safeReturnPath(req.query.next));
      return;
    }
    await renderPage(req, res, 'login', { next: safeReturnPath(req.query.next), error: null });
  });

  router.post('/login', limiter, express.urlencoded({ extended: false, limit: '4kb' }), verifyCsrf, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const user = typeof body.user === 'string' ? body.user : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const next = safeReturnPath(body.next);
    if (!(await credentials.verify(user, password))) {
      // The address and the name tried, never the password.
      log.warn({ ip: req.ip, user: user.slice(0, 64) }, 'admin login failed');
      await renderPage(req, res, 'login', { next, error: 'Wrong user name or password.' }, 401);
      return;
    }
    guard.logIn(req, user);
    log.info({ ip: req.ip, user }, 'admin logged in');
    res.redirect(303, next);
  });
  return router;
}
