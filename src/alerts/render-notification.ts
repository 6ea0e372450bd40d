import type { Alert } from '../store/alert-repository.js';
import { formatShortDuration } from '../format/units.js';
import type { AlertChange, Notification, RenderedMessage } from './notification.js';
import { ruleTitle } from './rules.js';

/** Who is speaking and where to look: added to every alert. */
export interface MessageContext {
  readonly workerId: string;
  /** The dashboard's URL (PUBLIC_BASE_URL/admin). */
  readonly dashboardUrl: string;
}

const LEVEL_MARK = { warning: '🟡 WARNING', critical: '🔴 CRITICAL' } as const;
const CHANGE_NOTE: Record<AlertChange, string> = { opened: '', escalated: ' (escalated)', repeated: ' (still active)', resolved: '' };

/** Renders a notification as a subject line and a plain-text body (channels add their own markup). */
export function renderNotification(notification: Notification, context: MessageContext): RenderedMessage {
  switch (notification.kind) {
    case 'report':
      return { subject: notification.subject, text: notification.text };
    case 'test':
      return {
        subject: '🧪 Test alert from video-compressor',
        text: `This is a test alert requested by ${notification.requestedBy} at ${notification.at}. If you can read it, this channel works.\nWorker: ${context.workerId}\nDashboard: ${context.dashboardUrl}`,
      };
    case 'alert':
      return renderAlert(notification.alert, notification.change, context);
  }
}

function renderAlert(alert: Alert, change: AlertChange, context: MessageContext): RenderedMessage {
  const title = ruleTitle(alert.rule);
  const footer = `Worker: ${context.workerId}\nDashboard: ${context.dashboardUrl}`;
  if (change === 'resolved') {
    const lasted = formatShortDuration(Date.parse(alert.resolvedAt ?? alert.lastSeenAt) - Date.parse(alert.firstSeenAt));
    return {
      subject: `✅ RESOLVED: ${title}`,
      text: `${title} is back to normal after ${lasted}.\nLast reading (${alert.level}): ${alert.message}\nFirst seen: ${alert.firstSeenAt}\n${footer}`,
    };
  }
  return {
    subject: `${LEVEL_MARK[alert.level]}${CHANGE_NOTE[change]}: ${title}`,
    text: `${alert.message}\nFirst seen: ${alert.firstSeenAt}\nLast seen: ${alert.lastSeenAt}\n${footer}`,
  };
}
