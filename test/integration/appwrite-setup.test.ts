import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RECORD_FIELDS } from '../../src/domain/record-fields.js';
import { checkAppwrite } from '../../src/sources/appwrite-doctor.js';
import { setupAppwrite } from '../../src/sources/appwrite-setup.js';
import { AppwriteSource } from '../../src/sources/appwrite-source.js';
import { silentLogger } from '../../src/logging/logger.js';
import { FULL_KEY, type FakeAppwrite } from '../fakes/appwrite-server.js';
import { appwriteConfig, DATABASE, startFakeAppwrite, TABLE } from '../helpers/appwrite-fixtures.js';

/** appwrite:setup and the doctor's Appwrite checks, against the fake server through the SDK. */
describe('Appwrite setup and doctor', () => {
  const fakes: FakeAppwrite[] = [];
  const fresh = async (): Promise<FakeAppwrite> => {
    const fake = await startFakeAppwrite({ setup: false });
    fakes.push(fake);
    return fake;
  };
  after(async () => {
    for (const fake of fakes) await fake.stop();
  });

  it('creates the database, the table, every column and the poll indexes; a second run changes nothing', async () => {
    const fake = await fresh();
    const config = appwriteConfig(fake);
    const first = await setupAppwrite({ config, pollMs: 10 });
    assert.deepEqual(first.problems, []);
    assert.equal(first.created.length, 2 + RECORD_FIELDS.length + 3);
    assert.ok(first.created.includes('database media') && first.created.includes('table videos'));
    assert.ok(first.created.includes('index vc_poll (status, priority, $createdAt)'));
    assert.ok(first.created.includes('index vc_next_attempt (next_attempt_at)'));

    const table = fake.table(DATABASE, TABLE);
    const column = (key: string) => table.columns.find((c) => c.key === key)!;
    assert.deepEqual([table.columns.length, table.permissions], [RECORD_FIELDS.length, []]);
    assert.deepEqual(
      { ...column('status'), $createdAt: 0, $updatedAt: 0 },
      {
        key: 'status',
        type: 'string',
        format: 'enum',
        elements: ['pending', 'processing', 'completed', 'failed', 'cancelled'],
        status: 'available',
        required: false,
        array: false,
        default: 'pending',
        $createdAt: 0,
        $updatedAt: 0,
      },
    );
    // Optional: a row may name a Storage file (source_file_id) instead of a URL.
    assert.deepEqual([column('source_url').format, column('source_url').required], ['url', false]);
    assert.deepEqual([column('priority').min, column('priority').max, column('priority').default], [1, 10, 5]);
    assert.deepEqual([column('retry_errors').type, column('retry_errors').array], ['varchar', true]);
    assert.deepEqual([column('ladder').type, column('ladder').array, column('ladder').size], ['varchar', true, 32]);
    assert.deepEqual([column('duration').type, column('renditions').type, column('heartbeat_at').type], ['double', 'text', 'datetime']);
    assert.ok(
      table.columns.every((c) => c.status === 'available'),
      'indexes were created once the columns were built',
    );

    const writesBefore = fake.requests.filter((r) => r.method === 'POST').length;
    const second = await setupAppwrite({ config, pollMs: 10 });
    assert.deepEqual(second, { created: [], present: first.created.map((line) => line.replace(/: .*$/, '')), problems: [] });
    assert.equal(fake.requests.filter((r) => r.method === 'POST').length, writesBefore, 'nothing sent but reads');
  });

  it('creates mapped columns under their own names and reports, without touching, a column that does not fit', async () => {
    const fake = await fresh();
    const env = { APPWRITE_FIELD_MAP: 'hls_url:stream_url' };
    await setupAppwrite({ config: appwriteConfig(fake), pollMs: 10 });
    // A hand-made column of the wrong type under the mapped name.
    fake.table(DATABASE, TABLE).columns.push({
      key: 'stream_url',
      type: 'integer',
      status: 'available',
      required: false,
      array: false,
      default: null,
      $createdAt: '',
      $updatedAt: '',
    });
    const report = await setupAppwrite({ config: appwriteConfig(fake, env), pollMs: 10 });
    assert.deepEqual(report.problems, ['column stream_url (hls_url) is integer, expected url']);
    assert.deepEqual(report.created, []);
    assert.equal(fake.table(DATABASE, TABLE).columns.find((c) => c.key === 'stream_url')!.type, 'integer');
  });

  it('adds a list field introduced since (ladder) to a table set up before it, and reports a hand-made one that is no list', async () => {
    const fake = await fresh();
    const config = appwriteConfig(fake);
    await setupAppwrite({ config, pollMs: 10 });
    const table = fake.table(DATABASE, TABLE);
    const ladder = table.columns.find((c) => c.key === 'ladder')!;
    table.columns = table.columns.filter((c) => c !== ladder);
    fake.insertRow(DATABASE, TABLE, 'older', { source_url: 'https://cdn.test/older.mp4' });

    const upgrade = await setupAppwrite({ config, pollMs: 10 });
    assert.deepEqual([upgrade.created, upgrade.problems], [['column ladder: varchar(32)[]'], []]);
    const source = new AppwriteSource({ config, workerId: 'host-a:1', leaseSeconds: 60, log: silentLogger() });
    assert.deepEqual((await source.getJob('older'))?.ladder, [], 'a row from before the column has the whole ladder');
    assert.deepEqual((await source.update('older', { ladder: ['low'] })).ladder, ['low']);

    table.columns = table.columns.map((c) => (c.key === 'ladder' ? { ...c, array: false } : c));
    assert.deepEqual((await setupAppwrite({ config, pollMs: 10 })).problems, ['column ladder must be an array column']);
  });

  it('doctor: reachable, rows readable and writable, every column and index present', async () => {
    const fake = await fresh();
    await setupAppwrite({ config: appwriteConfig(fake), pollMs: 10 });
    const checks = await checkAppwrite(appwriteConfig(fake, { APPWRITE_WEBHOOK_SECRET: 's3cret' }));
    assert.deepEqual(
      checks.map((c) => [c.name, c.level]),
      [
        ['appwrite rows', 'ok'],
        ['appwrite write', 'ok'],
        ['appwrite columns', 'ok'],
        ['appwrite indexes', 'ok'],
        ['appwrite webhook', 'ok'],
        ['appwrite version', 'ok'],
      ],
    );
    assert.ok(!JSON.stringify(checks).includes('s3cret'));
  });

  it('doctor: a revoked key fails even where guests may read the table; a key lacking only doctor scopes passes', async () => {
    const fake = await fresh();
    await setupAppwrite({ config: appwriteConfig(fake), pollMs: 10 });
    fake.table(DATABASE, TABLE).permissions = ['read("any")', 'update("any")'];
    fake.revoked.add(FULL_KEY);
    const checks = await checkAppwrite(appwriteConfig(fake));
    assert.deepEqual(
      checks.map((c) => [c.name, c.level]),
      [['appwrite rows', 'fail']],
      'the guest could list the rows and its write probe got a 404: neither proves the key',
    );
    assert.match(checks[0]!.detail, /does not recognise APPWRITE_API_KEY \(wrong, revoked or of another project\)/);
    fake.keys.set('daemon-only', ['rows.read', 'rows.write']);
    const daemonKey = await checkAppwrite(appwriteConfig(fake, { APPWRITE_API_KEY: 'daemon-only' }));
    assert.deepEqual(
      daemonKey.slice(0, 3).map((c) => [c.name, c.level]),
      [
        ['appwrite rows', 'ok'],
        ['appwrite write', 'ok'],
        ['appwrite columns', 'warn'],
      ],
    );
  });

  it('doctor: names the missing columns, the missing scope, an unreachable endpoint', async () => {
    const fake = await fresh();
    await setupAppwrite({ config: appwriteConfig(fake), pollMs: 10 });
    const table = fake.table(DATABASE, TABLE);
    table.columns = table.columns.filter((c) => c.key !== 'heartbeat_at' && c.key !== 'step');
    table.indexes = [];
    let checks = await checkAppwrite(appwriteConfig(fake));
    const byName = (name: string) => checks.find((c) => c.name === name)!;
    assert.equal(byName('appwrite columns').level, 'fail');
    assert.match(byName('appwrite columns').detail, /missing: heartbeat_at, step .*appwrite:setup/);
    assert.equal(byName('appwrite indexes').level, 'warn');
    assert.equal(byName('appwrite webhook').level, 'warn');

    fake.keys.set('reader', ['rows.read']);
    checks = await checkAppwrite(appwriteConfig(fake, { APPWRITE_API_KEY: 'reader' }));
    assert.equal(byName('appwrite write').level, 'fail');
    assert.match(byName('appwrite write').detail, /rows\.write/);
    assert.equal(byName('appwrite columns').level, 'warn', 'doctor-only scopes missing: a warning');

    await fake.stop();
    checks = await checkAppwrite(appwriteConfig(fake));
    assert.deepEqual(
      checks.map((c) => [c.name, c.level]),
      [['appwrite rows', 'fail']],
    );
    assert.match(checks[0]!.detail, /unreachable/);
  });
});
