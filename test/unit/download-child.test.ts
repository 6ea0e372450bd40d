import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors.js';
import { loaderFlags } from '../../src/pipeline/download-child.js';
import { fromWireError, toWireError } from '../../src/pipeline/download-child-protocol.js';

describe('download child: flags and errors across the process boundary', () => {
  it('passes on loader flags with their values and nothing else', () => {
    const execArgv = [
      '--inspect=9229',
      '--require',
      '/x/tsx/dist/preflight.cjs',
      '--optimize-for-size',
      '--import',
      'file:///x/tsx/dist/loader.mjs',
      '--max-old-space-size=512',
      '--import=tsx',
      '-r',
      './hook.cjs',
      '--experimental-loader=./l.mjs',
      '--inspect-brk',
    ];
    assert.deepEqual(loaderFlags(execArgv), [
      '--require',
      '/x/tsx/dist/preflight.cjs',
      '--import',
      'file:///x/tsx/dist/loader.mjs',
      '--import=tsx',
      '-r',
      './hook.cjs',
      '--experimental-loader=./l.mjs',
    ]);
    assert.deepEqual(loaderFlags(['--optimize-for-size']), []);
  });

  it('rebuilds an AppError with its code, message, context and retryable', () => {
    const original = new AppError('source_http_error', 'The source at http://x/ was refused.', {
      context: { status: 429, url: 'http://x/' },
      retryable: true,
    });
    const wire = JSON.parse(JSON.stringify(toWireError(original))) as ReturnType<typeof toWireError>;
    const rebuilt = fromWireError(wire);
    assert.ok(rebuilt instanceof AppError);
    assert.equal(rebuilt.code, 'source_http_error');
    assert.equal(rebuilt.message, original.message);
    assert.equal(rebuilt.retryable, true, 'the override survives, not the catalog default');
    assert.deepEqual(rebuilt.context, original.context);
  });

  it('maps a non-AppError and an unknown code to internal_error', () => {
    assert.equal(fromWireError(toWireError(new Error('boom'))).code, 'internal_error');
    const unknown = fromWireError({ code: 'no_such_code', message: 'm', context: {}, retryable: false });
    assert.equal(unknown.code, 'internal_error');
    assert.equal(unknown.retryable, false);
  });
});
