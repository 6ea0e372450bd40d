import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ownsRule, scopedRule, splitRule } from '../../src/alerts/alert-scope.js';
import { AlertService } from '../../src/alerts/alert-service.js';
import type { Notification } from '../../src/alerts/notification.js';
import { ruleTitle } from '../../src/alerts/rules.js';
import { silentLogger } from '../../src/logging/logger.js';
import { AlertRepository } from '../../src/store/alert-repository.js';
import { openDatabase } from '../../src/store/database.js';
import { promised } from '../../src/store/store.js';
import { sample, snapshot, THRESHOLDS } from '../helpers/monitoring-fixtures.js';

const NOW = new Date('2026-12-01T12:00:00Z');

describe('alert scope', () => {
  it("names a daemon's own conditions after it on a shared store, the fleet's plainly, and nothing alone", () => {
    assert.equal(scopedRule('memory', 'encoder-a'), 'memory@encoder-a');
    assert.equal(scopedRule('source:appwrite', 'encoder-a'), 'source:appwrite@encoder-a');
    assert.equal(scopedRule('failed_jobs', 'encoder-a'), 'failed_jobs');
    assert.equal(scopedRule('memory', null), 'memory');
    assert.deepEqual(splitRule('source:wordpress@host:42'), { rule: 'source:wordpress', scope: 'host:42' });
    assert.equal(ownsRule('memory@encoder-a', 'encoder-b'), false);
    assert.equal(ownsRule('failed_jobs', 'encoder-b'), true);
    assert.equal(ownsRule('memory', 'encoder-b'), false, 'a plain per-daemon rule is nobody’s on a shared store');
    assert.equal(ownsRule('memory@encoder-a', null), true);
    assert.equal(ruleTitle('memory@encoder-a'), 'Memory usage (encoder-a)');
    assert.equal(ruleTitle('source:appwrite@encoder-a'), 'CMS appwrite disconnected (encoder-a)');
  });

  it('two daemons sharing the alerts table: one’s memory alert is never resolved by the other, the failed-jobs alert is one for both', async () => {
    const repo = new AlertRepository(openDatabase(':memory:'));
    const daemon = (scope: string, memory: number) => {
      const sent: Notification[] = [];
      const service = new AlertService({
        repo: promised(repo),
        notify: (n) => sent.push(n),
        thresholds: THRESHOLDS,
        cooldownMs: 30 * 60_000,
        pollPeriodMs: 120_000,
        samples: () => [sample(NOW, { memory })],
        failedSince: async () => THRESHOLDS.failedJobsPerHour + 1,
        now: () => NOW,
        log: silentLogger(),
        defer: () => undefined,
        scope,
      });
      service.attach(() => snapshot({ now: NOW }));
      return { service, sent };
    };
    const a = daemon('encoder-a', 85);
    const b = daemon('encoder-b', 30);
    await a.service.evaluate();
    await b.service.evaluate();
    await a.service.evaluate();
    assert.deepEqual(
      repo
        .active()
        .map((alert) => alert.rule)
        .sort(),
      ['failed_jobs', 'memory@encoder-a'],
    );
    assert.deepEqual(repo.recentResolved(10), [], 'b resolved nothing of a');
    assert.deepEqual(
      b.sent.map((n) => (n.kind === 'alert' ? `${n.change}:${n.alert.rule}` : n.kind)),
      [],
      'b announced nothing: the failed-jobs alert was already a’s to announce',
    );
  });
});
