import { randomBytes } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import cookieSession from 'cookie-session';
import { AppError } from '../../errors.js';
import type { AdminCredentials } from './admin-credentials.js';
import { matchesDigest, secretDigest } from '../secret-compare.js';

/** What the signed session cookie holds. Nothing secret: it is signed, not encrypted. */
export interface AdminSessionData {
  /** Set once logged in. */
  user?: string;
  /** Random id of the login, for logout revocation. */
  sid?: string;
  /** Issued at (epoch ms) of the login. */
  iat?: number;
  /** {@link AdminCredentials.generation} at login. */
  gen?: string;
  csrf?: string;
  /** A one-time message for the next page. */
  flash?: string;
}

export const SESSION_COOKIE = 'vc_admin';
export const SESSION_MAX_AGE_MS = 12 * 3_600_000;

/**
 * cookie-session, scoped to /admin: httpOnly, SameSite=Strict, and Secure whenever the request
 * came over TLS (directly, or per X-Forwarded-Proto from a trusted proxy: TRUST_PROXY).
 */
export function sessionMiddleware(secret: string): RequestHandler {
  const session = cookieSession({
    name: SESSION_COOKIE,
    keys: [secret],
    path: '/admin',
    httpOnly: true,
    sameSite: 'strict',
    maxAge: SESSION_MAX_AGE_MS,
  });
  return (req, res, next) => {
    session(req, res, (err?: unknown) => {
      if (err) {
        next(err);
        return;
      }
      req.sessionOptions.secure = req.secure;
      next();
    });
  };
}

/** The session of this request, created on first write. */
export function sessionOf(req: Request): AdminSessionData {
  if (!req.session) req.session = {};
  return req.session as AdminSessionData;
}

/** The session's CSRF token, minted on first use. Every form carries it as `_csrf`. */
export function csrfToken(req: Request): string {
  const session = sessionOf(req);
  session.csrf ??= randomBytes(24).toString('base64url');
  return session.csrf;
}

/** Every state-changing request must echo the session's token (form field `_csrf` or header `X-CSRF-Token`). */
export const verifyCsrf: RequestHandler = (req, _res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD') {
    next();
    return;
  }
  const expected = sessionOf(req).csrf;
  const body = req.body as Record<string, unknown> | undefined;
  const given = typeof body?._csrf === 'string' ? body._csrf : req.get('x-csrf-token');
  const ok = expected !== undefined && given !== undefined && matchesDigest(given, secretDigest(expected));
  next(ok ? undefined : new AppError('forbidden', 'missing or wrong CSRF token; reload the page and try again'));
};

/**
 * Who is logged in. The session lives in a signed cookie; logging out also remembers the session
 * id until it would have expired anyway, so a copy of the cookie cannot be replayed afterwards
 * (in this process: with SESSION_SECRET set, a restart forgets it, like any in-memory list).
 */
export class SessionGuard {
  private readonly revoked = new Map<string, number>();

  constructor(
    private readonly credentials: AdminCredentials,
    private readonly now: () => Date,
  ) {}

  /** A fresh session for `user`: new id and CSRF token, so one obtained before login is useless after. */
  logIn(req: Request, user: string): void {
    req.session = {
      user,
      sid: randomBytes(16).toString('base64url'),
      iat: this.now().getTime(),
      gen: this.credentials.generation,
      csrf: randomBytes(24).toString('base64url'),
    };
  }

  logOut(req: Request): void {
    const session = req.session as AdminSessionData | null | undefined;
    const nowMs = this.now().getTime();
    for (const [sid, until] of this.revoked) if (until <= nowMs) this.revoked.delete(sid);
    if (session?.sid && session.iat !== undefined) this.revoked.set(session.sid, session.iat + SESSION_MAX_AGE_MS);
    req.session = null;
  }

  /** The logged-in user; null when the session is missing, expired, logged out or from before a password change. */
  currentUser(req: Request): string | null {
    const session = req.session as AdminSessionData | null | undefined;
    if (!session?.user || !session.sid || session.gen !== this.credentials.generation || session.iat === undefined) return null;
    if (this.revoked.has(session.sid)) return null;
    const age = this.now().getTime() - session.iat;
    return age >= 0 && age < SESSION_MAX_AGE_MS ? session.user : null;
  }

  /**
   * Guards everything after it: pages redirect to the login (coming back afterwards), anything
   * else (JSON, forms) answers 401.
   */
  requireLogin(): RequestHandler {
    return (req, res, next) => {
      const user = this.currentUser(req);
      if (user !== null) {
        res.locals.user = user;
        next();
        return;
      }
      if (req.method === 'GET' && req.accepts(['html', 'json']) === 'html') {
        res.redirect(303, `/admin/login?next=${encodeURIComponent(req.originalUrl)}`);
        return;
      }
      next(new AppError('unauthorized', 'log in first'));
    };
  }
}

/** Only our own pages: `/admin…`, never `//host` or a full URL. */
export function safeReturnPath(value: unknown, fallback = '/admin'): string {
  return typeof value === 'string' && /^\/admin(?:[/?#]|$)/.test(value) && !value.includes('\\') ? value : fallback;
}
