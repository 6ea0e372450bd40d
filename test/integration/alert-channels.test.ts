import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createWebhookChannel } from '../../src/alerts/channels/webhook-channel.js';
import { createEmailChannel } from '../../src/alerts/channels/email-channel.js';
import { Monitoring } from '../../src/alerts/monitoring.js';
import { Notifier } from '../../src/alerts/notifier.js';
import type { SystemSampler } from '../../src/alerts/system-sample.js';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/logging/logger.js';
import type { WorkerControl } from '../../src/domain/worker.js';
import { openDatabase } from '../../src/store/database.js';
import { sqliteStore } from '../../src/store/sqlite-store.js';
import { startServer, type TestServer } from '../helpers/http-fixtures.js';
import { startSmtp, type TestSmtp } from '../helpers/mail-fixtures.js';
import { sample, snapshot } from '../helpers/monitoring-fixtures.js';

const SMTP_PASSWORD = 'smtp-secret-password-42';
const SLACK_PATH = '/services/T0000/B0000/slack-secret-token';
const DISCORD_PATH = '/api/webhooks/1234/discord-secret-token';

/** A webhook receiver recording JSON bodies; answers `statuses` in turn, then 204. */
async function receiver(statuses: number[] = []): Promise<TestServer & { bodies: any[] }> {
  const bodies: any[] = [];
  const server = await startServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = statuses.shift() ?? 204;
      if (status < 300) bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(status).end();
    });
  });
  return Object.assign(server, { bodies });
}

