import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, isAppError, toAppError, type ErrorCode } from '../../src/errors.js';

function systemError(code: string, message = `${code} happened`): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

describe('toAppError', () => {
  const table: Array<[string, ErrorCode, boolean]> = [
    ['ECONNRESET', 'source_network_error', true],
    ['ECONNREFUSED', 'source_network_error', true],
    ['EHOSTUNREACH', 'source_network_error', true],
    ['ENOTFOUND', 'source_network_error', true],
    ['EAI_AGAIN', 'source_network_error', true],
    ['EPIPE', 'source_network_error', true],
    ['ETIMEDOUT', 'source_timeout', true],
    ['ESOCKETTIMEDOUT', 'source_timeout', true],
    ['ENOSPC', 'insufficient_disk', false],
  ];
  for (const [sysCode, code, retryable] of table) {
    it(`${sysCode} → ${code} (${retryable ? 'retryable' : 'permanent'})`, () => {
      const cause = systemError(sysCode);
      const err = toAppError(cause);
      assert.equal(err.code, code);
      assert.equal(err.retryable, retryable);
      assert.equal(err.cause, cause);
      assert.match(err.message, new RegExp(`${sysCode} happened`));
    });
  }

  it('plain Error → internal_error (retryable), message kept', () => {
    const cause = new TypeError('x is not a function');
    const err = toAppError(cause);
    assert.equal(err.code, 'internal_error');
    assert.equal(err.retryable, true);
    assert.equal(err.message, 'x is not a function');
    assert.equal(err.cause, cause);
  });

  it('an unknown system code falls back too', () => {
    assert.equal(toAppError(systemError('EACCES')).code, 'internal_error');
  });

  it('uses the given fallback code', () => {
    const err = toAppError(new Error('boom'), 'publish_failed');
    assert.equal(err.code, 'publish_failed');
    assert.equal(err.retryable, true);
  });

  it('non-Error values become a message', () => {
    const err = toAppError('just a string');
    assert.equal(err.code, 'internal_error');
    assert.equal(err.message, 'just a string');
  });

  it('passes an AppError through unchanged', () => {
    const original = new AppError('source_not_found', 'gone', { context: { status: 404 } });
    assert.equal(toAppError(original, 'publish_failed'), original);
  });

  it('AppError carries catalog defaults, overrides and frozen context', () => {
    const throttled = new AppError('source_http_error', 'HTTP 429', { retryable: true, context: { status: 429 } });
    assert.equal(throttled.retryable, true);
    assert.equal(new AppError('source_http_error', 'HTTP 403').retryable, false);
    assert.equal(throttled.httpStatus, 502);
    assert.ok(Object.isFrozen(throttled.context));
    assert.ok(isAppError(throttled, 'source_http_error'));
    assert.ok(!isAppError(throttled, 'source_not_found'));
    assert.ok(!isAppError(new Error('x')));
  });
});
