import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Request, Response } from 'express';
import ejs from 'ejs';
import { csrfToken, sessionOf } from './admin-session.js';

/** views/admin/, the same from src/http/admin and dist/http/admin. */
export const VIEWS_DIR = fileURLToPath(new URL('../../../views/admin/', import.meta.url));

/** Dashboard refresh period: live figures every 10 seconds. */
export const REFRESH_MS = 10_000;

/** Renders views/admin/<view>.ejs. Templates escape every value (`<%=`); `<%-` is only used for includes. */
export async function renderView(res: Response, view: string, locals: Record<string, unknown>, status = 200): Promise<void> {
  const html = await ejs.renderFile(
    path.join(VIEWS_DIR, `${view}.ejs`),
    { page: view, refreshMs: REFRESH_MS, user: null, flash: null, csrf: '', ...locals },
    { cache: true },
  );
  res.status(status).set('Cache-Control', 'no-store').type('html').send(html);
}

/** A page behind the session: adds the CSRF token, the user and the one-time flash message. */
export async function renderPage(
  req: Request,
  res: Response,
  view: string,
  locals: Record<string, unknown> = {},
  status = 200,
): Promise<void> {
  const session = sessionOf(req);
  const flash = session.flash ?? null;
  delete session.flash;
  await renderView(res, view, { csrf: csrfToken(req), user: (res.locals.user as string | undefined) ?? null, flash, ...locals }, status);
}

/** Sets the message shown once on the next page (after a redirect). */
export function flash(req: Request, message: string): void {
  sessionOf(req).flash = message;
}