/** Logs captured as text, to prove secrets never reach them. */
function capturingLogger() {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }));
  return { log, text: () => lines.join('') };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('alert channels against real receivers', () => {
  let smtp: TestSmtp;
  let slack: Awaited<ReturnType<typeof receiver>>;
  let discord: Awaited<ReturnType<typeof receiver>>;
  before(async () => {
    smtp = await startSmtp({ user: 'alerts', password: SMTP_PASSWORD });
    slack = await receiver();
    discord = await receiver();
  });
  after(async () => {
    await Promise.all([smtp.close(), slack.close(), discord.close()]);
  });

  it('e-mails critical alerts and the daily report; Slack and Discord get every alert', async () => {
    const storage = mkdtempSync(path.join(tmpdir(), 'vc-alerts-'));
    const config = loadConfig({
      envFile: false,
      cwd: storage,
      env: {
        STORAGE_DIR: storage,
        SMTP_URL: `smtp://alerts:${SMTP_PASSWORD}@127.0.0.1:${smtp.port}`,
        ALERT_EMAIL_FROM: 'vc@example.com',
        ALERT_EMAIL_TO: 'ops@example.com, oncall@example.com',
        SLACK_WEBHOOK_URL: slack.url(SLACK_PATH),
        DISCORD_WEBHOOK_URL: discord.url(DISCORD_PATH),
        PUBLIC_BASE_URL: 'https://vc.example',
        WORKER_ID: 'vc-1',
      },
    });
    const now = () => new Date('2025-10-22T09:00:00Z');
    const store = sqliteStore(openDatabase(':memory:'), now);
    const { at: _at, ...reading } = sample(now(), { memory: 85 });
    const sampler: SystemSampler = { sample: async () => reading };
    const crons: string[] = [];
    const logs = capturingLogger();
    const monitoring = new Monitoring({
      config,
      store,
      jobs: null,
      log: logs.log,
      now,
      sampler,
      schedule: (expr) => (crons.push(expr), { stop: () => undefined }),
    });
    const worker = {
      snapshot: () =>
        snapshot({
          now: now(),
          sources: [{ kind: 'local', connected: true, pending: 12, lastPollAt: now().toISOString(), lastError: null, lastErrorCode: null }],
        }),
    } as WorkerControl;
    monitoring.start(worker);
    await monitoring.monitor.sampleNow(); // memory at 85 %: a warning
    monitoring.events.emit({ type: 'worker_crashed', key: 'local-j42', reason: 'FFmpeg was killed by signal SIGKILL' });
    await tick();
    await monitoring.sendDailyReport();
    await monitoring.notifier.settled();
    monitoring.stop();

    assert.deepEqual(crons, ['0 9 * * *'], 'the daily report is scheduled with DAILY_REPORT_CRON');
    assert.deepEqual(
      smtp.mails.map((m) => m.subject),
      ['🔴 CRITICAL: Worker crashed', '📊 Video Compression Daily Report - Oct 22, 2025'],
      'no e-mail for the warning',
    );
    const [critical, report] = smtp.mails;
    assert.equal(critical?.user, 'alerts', 'authenticated with the SMTP_URL credentials');
    assert.equal(critical?.from, 'vc@example.com');
    assert.deepEqual(critical?.to, ['ops@example.com', 'oncall@example.com']);
    assert.match(critical?.text ?? '', /Worker crashed on local-j42: FFmpeg was killed by signal SIGKILL\n/);
    assert.match(critical?.text ?? '', /Dashboard: https:\/\/vc\.example\/admin/);
    assert.match(report?.text ?? '', /✅ Successfully Processed: 0 videos\n❌ Failed: 0 videos\n⏳ Pending: 12 videos\n/);
    assert.match(
      report?.text ?? '',
      /System Health: 🔴 2 open alerts: Memory usage \(warning\), Worker crashed \(critical\)|System Health: 🔴 2 open alerts: Worker crashed \(critical\), Memory usage \(warning\)/,
    );

    for (const hook of [slack, discord]) assert.equal(hook.bodies.length, 3, 'warning, critical and report');
    assert.match(slack.bodies[0].text, /^\*🟡 WARNING: Memory usage\*\nMemory at 85% \(13.6 \/ 16 GiB; warning above 80%\)/);
    assert.match(discord.bodies[1].content, /^\*\*🔴 CRITICAL: Worker crashed\*\*\n/);
    assert.deepEqual(discord.bodies[1].allowed_mentions, { parse: [] });
    assert.match(discord.bodies[2].content, /Daily Report/);

    const logText = logs.text();
    for (const secret of [SMTP_PASSWORD, 'slack-secret-token', 'discord-secret-token'])
      assert.ok(!logText.includes(secret), `logs leak ${secret}`);
  });

  it('a failing channel is logged and retried until the message gets through', async () => {
    const flakySmtp = await startSmtp({ user: 'alerts', password: SMTP_PASSWORD, failFirst: 1 });
    const flakyHook = await receiver([500, 502]);
    const logs = capturingLogger();
    const notifier = new Notifier({
      channels: [
        createEmailChannel({
          smtpUrl: `smtp://alerts:${SMTP_PASSWORD}@127.0.0.1:${flakySmtp.port}`,
          from: 'vc@example.com',
          to: ['ops@example.com'],
        }),
        createWebhookChannel({ kind: 'discord', url: flakyHook.url(DISCORD_PATH) }),
      ],
      context: { workerId: 'vc-1', dashboardUrl: 'https://vc.example/admin' },
      log: logs.log,
      retryDelaysMs: [20, 20, 20],
    });
    try {
      notifier.notify({ kind: 'report', subject: 'report', text: 'body' });
      const deadline = Date.now() + 10_000;
      while (notifier.pending() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(notifier.pending(), 0);
      assert.equal(flakySmtp.refused(), 1);
      assert.equal(flakySmtp.mails.length, 1);
      assert.equal(flakyHook.bodies.length, 1, 'delivered once, after two failures');
      const text = logs.text();
      assert.match(text, /discord webhook answered HTTP 500/);
      assert.match(text, /notification failed; will retry/);
      assert.match(text, /notification delivered after retrying/);
      assert.ok(!text.includes('discord-secret-token') && !text.includes(SMTP_PASSWORD));
    } finally {
      notifier.stop();
      await Promise.all([flakySmtp.close(), flakyHook.close()]);
    }
  });

  it('escapes Slack markup and mutes Discord mentions in text that came from a CMS', async () => {
    const hook = await receiver();
    try {
      const message = { subject: 'CRITICAL: <!channel> & friends', text: 'title: @everyone <script>' };
      await createWebhookChannel({ kind: 'slack', url: hook.url(SLACK_PATH) }).send(message);
      await createWebhookChannel({ kind: 'discord', url: hook.url(DISCORD_PATH) }).send(message);
      assert.equal(hook.bodies[0].text, '*CRITICAL: &lt;!channel&gt; &amp; friends*\ntitle: @everyone &lt;script&gt;');
      assert.deepEqual(hook.bodies[1].allowed_mentions, { parse: [] });
      await assert.rejects(createWebhookChannel({ kind: 'slack', url: 'http://127.0.0.1:1/hook-secret' }).send(message), (err: Error) => {
        assert.match(err.message, /slack webhook unreachable/);
        assert.ok(!err.message.includes('hook-secret'));
        return true;
      });
    } finally {
      await hook.close();
    }
  });

  it('the test button reports every channel, and an unconfigured daemon has none', async () => {
    const notifier = new Notifier({ channels: [], context: { workerId: 'x', dashboardUrl: 'y' }, log: silentLogger() });
    assert.deepEqual(await notifier.sendNow({ kind: 'test', requestedBy: 'ops', at: 'now' }), []);
  });
});
