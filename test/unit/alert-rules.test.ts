import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateRules, type RuleInput } from '../../src/alerts/rules.js';
import { sample, samplesBetween, snapshot, THRESHOLDS } from '../helpers/monitoring-fixtures.js';

const NOW = new Date('2025-10-22T12:00:00Z');
const T = NOW.getTime();
const MIN = 60_000;

function input(o: Partial<RuleInput> = {}): RuleInput {
  return {
    now: NOW,
    samples: [sample(T)],
    sampleMaxAgeMs: 60_000,
    failedLastHour: 0,
    worker: snapshot({ now: NOW }),
    pollPeriodMs: 2 * MIN,
    crash: null,
    diskFull: null,
    encodeStuck: null,
    ...o,
  };
}

const rules = (o: Partial<RuleInput> = {}) => evaluateRules(input(o), THRESHOLDS);
const levelOf = (o: Partial<RuleInput>, rule: string) => rules(o).active.find((c) => c.rule === rule)?.level ?? null;

describe('alert rules', () => {
  it('raises nothing on a healthy machine', () => {
    assert.deepEqual(rules(), { active: [], unknown: [] });
  });

  it('CPU: warning only after more than 90 % for the whole 5-minute window', () => {
    assert.equal(levelOf({ samples: samplesBetween(T - 4 * MIN, T, { cpu: 95 }) }, 'cpu'), null, '4 minutes is not enough');
    assert.equal(levelOf({ samples: samplesBetween(T - 5 * MIN, T, { cpu: 95 }) }, 'cpu'), 'warning');
    assert.equal(levelOf({ samples: samplesBetween(T - 10 * MIN, T, { cpu: 90 }) }, 'cpu'), null, '90 % is not above 90 %');
    // One quiet reading in the window restarts it.
    const dip = [
      ...samplesBetween(T - 10 * MIN, T - 3 * MIN, { cpu: 95 }),
      sample(T - 3 * MIN + 5000, { cpu: 20 }),
      ...samplesBetween(T - 3 * MIN + 10_000, T, { cpu: 95 }),
    ];
    assert.equal(levelOf({ samples: dip }, 'cpu'), null);
  });

  it('CPU: critical when saturated for the window, warning while only the warning window is full', () => {
    const saturated = samplesBetween(T - 6 * MIN, T, { cpu: 100 });
    const c = rules({ samples: saturated }).active.find((x) => x.rule === 'cpu');
    assert.equal(c?.level, 'critical');
    assert.match(c?.message ?? '', /CPU at 100% for 6 min/);
    const mixed = [...samplesBetween(T - 8 * MIN, T - 2 * MIN - 10_000, { cpu: 93 }), ...samplesBetween(T - 2 * MIN, T, { cpu: 100 })];
    assert.equal(levelOf({ samples: mixed }, 'cpu'), 'warning');
  });

  it('memory and disk: warning above 80 %, critical above 95 %, with used / total in the message', () => {
    assert.equal(levelOf({ samples: [sample(T, { memory: 80 })] }, 'memory'), null);
    assert.equal(levelOf({ samples: [sample(T, { memory: 81 })] }, 'memory'), 'warning');
    assert.equal(levelOf({ samples: [sample(T, { memory: 96 })] }, 'memory'), 'critical');
    assert.equal(levelOf({ samples: [sample(T, { disk: 85 })] }, 'disk'), 'warning');
    const disk = rules({ samples: [sample(T, { disk: 97 })] }).active.find((c) => c.rule === 'disk');
    assert.equal(disk?.level, 'critical');
    assert.match(disk?.message ?? '', /97% \(485 \/ 500 GiB; critical above 95%\)/);
  });

  it('says "unknown" for system rules without a recent reading, so their alerts are kept as they are', () => {
    assert.deepEqual(rules({ samples: [] }).unknown, ['cpu', 'memory', 'disk']);
    const stale = rules({ samples: [sample(T - 2 * MIN, { memory: 99 })] });
    assert.deepEqual(stale.unknown, ['cpu', 'memory', 'disk']);
    assert.equal(stale.active.length, 0);
  });

  it('failed jobs: warning above 5 failed attempts in the last hour', () => {
    assert.equal(levelOf({ failedLastHour: 5 }, 'failed_jobs'), null);
    assert.equal(levelOf({ failedLastHour: 6 }, 'failed_jobs'), 'warning');
    assert.equal(evaluateRules(input({ failedLastHour: 1 }), { ...THRESHOLDS, failedJobsPerHour: 0 }).active[0]?.rule, 'failed_jobs');
  });

  it('worker loop: warning when no poll completed for a poll period plus 5 minutes', () => {
    const at = (minutesAgo: number) => snapshot({ now: NOW, lastTickAt: new Date(T - minutesAgo * MIN).toISOString() });
    assert.equal(levelOf({ worker: at(7) }, 'worker_delayed'), null, '2-minute period + 5 minutes');
    assert.equal(levelOf({ worker: at(8) }, 'worker_delayed'), 'warning');
    assert.equal(
      levelOf({ worker: at(50), pollPeriodMs: 60 * MIN }, 'worker_delayed'),
      null,
      'an hourly schedule is not late after 50 minutes',
    );
    assert.equal(levelOf({ worker: { ...at(60), state: 'SHUTDOWN' } }, 'worker_delayed'), null);
    const neverTicked = snapshot({ now: NOW, lastTickAt: null, startedAt: new Date(T - 10 * MIN).toISOString() });
    assert.equal(levelOf({ worker: neverTicked }, 'worker_delayed'), 'warning');
  });

  it('worker crash and full disk come from incidents, critical like a disconnected CMS', () => {
    const crash = { at: NOW.toISOString(), message: 'Worker crashed on local-j1: ffmpeg was killed' };
    assert.deepEqual(rules({ crash }).active, [{ rule: 'worker_crashed', level: 'critical', message: crash.message }]);
    assert.equal(levelOf({ diskFull: { at: NOW.toISOString(), message: 'x' } }, 'disk_full'), 'critical');
    const stuck = { at: NOW.toISOString(), message: 'local-j2: no progress for 300 s', final: false };
    assert.equal(levelOf({ encodeStuck: stuck }, 'encode_stuck'), 'warning', 'retries are left');
    assert.equal(levelOf({ encodeStuck: { ...stuck, final: true } }, 'encode_stuck'), 'critical', 'failed for good');
    const down = snapshot({
      now: NOW,
      sources: [
        {
          kind: 'appwrite',
          connected: false,
          pending: 3,
          lastPollAt: NOW.toISOString(),
          lastError: 'ECONNREFUSED',
          lastErrorCode: 'cms_error',
        },
        { kind: 'local', connected: false, pending: 0, lastPollAt: null, lastError: null, lastErrorCode: null },
      ],
    });
    const result = rules({ worker: down });
    assert.deepEqual(result.active, [{ rule: 'source:appwrite', level: 'critical', message: 'CMS appwrite disconnected: ECONNREFUSED' }]);
    assert.deepEqual(result.unknown, ['source:local'], 'a source not polled yet is neither up nor down');
  });
});
