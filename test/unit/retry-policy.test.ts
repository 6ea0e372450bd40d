import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors.js';
import { decideFailure, describeSchedule, maxAttempts } from '../../src/pipeline/retry-policy.js';
import { MAX_RETRY_ERRORS } from '../../src/domain/record.js';
import type { VideoRecord } from '../../src/domain/record.js';

const HOUR = 3_600_000;
const DELAYS = [0, HOUR, 6 * HOUR] as const;
const NOW = new Date('2026-03-01T10:00:00.000Z');

function record(retryCount: number, retryErrors: string[] = []): VideoRecord {
  return {
    source: 'local',
    id: 'job-1',
    sourceUrl: 'https://cdn.example.com/a.mp4',
    status: 'processing',
    priority: 5,
    title: null,
    retryCount,
    retryErrors,
    createdAt: '2026-03-01T09:00:00.000Z',
    updatedAt: '2026-03-01T09:00:00.000Z',
    nextAttemptAt: null,
    claimedBy: 'host:1',
    heartbeatAt: null,
    ladder: [],
  };
}

const retryable = new AppError('source_network_error', 'Network error (ECONNRESET): socket hang up');
const permanent = new AppError('source_not_found', 'The source answered 404.');

describe('decideFailure', () => {
  const schedule: Array<[number, number, string]> = [
    [0, 1, '2026-03-01T10:00:00.000Z'],
    [1, 2, '2026-03-01T11:00:00.000Z'],
    [2, 3, '2026-03-01T16:00:00.000Z'],
  ];
  for (const [before, after, next] of schedule) {
    it(`retryable error at retry_count ${before} → pending, retry_count ${after}, next ${next}`, () => {
      const failure = decideFailure({ record: record(before), error: retryable, now: NOW, delaysMs: DELAYS });
      assert.equal(failure.status, 'pending');
      assert.equal(failure.retryCount, after);
      assert.equal(failure.nextAttemptAt, next);
      assert.equal(failure.lastRetryAt, NOW.toISOString());
      assert.equal(failure.error, retryable.message);
      assert.equal(failure.errorCode, 'source_network_error');
    });
  }

  it('retryable error with no retries left → failed, retry_count unchanged', () => {
    const failure = decideFailure({ record: record(3), error: retryable, now: NOW, delaysMs: DELAYS });
    assert.deepEqual(
      { status: failure.status, retryCount: failure.retryCount, nextAttemptAt: failure.nextAttemptAt },
      {
        status: 'failed',
        retryCount: 3,
        nextAttemptAt: null,
      },
    );
  });

  it('permanent error on the first attempt → failed with retry_count 0', () => {
    const failure = decideFailure({ record: record(0), error: permanent, now: NOW, delaysMs: DELAYS });
    assert.equal(failure.status, 'failed');
    assert.equal(failure.retryCount, 0);
    assert.equal(failure.nextAttemptAt, null);
    assert.equal(failure.errorCode, 'source_not_found');
  });

  it('honours a per-error retryable override (429)', () => {
    const throttled = new AppError('source_http_error', 'HTTP 429', { retryable: true });
    assert.equal(decideFailure({ record: record(0), error: throttled, now: NOW, delaysMs: DELAYS }).status, 'pending');
  });

  it('fails at once when no retries are configured', () => {
    assert.equal(decideFailure({ record: record(0), error: retryable, now: NOW, delaysMs: [] }).status, 'failed');
  });

  it('appends one line per attempt, newest last', () => {
    const failure = decideFailure({
      record: record(1, ['2026-03-01T09:00:00.000Z source_timeout: first']),
      error: retryable,
      now: NOW,
      delaysMs: DELAYS,
    });
    assert.deepEqual(failure.retryErrors, [
      '2026-03-01T09:00:00.000Z source_timeout: first',
      '2026-03-01T10:00:00.000Z source_network_error: Network error (ECONNRESET): socket hang up',
    ]);
  });

  it('keeps entries on one line and truncates long messages', () => {
    const long = new AppError('ffmpeg_failed', `line one\nline two ${'x'.repeat(2000)}`);
    const [entry] = decideFailure({ record: record(0), error: long, now: NOW, delaysMs: DELAYS }).retryErrors;
    assert.ok(entry);
    assert.doesNotMatch(entry, /\n/);
    assert.ok(entry.startsWith('2026-03-01T10:00:00.000Z ffmpeg_failed: line one line two x'));
    assert.ok(entry.length <= '2026-03-01T10:00:00.000Z ffmpeg_failed: '.length + 500, `length ${entry.length}`);
    assert.ok(entry.endsWith('…'));
  });

  it(`keeps only the last ${MAX_RETRY_ERRORS} entries`, () => {
    const previous = Array.from({ length: MAX_RETRY_ERRORS }, (_, i) => `old ${i}`);
    const { retryErrors } = decideFailure({ record: record(0, previous), error: permanent, now: NOW, delaysMs: DELAYS });
    assert.equal(retryErrors.length, MAX_RETRY_ERRORS);
    assert.equal(retryErrors[0], 'old 1');
    assert.match(retryErrors.at(-1) ?? '', /source_not_found/);
  });

  it('does not mutate the record', () => {
    const errors = ['a'];
    decideFailure({ record: record(0, errors), error: retryable, now: NOW, delaysMs: DELAYS });
    assert.deepEqual(errors, ['a']);
  });
});

describe('describeSchedule and maxAttempts', () => {
  it('counts the first attempt plus one per delay', () => {
    assert.equal(maxAttempts(DELAYS), 4);
    assert.equal(maxAttempts([]), 1);
  });

  it('describes a scheduled retry', () => {
    const failure = decideFailure({ record: record(1), error: retryable, now: NOW, delaysMs: DELAYS });
    assert.equal(describeSchedule(failure, DELAYS), 'will retry at 2026-03-01T11:00:00.000Z (attempt 3 of 4)');
  });

  it('describes a permanent error', () => {
    const failure = decideFailure({ record: record(0), error: permanent, now: NOW, delaysMs: DELAYS });
    assert.equal(describeSchedule(failure, DELAYS), 'failed permanently: not retryable (source_not_found)');
  });

  it('describes exhausted retries', () => {
    const failure = decideFailure({ record: record(3), error: retryable, now: NOW, delaysMs: DELAYS });
    assert.equal(describeSchedule(failure, DELAYS), 'failed permanently: gave up after 4 attempts');
  });
});
