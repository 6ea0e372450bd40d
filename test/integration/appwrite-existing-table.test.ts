import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Client, TablesDB } from 'node-appwrite';
import { RECORD_FIELDS } from '../../src/domain/record-fields.js';
import { silentLogger } from '../../src/logging/logger.js';
import { TEXT_AS_STRING_SIZE, type SetupClock } from '../../src/sources/appwrite-columns.js';
import { setupAppwrite } from '../../src/sources/appwrite-setup.js';
import { AppwriteSource } from '../../src/sources/appwrite-source.js';
import { AppwriteTable } from '../../src/sources/appwrite-table.js';
import { FULL_KEY, PROJECT, type FakeAppwrite } from '../fakes/appwrite-server.js';
import { publishResultFor } from '../helpers/publish-result.js';
import { appwriteConfig, DATABASE, startFakeAppwrite, TABLE, videoRow } from '../helpers/appwrite-fixtures.js';

/** A clock that only moves when the wait sleeps; `onSleep` stands for what the server does meanwhile. */
function manualClock(onSleep: () => void = () => undefined): SetupClock & { sleeps: number } {
  let now = 0;
  const clock = {
    sleeps: 0,
    now: () => now,
    sleep: async (ms: number) => {
      clock.sleeps += 1;
      now += ms;
      onSleep();
    },
  };
  return clock;
}

