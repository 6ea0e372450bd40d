import { Router } from 'express';
import type { ChannelResult } from '../../alerts/notifier.js';
import type { Notification } from '../../alerts/notification.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import type { Alert } from '../../store/alert-repository.js';
import { safeReturnPath, type SessionGuard } from './admin-session.js';
import { buildOverview, type DashboardSources } from './overview-model.js';
import { flash, renderPage } from './render-view.js';

/** Dependencies of {@link dashboardRouter}. */
export interface DashboardRouteDeps extends DashboardSources {
  readonly alertService: { acknowledge(id: number, by: string): Promise<Alert | null> };
  readonly notifier: { sendNow(notification: Notification): Promise<ChannelResult[]>; readonly channelNames: readonly string[] };
  readonly log: Logger;
}

/** The dashboard router also needs the session guard (logout). */
export interface DashboardRouterOptions extends DashboardRouteDeps {
  readonly guard: SessionGuard;
}

/** The overview page, its JSON for the 10-second refresh, and the alert actions. Mounted behind the login. */
export function dashboardRouter(deps: DashboardRouterOptions): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    await renderPage(req, res, 'overview', { model: await buildOverview(deps), channels: deps.notifier.channelNames });
  });

  router.get('/api/overview', async (_req, res) => {
    res.set('Cache-Control', 'no-store').json(await buildOverview(deps));
  });

  router.post('/alerts/:id/ack', async (req, res) => {
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || id <= 0) throw new AppError('invalid_request', 'alert id must be a positive integer');
    const alert = await deps.alertService.acknowledge(id, String(res.locals.user));
    flash(req, alert ? `Alert “${alert.message}” acknowledged.` : 'That alert is no longer open.');
    res.redirect(303, safeReturnPath((req.body as Record<string, unknown>).returnTo));
  });

  router.post('/alerts/test', async (req, res) => {
    const user = String(res.locals.user);
    const results = await deps.notifier.sendNow({ kind: 'test', requestedBy: user, at: deps.now().toISOString() });
    deps.log.info({ user, results }, 'test alert sent');
    flash(req, describeResults(results));
    res.redirect(303, '/admin');
  });

  router.post('/logout', (req, res) => {
    deps.log.info({ user: res.locals.user }, 'admin logged out');
    deps.guard.logOut(req);
    res.redirect(303, '/admin/login');
  });

  return router;
}

function describeResults(results: readonly ChannelResult[]): string {
  if (results.length === 0)
    return 'No alert channel is configured: set SMTP_URL and ALERT_EMAIL_TO, SLACK_WEBHOOK_URL or DISCORD_WEBHOOK_URL.';
  const parts = results.map((r) => (r.ok ? `${r.channel}: sent` : `${r.channel}: FAILED (${r.error ?? 'unknown error'})`));
  return `Test alert — ${parts.join('; ')}.`;
}
