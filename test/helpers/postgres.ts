import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { Store } from '../../src/store/store.js';

/** The test database (scripts/postgres-tests.sh sets it); the PostgreSQL tests need it. */
export function testPostgresUrl(): string {
  const url = process.env.TEST_POSTGRES_URL;
  if (!url) throw new Error('TEST_POSTGRES_URL is not set: run the PostgreSQL tests through scripts/postgres-tests.sh');
  return url;
}

/** `url` with every connection's search_path set to `schema`, so the store's tables live there. */
export function urlWithSchema(url: string, schema: string): string {
  const withSchema = new URL(url);
  withSchema.searchParams.set('options', `-c search_path=${schema}`);
  return withSchema.toString();
}

/** A schema of its own in the test database, dropped (with everything in it) by `drop`. */
export async function createSchema(): Promise<{ schema: string; url: string; drop: () => Promise<void> }> {
  const url = testPostgresUrl();
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const drop = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
    } finally {
      await client.end();
    }
  };
  return { schema, url: urlWithSchema(url, schema), drop };
}

/**
 * A migrated, empty PostgreSQL store in a schema of its own, so tests (and test files running in
 * parallel) never see each other's rows. Closing it drops the schema.
 */
export async function freshPostgresStore(now: () => Date): Promise<Store> {
  const { url, drop } = await createSchema();
  let store: Store;
  try {
    store = await openPostgresStore(url, { now });
  } catch (err) {
    await drop();
    throw err;
  }
  return {
    ...store,
    close: async () => {
      await store.close();
      await drop();
    },
  };
}
