import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDailyReport } from '../../src/alerts/daily-report.js';
import type { Alert } from '../../src/store/alert-repository.js';
import { openDatabase } from '../../src/store/database.js';
import { Ledger } from '../../src/store/ledger.js';
import { ReportQueries } from '../../src/store/report-queries.js';

const GiB = 1024 ** 3;

describe('daily report', () => {
  it('has the daily report’s format, line for line', () => {
    const report = formatDailyReport(
      {
        at: new Date('2025-10-22T09:00:00Z'),
        summary: {
          completed: 42,
          failed: 1,
          averageProcessingMs: 8.5 * 60_000,
          outputBytes: 22 * GiB,
          topError: { code: 'source_timeout', count: 1 },
          queueWait: { count: 43, medianMs: 12_000, p95Ms: 185_000 },
        },
        pending: 12,
        activeAlerts: [],
      },
      { timeZone: 'UTC' },
    );
    assert.equal(report.subject, '📊 Video Compression Daily Report - Oct 22, 2025');
    assert.equal(
      report.text,
      [
        '📊 Video Compression Daily Report - Oct 22, 2025',
        '',
        '✅ Successfully Processed: 42 videos',
        '❌ Failed: 1 video',
        '⏳ Pending: 12 videos',
        '📦 Storage Used: 22 GiB',
        '⏱️ Avg Processing Time: 8.5 minutes',
        '⏳ Queue Wait: median 12 s · p95 3 min (43 jobs)',
        '🏆 Success Rate: 97.6%',
        '',
        'Top Error: Download timeout (1 occurrence)',
        '',
        'System Health: ✅ All systems operational',
      ].join('\n'),
    );
  });

  it('says n/a on a quiet day and lists open alerts in the health line', () => {
    const alert = { rule: 'disk', level: 'critical' } as Alert;
    const report = formatDailyReport(
      {
        at: new Date('2025-10-22T09:00:00Z'),
        summary: {
          completed: 0,
          failed: 0,
          averageProcessingMs: null,
          outputBytes: 0,
          topError: null,
          queueWait: { count: 0, medianMs: null, p95Ms: null },
        },
        pending: 1,
        activeAlerts: [alert],
      },
      { timeZone: 'UTC' },
    );
    assert.match(report.text, /⏳ Pending: 1 video\n/);
    assert.match(report.text, /⏱️ Avg Processing Time: n\/a/);
    assert.match(report.text, /⏳ Queue Wait: n\/a/);
    assert.match(report.text, /🏆 Success Rate: n\/a/);
    assert.match(report.text, /Top Error: none/);
    assert.match(report.text, /System Health: 🔴 1 open alert: Disk usage \(critical\)$/);
  });

  it('takes its figures from the ledger: the last 24 hours, final failures, the most frequent error', () => {
    const db = openDatabase(':memory:');
    let now = new Date('2025-10-21T08:00:00Z');
    const waits = [999, 5, 60, 1, 20, 3600];
    const ledger = new Ledger({ db, now: () => now });
    const attempt = (
      status: 'completed' | 'failed' | 'retrying',
      extra: { errorCode?: string; outputBytes?: number; processingMs?: number } = {},
    ) => {
      // Each became due `waited` seconds before its claim.
      const queuedAt = new Date(now.getTime() - (waits.shift() ?? 0) * 1000).toISOString();
      const id = ledger.start({ key: 'local-x', source: 'local', recordId: 'x', title: null, workerId: 'w', queuedAt });
      ledger.finish(id, { status, ...extra });
    };
    attempt('completed', { outputBytes: 100, processingMs: 1000 }); // before the window
    now = new Date('2025-10-21T10:00:00Z');
    attempt('completed', { outputBytes: 300, processingMs: 2000 });
    attempt('completed', { outputBytes: 700, processingMs: 4000 });
    attempt('retrying', { errorCode: 'source_timeout' });
    attempt('retrying', { errorCode: 'source_timeout' });
    attempt('failed', { errorCode: 'invalid_format' });
    const queries = new ReportQueries(db);
    const summary = queries.summary(new Date('2025-10-21T09:00:00Z'), new Date('2025-10-22T09:00:00Z'));
    assert.deepEqual(summary, {
      completed: 2,
      failed: 1,
      averageProcessingMs: 3000,
      outputBytes: 1000,
      topError: { code: 'source_timeout', count: 2 },
      // 1, 5, 20, 60, 3600 s inside the window (the 999 s attempt is before it): median 20 s, p95 the slowest.
      queueWait: { count: 5, medianMs: 20_000, p95Ms: 3_600_000 },
    });
    assert.equal(queries.failedAttemptsSince(new Date('2025-10-21T09:30:00Z')), 3);
    const days = queries.dailyOutcomes(3, new Date('2025-10-22T09:00:00Z'));
    assert.deepEqual(days, [
      { day: '2025-10-20', completed: 0, failed: 0 },
      { day: '2025-10-21', completed: 3, failed: 1 },
      { day: '2025-10-22', completed: 0, failed: 0 },
    ]);
  });
});
