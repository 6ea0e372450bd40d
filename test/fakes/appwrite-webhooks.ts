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
 * base64(HMAC-SHA1(secret, rawurldecode(url) + body)). Each delivery resolves to the HTTP status (0 if refused).
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
      .update(Buffer.concat([rawUrlDecode(hook.url), Buffer.from(payload)]))
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

/**
 * PHP's rawurldecode, which the server applies to the URL before signing: every `%` followed by two
 * hex digits becomes that byte; anything else (a lone `%`, `+`) stays as it is.
 */
export function rawUrlDecode(url: string): Buffer {
  const bytes = Buffer.from(url, 'utf8');
  const out: number[] = [];
  const hex = (b: number | undefined): boolean => b !== undefined && /[0-9a-f]/i.test(String.fromCharCode(b));
  for (let i = 0; i < bytes.length; i += 1) {
    if (bytes[i] === 0x25 && hex(bytes[i + 1]) && hex(bytes[i + 2])) {
      out.push(parseInt(String.fromCharCode(bytes[i + 1]!, bytes[i + 2]!), 16));
      i += 2;
    } else out.push(bytes[i]!);
  }
  return Buffer.from(out);
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
