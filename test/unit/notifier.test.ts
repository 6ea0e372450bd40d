import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AlertChannel, Notification, RenderedMessage } from '../../src/alerts/notification.js';
import { Notifier, type Scheduler } from '../../src/alerts/notifier.js';
import { silentLogger } from '../../src/logging/logger.js';
import type { Alert } from '../../src/store/alert-repository.js';

const context = { workerId: 'host:1', dashboardUrl: 'https://vc.example/admin' };

function alert(level: Alert['level'], rule = 'memory'): Notification {
  const a: Alert = {
    id: 1,
    rule,
    level,
    status: 'open',
    message: 'Memory at 96% (15.4 / 16 GiB; critical above 95%)',
    firstSeenAt: '2025-10-22T12:00:00.000Z',
    lastSeenAt: '2025-10-22T12:00:00.000Z',
    lastNotifiedAt: null,
    notifications: 0,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
  };
  return { kind: 'alert', change: 'opened', alert: a };
}

/** A channel whose sends succeed or fail as scripted; `hang` leaves a send pending forever. */
function fakeChannel(name: string, script: Array<'ok' | 'fail' | 'hang'> = [], accepts: (n: Notification) => boolean = () => true) {
  const delivered: RenderedMessage[] = [];
  let attempts = 0;
  const channel: AlertChannel = {
    name,
    accepts,
    send(message) {
      const step = script[attempts] ?? 'ok';
      attempts += 1;
      if (step === 'hang') return new Promise(() => undefined);
      if (step === 'fail') return Promise.reject(new Error(`${name} is down`));
      delivered.push(message);
      return Promise.resolve();
    },
  };
  return { channel, delivered, attempts: () => attempts };
}

function manualScheduler() {
  const timers: Array<{ fn: () => void; ms: number }> = [];
  const schedule: Scheduler = (fn, ms) => {
    const timer = { fn, ms };
    timers.push(timer);
    return () => timers.splice(timers.indexOf(timer), 1);
  };
  return { schedule, timers, fire: () => timers.splice(0).forEach((t) => t.fn()) };
}

describe('Notifier', () => {
  it('delivers to every accepting channel; e-mail-like channels can refuse warnings', async () => {
    const chat = fakeChannel('slack');
    const mail = fakeChannel('email', [], (n) => n.kind !== 'alert' || n.alert.level === 'critical');
    const notifier = new Notifier({ channels: [chat.channel, mail.channel], context, log: silentLogger() });
    notifier.notify(alert('warning'));
    notifier.notify(alert('critical'));
    await notifier.settled();
    assert.deepEqual(
      chat.delivered.map((m) => m.subject),
      ['🟡 WARNING: Memory usage', '🔴 CRITICAL: Memory usage'],
    );
    assert.deepEqual(
      mail.delivered.map((m) => m.subject),
      ['🔴 CRITICAL: Memory usage'],
    );
    assert.match(chat.delivered[0]?.text ?? '', /Dashboard: https:\/\/vc\.example\/admin/);
  });

  it('retries a failing channel later, in order, without holding up the others', async () => {
    const timers = manualScheduler();
    const flaky = fakeChannel('discord', ['fail', 'fail']);
    const healthy = fakeChannel('slack');
    const notifier = new Notifier({
      channels: [flaky.channel, healthy.channel],
      context,
      log: silentLogger(),
      schedule: timers.schedule,
      retryDelaysMs: [30_000, 60_000],
    });
    notifier.notify(alert('critical'));
    notifier.notify({ kind: 'report', subject: 'daily', text: 'report' });
    await notifier.settled();
    assert.equal(healthy.delivered.length, 2, 'the healthy channel got both at once');
    assert.equal(flaky.delivered.length, 0);
    assert.deepEqual(
      timers.timers.map((t) => t.ms),
      [30_000],
    );
    assert.equal(notifier.pending(), 2);
    timers.fire();
    await notifier.settled();
    assert.deepEqual(
      timers.timers.map((t) => t.ms),
      [60_000],
      'second failure: the next delay',
    );
    timers.fire();
    await notifier.settled();
    assert.deepEqual(
      flaky.delivered.map((m) => m.subject),
      ['🔴 CRITICAL: Memory usage', 'daily'],
      'delivered in order after the retry',
    );
    assert.equal(notifier.pending(), 0);
  });

  it('drops a message after its last retry, and the oldest ones when the queue is full', async () => {
    const timers = manualScheduler();
    const dead = fakeChannel('slack', Array(10).fill('fail'));
    const notifier = new Notifier({
      channels: [dead.channel],
      context,
      log: silentLogger(),
      schedule: timers.schedule,
      retryDelaysMs: [1],
      maxQueue: 3,
    });
    for (let i = 0; i < 5; i += 1) notifier.notify({ kind: 'report', subject: `r${i}`, text: '' });
    assert.equal(notifier.pending(), 3, 'bounded');
    await notifier.settled();
    timers.fire();
    await notifier.settled();
    assert.equal(notifier.pending(), 2, 'the head was dropped after its only retry');
  });

  it('notify returns at once even when a channel hangs', () => {
    const stuck = fakeChannel('slack', ['hang']);
    const notifier = new Notifier({ channels: [stuck.channel], context, log: silentLogger() });
    const started = performance.now();
    for (let i = 0; i < 50; i += 1) notifier.notify(alert('critical'));
    assert.ok(performance.now() - started < 50);
    assert.equal(stuck.attempts(), 1, 'one send in flight per channel');
    notifier.stop();
  });

  it('sendNow reports each channel’s outcome (the dashboard’s test button)', async () => {
    const ok = fakeChannel('email');
    const bad = fakeChannel('slack', ['fail']);
    const notifier = new Notifier({ channels: [ok.channel, bad.channel], context, log: silentLogger() });
    const results = await notifier.sendNow({ kind: 'test', requestedBy: 'ops', at: '2025-10-22T12:00:00Z' });
    assert.deepEqual(results, [
      { channel: 'email', ok: true },
      { channel: 'slack', ok: false, error: 'slack is down' },
    ]);
    assert.match(ok.delivered[0]?.subject ?? '', /Test alert/);
  });
});