/** appwrite:setup on tables found in the wild: with rows already, half set up, on a 1.8 server. */
describe('Appwrite setup on an existing table', () => {
  const fakes: FakeAppwrite[] = [];
  const fresh = async (): Promise<FakeAppwrite> => {
    const fake = await startFakeAppwrite({ setup: false });
    fake.columnBuildMs = null;
    fakes.push(fake);
    return fake;
  };
  after(async () => {
    for (const fake of fakes) await fake.stop();
  });
  // Each wait of setup is one pass of the server's worker: every column still processing is built.
  const building = (fake: FakeAppwrite): ReturnType<typeof manualClock> => manualClock(() => fake.buildColumns());

  it('keeps every old row updatable, and --backfill queues those with a source, in pages, once', async () => {
    const fake = await fresh();
    // The CMS's own table: a name column and 130 rows, none of the daemon's columns.
    const cms = new TablesDB(new Client().setEndpoint(fake.endpoint).setProject(PROJECT).setKey(FULL_KEY));
    await cms.create({ databaseId: DATABASE, name: 'CMS' });
    await cms.createTable({ databaseId: DATABASE, tableId: TABLE, name: 'Videos', permissions: [] });
    await cms.createVarcharColumn({ databaseId: DATABASE, tableId: TABLE, key: 'name', size: 100, required: true });
    fake.buildColumns();
    const ids = [...Array(130).keys()].map((i) => `old-${i}`);
    for (const id of ids) fake.insertRow(DATABASE, TABLE, id, { name: id });

    const config = appwriteConfig(fake);
    const report = await setupAppwrite({ config, clock: building(fake) });
    assert.deepEqual([report.problems, report.tableHadRows, report.created.length], [[], true, RECORD_FIELDS.length + 3]);
    const table = fake.table(DATABASE, TABLE);
    assert.ok(
      table.columns.every((c) => c.key === 'name' || !c.required),
      'no new column is required on a table with rows',
    );
    assert.ok(report.created.includes('column source_url: url'));
    assert.deepEqual([videoRow(fake, 'old-0').status, videoRow(fake, 'old-0').priority], [null, null], 'NULL, defaults not back-filled');

    // Every old row takes the source's conditional writes (the server checks the whole row).
    const writer = new AppwriteTable(config, silentLogger());
    for (const id of ids) await writer.updateRowIfUnchanged(id, videoRow(fake, id).$updatedAt, { step: null, progress: 0 });
    assert.equal(fake.requests.filter((r) => r.status === 400).length, 0);

    // The CMS fills in the source of 110 of them; one of those is saved by an editor while it is queued.
    for (const id of ids.slice(0, 110)) fake.patchRow(DATABASE, TABLE, id, { source_url: `https://cdn.test/${id}.mp4` }, true);
    fake.beforeUpdate = (row) => {
      if (row.$id !== 'old-7' || row.title === 'Edited') return;
      row.title = 'Edited';
      row.$updatedAt = new Date(Date.parse(row.$updatedAt) + 1).toISOString();
    };
    const backfilled = await setupAppwrite({ config, backfill: true, clock: building(fake) });
    fake.beforeUpdate = null;
    assert.deepEqual([backfilled.created, backfilled.backfill], [[], { queued: 109, skipped: 1 }]);
    assert.deepEqual([videoRow(fake, 'old-7').status, videoRow(fake, 'old-7').title], [null, 'Edited'], 'the edit kept, the row left');
    assert.deepEqual((await setupAppwrite({ config, backfill: true, clock: building(fake) })).backfill, { queued: 1, skipped: 0 });
    assert.deepEqual((await setupAppwrite({ config, backfill: true, clock: building(fake) })).backfill, { queued: 0, skipped: 0 });

    const row = videoRow(fake, 'old-3');
    assert.deepEqual([row.status, row.priority, row.retry_count, row.progress, row.name], ['pending', 5, 0, 0, 'old-3']);
    assert.equal(videoRow(fake, 'old-120').status, null, 'no source, not queued');
    const source = new AppwriteSource({ config, workerId: 'w', leaseSeconds: 60, log: silentLogger() });
    const { total, records } = await source.listPending(5);
    assert.equal(total, 110);
    assert.ok(await source.claim(records[0]!, 'w'));
    await source.complete(records[0]!.id, publishResultFor(`appwrite-${records[0]!.id}`));
    assert.equal(videoRow(fake, records[0]!.id).status, 'completed');
  });

  it('resumes a run killed while its columns were still being built', async () => {
    const fake = await fresh();
    const config = appwriteConfig(fake);
    const killed = manualClock(() => {
      throw new Error('killed');
    });
    await assert.rejects(setupAppwrite({ config, clock: killed }), /killed/);
    const table = fake.table(DATABASE, TABLE);
    assert.deepEqual([table.columns.length, table.indexes.length], [RECORD_FIELDS.length, 0]);
    fake.buildColumns(table.columns.filter((c) => c.key !== 'status' && c.key !== 'heartbeat_at').map((c) => c.key));

    // Nothing builds: the wait gives up at its bound, naming what is missing.
    await assert.rejects(
      setupAppwrite({ config, clock: manualClock(), columnTimeoutMs: 5000, pollMs: 1000 }),
      /still not available after 5 s: status, heartbeat_at; run appwrite:setup again later/,
    );
    const clock = building(fake);
    const rerun = await setupAppwrite({ config, clock });
    assert.equal(clock.sleeps, 1, 'it waited for the columns left processing');
    assert.deepEqual([rerun.problems, rerun.created], [[], INDEX_LINES]);
    assert.equal(fake.requests.filter((r) => r.status === 400).length, 0, 'no index was asked for on a column still processing');
  });

  it('falls back to string columns on a 1.8 server, which has no varchar or text routes', async () => {
    const fake = await fresh();
    fake.version = '1.8.1';
    const config = appwriteConfig(fake);
    const report = await setupAppwrite({ config, clock: building(fake) });
    assert.deepEqual(report.problems, []);
    assert.ok(report.created.includes('column title: string(255)') && report.created.includes('column ladder: string(32)[]'));
    assert.ok(report.created.includes(`column renditions: string(${TEXT_AS_STRING_SIZE})`));
    assert.equal(fake.requests.filter((r) => r.status === 404 && /\/columns\/(varchar|text)$/.test(r.path)).length, 1, 'tried once');
    const types = new Set(fake.table(DATABASE, TABLE).columns.map((c) => c.type));
    assert.ok(!types.has('varchar') && !types.has('text'));
    assert.deepEqual((await setupAppwrite({ config, clock: building(fake) })).problems, [], 'the doctor’s type check takes them');

    fake.insertRow(DATABASE, TABLE, 'v18', { source_url: 'https://cdn.test/v.mp4' });
    const source = new AppwriteSource({ config, workerId: 'w', leaseSeconds: 60, log: silentLogger() });
    const [record] = (await source.listPending(1)).records;
    assert.ok(await source.claim(record!, 'w'));
    await source.complete('v18', publishResultFor('appwrite-v18'));
    assert.equal(videoRow(fake, 'v18').status, 'completed');
  });
});

const INDEX_LINES = [
  'index vc_poll (status, priority, $createdAt)',
  'index vc_next_attempt (next_attempt_at)',
  'index vc_lease (status, heartbeat_at)',
];
