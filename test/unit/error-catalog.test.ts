import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AppError, ERROR_CATALOG } from '../../src/errors.js';

describe('error catalog', () => {
  // docs/errors.md is generated from the catalog (npm run docs); this reads the committed file itself.
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `([a-z_]+)` \| (yes|no) \| (\d{3}) \|/gm)];
  const table = new Map(rows.map((m) => [m[1] ?? '', { retryable: m[2] === 'yes', http: Number(m[3]) }]));

  it('documents every code in docs/errors.md with its retry behaviour and HTTP status', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
      assert.ok(table.has(code), `docs/errors.md lacks ${code} (run \`npm run docs\`)`);
      assert.equal(table.get(code)?.retryable, entry.retryable, `docs/errors.md retry column of ${code} (run \`npm run docs\`)`);
      assert.equal(table.get(code)?.http, entry.http, `docs/errors.md HTTP column of ${code} (run \`npm run docs\`)`);
    }
  });

  it('documents no code that does not exist', () => {
    for (const code of table.keys()) {
      assert.ok(code in ERROR_CATALOG, `docs/errors.md documents unknown code ${code} (run \`npm run docs\`)`);
    }
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
