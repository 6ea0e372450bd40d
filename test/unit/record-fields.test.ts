import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { jobKey, parseJobKey } from '../../src/domain/job-key.js';
import { RECORD_FIELD_TABLE, RECORD_FIELDS, sqliteColumnType, wordpressMetaType } from '../../src/domain/record-fields.js';
import { parseWorkerId, workerIdOf } from '../../src/domain/worker.js';
import { sourceJobToJson } from '../../src/domain/source-job.js';
import { toSourceJob } from '../../src/sources/local-source.js';
import { COLUMN_SPECS } from '../../src/sources/appwrite-schema.js';
import { META_TYPES } from '../../src/sources/wordpress-fields.js';
import { openDatabase } from '../../src/store/database.js';
import { JobRepository } from '../../src/store/job-repository.js';

/** Columns of `jobs` that are the row's own, not record fields. */
const ROW_COLUMNS = ['id', 'created_at', 'updated_at'];

describe('the record field table', () => {
  it('matches the local jobs table the migrations build: names, types and NOT NULL', () => {
    const db = openDatabase(':memory:');
    try {
      const columns = (db.pragma('table_info(jobs)') as { name: string; type: string; notnull: number }[]).map((c) => ({
        name: c.name,
        type: c.type,
        notNull: c.notnull,
      }));
      assert.deepEqual(
        columns.map((c) => c.name).filter((n) => !ROW_COLUMNS.includes(n)),
        [...RECORD_FIELDS],
      );
      for (const field of RECORD_FIELDS) {
        const column = columns.find((c) => c.name === field);
        const spec = RECORD_FIELD_TABLE[field] as { required?: boolean; default?: unknown; type: string };
        assert.equal(column?.type, sqliteColumnType(field), `${field}: SQL type`);
        const notNull = spec.required === true || spec.default !== undefined || spec.type === 'string[]';
        assert.equal(column?.notNull === 1, notNull, `${field}: NOT NULL`);
      }
    } finally {
      db.close();
    }
  });

  it('gives the API every field by its name, between the row id/source and its dates', () => {
    const db = openDatabase(':memory:');
    try {
      const job = new JobRepository({ db, now: () => new Date('2026-01-01T00:00:00Z') }).create({
        sourceUrl: 'https://example.com/a.mp4',
        priority: 3,
        title: 't',
      });
      const json = sourceJobToJson(toSourceJob(job));
      assert.deepEqual(Object.keys(json), ['key', 'id', 'source', ...RECORD_FIELDS, 'created_at', 'updated_at']);
      assert.equal(json.key, `local-${job.id}`);
      assert.equal(json.source_url, 'https://example.com/a.mp4');
      assert.equal(json.priority, 3);
      assert.deepEqual(json.retry_errors, []);
      assert.equal(json.renditions, null);
    } finally {
      db.close();
    }
  });

  it('gives Appwrite a column for every field', () => {
    assert.deepEqual(Object.keys(COLUMN_SPECS), [...RECORD_FIELDS]);
    assert.deepEqual(COLUMN_SPECS.retry_errors, { kind: 'varchar', size: 1000, array: true });
    assert.deepEqual(COLUMN_SPECS.status, {
      kind: 'enum',
      elements: ['pending', 'processing', 'completed', 'failed', 'cancelled'],
      default: 'pending',
    });
  });

  it("is the WordPress plugin's register_post_meta list, field for field and type for type", async () => {
    const php = await readFile(new URL('../../wordpress/video-compressor/includes/meta.php', import.meta.url), 'utf8');
    const body = /function vcmp_meta_fields\(\): array \{\s*return array\(([\s\S]*?)\);/.exec(php)?.[1] ?? '';
    const entries = [...body.matchAll(/'([a-z_]+)'\s*=>\s*'([a-z]+)'/g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(Object.fromEntries(entries), META_TYPES);
    assert.deepEqual(
      entries.map(([field]) => field),
      [...RECORD_FIELDS],
    );
    assert.equal(wordpressMetaType('duration'), 'number');
  });
});

describe('job keys and worker ids', () => {
  it('parses what jobKey makes, and nothing that is not a key', () => {
    assert.deepEqual(parseJobKey(jobKey({ source: 'appwrite', id: 'row-1.a' })), { source: 'appwrite', id: 'row-1.a' });
    assert.deepEqual(parseJobKey('wordpress-42'), { source: 'wordpress', id: '42' });
    for (const bad of ['local', 'local-', 'ftp-1', '-1', 'local-..', 'local-a/b']) assert.equal(parseJobKey(bad), null, bad);
  });

  it('parses host:pid worker ids, not pinned ones', () => {
    assert.deepEqual(parseWorkerId(workerIdOf('web-1', 4242)), { host: 'web-1', pid: 4242 });
    assert.deepEqual(parseWorkerId('a:b:17'), { host: 'a:b', pid: 17 });
    for (const pinned of ['worker-a', ':12', 'web-1:0', 'web-1:x']) assert.equal(parseWorkerId(pinned), null, pinned);
  });
});
