/** The fake Appwrite server's webhooks: which events a row write raises, and deliveries signed as the server signs them. */
import { createHmac } from 'node:crypto';
import type { FakeRow, FakeTable } from './appwrite-store.js';

export interface FakeWebhook {
  readonly url: string;
  readonly secret: string;
  /** Subscribed events, wildcards allowed, e.g. `databases.*.tables.videos.rows.*.create`. */
  readonly events: readonly string[];
}

/**
 * Posts the row to every hook subscribed to one of the write's events, signed like the server's:
 * base64(HMAC-SHA1(secret, url + body)). Each delivery resolves to the HTTP status (0 if refused).
 */
export function deliverWebhooks(
  hooks: readonly FakeWebhook[],
  project: string,
  table: FakeTable,
  row: FakeRow,
  action: 'create' | 'update',
): Array<Promise<number>> {
  const events = eventNames(table.databaseId, table.$id, row.$id, action);
  const deliveries: Array<Promise<number>> = [];
  for (const hook of hooks) {
    if (!events.some((event) => hook.events.some((pattern) => wildcardMatch(pattern, event)))) continue;
    const payload = JSON.stringify(row);
    const signature = createHmac('sha1', hook.secret)
      .update(hook.url + payload)
      .digest('base64');
    const headers = {
      'Content-Type': 'application/json',
      'X-Appwrite-Webhook-Id': 'hook1',
      'X-Appwrite-Webhook-Events': events.join(','),
      'X-Appwrite-Webhook-Name': 'video-compressor',
      'X-Appwrite-Webhook-Project-Id': project,
      'X-Appwrite-Webhook-Signature': signature,
    };
    deliveries.push(
      fetch(hook.url, { method: 'POST', headers, body: payload }).then(
        (r) => r.status,
        () => 0,
      ),
    );
  }
  return deliveries;
}

function eventNames(db: string, table: string, id: string, action: string): string[] {
  const names: string[] = [];
  for (const [tables, rows] of [
    ['tables', 'rows'],
    ['collections', 'documents'],
  ] as const) {
    for (const d of [db, '*'])
      for (const t of [table, '*']) for (const r of [id, '*']) names.push(`databases.${d}.${tables}.${t}.${rows}.${r}.${action}`);
  }
  return names;
}

function wildcardMatch(pattern: string, event: string): boolean {
  const a = pattern.split('.');
  const b = event.split('.');
  return a.length === b.length && a.every((part, i) => part === '*' || part === b[i]);
}
