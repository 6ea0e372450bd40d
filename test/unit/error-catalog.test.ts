import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AppError, ERROR_CATALOG } from '../../src/errors.js';

describe('error catalog', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const table = new Map([...readme.matchAll(/^\| `([a-z_]+)` \| (yes|no) \|/gm)].map((m) => [m[1] ?? '', m[2] === 'yes']));

  it('documents every code in the README with its retry behaviour', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
      assert.ok(table.has(code), `README error table lacks ${code}`);
      assert.equal(table.get(code), entry.retryable, `README retry column of ${code}`);
    }
  });

  it('documents no code that does not exist', () => {
    for (const code of table.keys()) assert.ok(code in ERROR_CATALOG, `README documents unknown code ${code}`);
  });

  it('builds typed errors with code, retryable, context and cause', () => {
    const cause = new Error('inner');
    const err = new AppError('source_server_error', 'upstream 503', { cause, context: { status: 503 } });
    assert.ok(err instanceof AppError && err instanceof Error);
    assert.equal(err.name, 'AppError');
    assert.equal(err.code, 'source_server_error');
    assert.equal(err.retryable, true);
    assert.equal(err.httpStatus, 502);
    assert.equal(err.cause, cause);
    assert.deepEqual(err.context, { status: 503 });
    assert.equal(new AppError('source_http_error', '429', { retryable: true }).retryable, true);
  });
});
