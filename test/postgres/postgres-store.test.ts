import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { isAppError } from '../../src/errors.js';
import { openDatabase } from '../../src/store/database.js';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { storeContract } from '../contract/store-contract.js';
import { createSchema, freshPostgresStore, testPostgresUrl } from '../helpers/postgres.js';

storeContract('postgres', freshPostgresStore);

const now = (): Date => new Date('2024-05-01T12:00:00.000Z');

/** The error `promise` rejects with. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('openPostgresStore', () => {
  it('applies each migration once when three daemons open the same schema together', async () => {
    const { schema, url, drop } = await createSchema();
    try {
      const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore(url, { now })));
      await stores[0]!.jobs.create({ sourceUrl: 'https://a.test/v.mp4', priority: 5, title: null });
      assert.equal((await stores[2]!.jobs.countByStatus()).pending, 1, 'one schema, shared');
      await Promise.all(stores.map((store) => store.close()));
      const again = await openPostgresStore(url, { now });
      await again.close();
      const client = new pg.Client({ connectionString: testPostgresUrl() });
      await client.connect();
      try {
        const { rows } = await client.query<{ version: number; applied_at: Date }>(
          `SELECT version, applied_at FROM ${schema}.schema_migrations ORDER BY version`,
        );
        assert.deepEqual(
          rows.map((r) => r.version),
          PG_MIGRATIONS.map((_, i) => i + 1),
        );
        assert.equal(rows[0]?.applied_at.toISOString(), now().toISOString(), 'stamped by the injected clock');
      } finally {
        await client.end();
      }
    } finally {
      await drop();
    }
  });

  it('ends with the SQLite schema: the same tables, columns in order, indexes and CHECKs', async () => {
    const sqlite = openDatabase(':memory:');
    const { schema, url, drop } = await createSchema();
    const store = await openPostgresStore(url, { now });
    const client = new pg.Client({ connectionString: testPostgresUrl() });
    await client.connect();
    try {
      const tables = (sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[]).filter(
        (name) => !name.startsWith('sqlite_'),
      );
      for (const table of tables) {
        const expected = (sqlite.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]).join(',');
        const { rows } = await client.query<{ name: string }>(
          'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
          [schema, table],
        );
        assert.equal(rows.map((r) => r.name).join(','), expected, table);
      }
      const sqliteIndexes = sqlite
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
        .pluck()
        .all();
      const { rows: indexes } = await client.query<{ name: string }>(
        "SELECT indexname AS name FROM pg_indexes WHERE schemaname = $1 AND indexname NOT LIKE '%_pkey' ORDER BY indexname",
        [schema],
      );
      assert.deepEqual(
        indexes.map((r) => r.name),
        sqliteIndexes,
      );
      const insert = (status: string, priority: number) =>
        client.query(
          `INSERT INTO ${schema}.jobs (id, source_url, status, priority, created_at, updated_at) VALUES ($1, 'u', $2, $3, now(), now())`,
          [`j${status}${priority}`, status, priority],
        );
      await assert.rejects(insert('weird', 5), /check constraint/);
      await assert.rejects(insert('pending', 11), /check constraint/);
    } finally {
      sqlite.close();
      await client.end();
      await store.close();
      await drop();
    }
  });

  it('refuses a URL that is not PostgreSQL’s without showing its password', async () => {
    for (const url of ['mysql://admin:s3cret-pw@db.test:3306/vc', 'https://admin:s3cret-pw@db.test/vc', 'not a url s3cret-pw']) {
      const err = await rejection(openPostgresStore(url, { now }));
      assert.ok(isAppError(err, 'invalid_request'), String(err));
      assert.doesNotMatch(err.message, /s3cret-pw/);
      assert.doesNotMatch(JSON.stringify(err.context), /s3cret-pw/);
    }
  });

  it('answers a wrong password or a closed port quickly, with a retryable error that hides the password', async () => {
    const wrongPassword = new URL(testPostgresUrl());
    wrongPassword.password = 'not-the-password';
    const closedPort = new URL(testPostgresUrl());
    closedPort.port = '1';
    for (const url of [wrongPassword, closedPort]) {
      const started = Date.now();
      const err = await rejection(openPostgresStore(url.toString(), { now }));
      assert.ok(Date.now() - started < 5000, 'no long wait');
      assert.ok(isAppError(err), String(err));
      assert.equal(err.retryable, true, err.message);
      assert.match(err.message, /PostgreSQL store cannot be reached/);
      assert.doesNotMatch(err.message, /not-the-password/);
    }
  });

  it('survives the server dropping an idle connection: reported, then the next query reconnects', async () => {
    const errors: Error[] = [];
    const { url, drop } = await createSchema();
    const name = `vc-idle-${process.pid}-${Date.now()}`;
    const tagged = new URL(url);
    tagged.searchParams.set('application_name', name);
    const store = await openPostgresStore(tagged.toString(), { now, onError: (err) => errors.push(err) });
    try {
      await store.ping();
      const admin = new pg.Client({ connectionString: testPostgresUrl() });
      await admin.connect();
      try {
        const { rows } = await admin.query('SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = $1', [
          name,
        ]);
        assert.ok(rows.length >= 1, 'the store had an idle connection');
      } finally {
        await admin.end();
      }
      for (let waited = 0; errors.length === 0 && waited < 2000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(errors.length >= 1, 'the dropped connection is reported to onError');
      await store.ping();
      assert.equal((await store.jobs.countByStatus()).pending, 0);
    } finally {
      await store.close();
      await drop();
    }
  });
});
