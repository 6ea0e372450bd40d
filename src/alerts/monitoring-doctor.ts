import type { AppConfig } from '../config/config.js';

/** One line of `video-compressor doctor` (same shape as the doctor's other checks). */
export interface MonitoringCheck {
  readonly level: 'ok' | 'warn' | 'fail';
  readonly name: string;
  readonly detail: string;
}

/** Dashboard login, alert channels, daily report and /metrics, as configured. Secrets show as "set". */
export function checkMonitoring(config: AppConfig): MonitoringCheck[] {
  const { admin, alerts, server } = config;
  const checks: MonitoringCheck[] = [];
  if (admin.passwordHash === null && admin.password === null) {
    checks.push({
      level: 'warn',
      name: 'dashboard',
      detail: 'disabled: set ADMIN_PASSWORD or ADMIN_PASSWORD_HASH (video-compressor hash-password)',
    });
  } else {
    const how =
      admin.passwordHash === null ? 'ADMIN_PASSWORD (ADMIN_PASSWORD_HASH keeps the password itself out of .env)' : 'ADMIN_PASSWORD_HASH';
    const sessions = admin.sessionSecret === null ? 'sessions end at restart (no SESSION_SECRET)' : 'SESSION_SECRET set';
    checks.push({ level: 'ok', name: 'dashboard', detail: `/admin for user "${admin.user}" with ${how}; ${sessions}` });
  }
  const channels = [
    alerts.email ? `e-mail to ${alerts.email.to.join(', ')}` : null,
    alerts.slackWebhookUrl ? 'Slack' : null,
    alerts.discordWebhookUrl ? 'Discord' : null,
  ].filter((c): c is string => c !== null);
  checks.push(
    channels.length > 0
      ? { level: 'ok', name: 'alert channels', detail: channels.join(', ') }
      : {
          level: 'warn',
          name: 'alert channels',
          detail: 'none: alerts only show on the dashboard (SMTP_URL + ALERT_EMAIL_TO, SLACK_WEBHOOK_URL, DISCORD_WEBHOOK_URL)',
        },
  );
  const report =
    alerts.dailyReportCron === null
      ? 'off'
      : channels.length === 0
        ? `${alerts.dailyReportCron}, but no channel to send it to`
        : alerts.dailyReportCron;
  checks.push({ level: 'ok', name: 'daily report', detail: report });
  checks.push({ level: 'ok', name: 'metrics', detail: `GET /metrics with the API key${server.metricsToken ? ' or METRICS_TOKEN' : ''}` });
  return checks;
}
