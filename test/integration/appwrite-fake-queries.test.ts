import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { AppwriteException, Query } from 'node-appwrite';
import { createTables } from '../../src/sources/appwrite-client.js';
import type { AppwriteRow } from '../../src/sources/appwrite-fields.js';
import type { FakeAppwrite } from '../fakes/appwrite-server.js';
import { addVideo, appwriteConfig, DATABASE, useFakeAppwrite, TABLE } from '../helpers/appwrite-fixtures.js';

/**
 * The fake server answers the list queries the source sends as Appwrite does (through the SDK), and
 * refuses what Appwrite refuses: a test passing against the fake must not rely on a kinder server.
 */
describe('fake Appwrite: list queries', () => {
  let fake: FakeAppwrite;
  const list = async (queries: string[]): Promise<AppwriteRow[]> => {
    const { rows } = await createTables(appwriteConfig(fake)).listRows<AppwriteRow>({ databaseId: DATABASE, tableId: TABLE, queries });
    return rows;
  };
  const ids = async (queries: string[]): Promise<string[]> => (await list(queries)).map((row) => row.$id);
  const refused = (queries: string[], message: RegExp): Promise<void> =>
    assert.rejects(list(queries), (err) => err instanceof AppwriteException && err.code === 400 && message.test(err.message));

  useFakeAppwrite((started) => (fake = started));
  beforeEach(() => {
    const created = new Date('2024-05-01T12:00:00.000Z');
    addVideo(fake, 'v1', { source_url: 'https://cdn.test/1.mp4', title: 'Holiday in Lisbon', ladder: ['high', 'low'] }, created);
    addVideo(fake, 'v2', { source_url: 'https://cdn.test/2.mp4', title: 'lisbon at night', ladder: ['low'] }, created);
    addVideo(fake, 'v3', { source_url: 'https://cdn.test/3.mp4', title: 'Porto' }, created);
  });

  it('contains: a case-insensitive substring of a string column, an element of an array column', async () => {
    assert.deepEqual(await ids([Query.contains('title', 'LISBON')]), ['v1', 'v2']);
    assert.deepEqual(await ids([Query.contains('ladder', ['high'])]), ['v1']);
    assert.deepEqual(await ids([Query.contains('ladder', ['hig'])]), [], 'an array element matches whole');
    await refused([Query.contains('priority', '5')], /Cannot query contains on attribute "priority"/);
    await refused([Query.equal('ladder', ['low'])], /because it is an array/);
  });

  it('select: the system attributes and the selected columns, nothing else', async () => {
    const [row] = await list([Query.select(['$id', 'status']), Query.limit(1)]);
    assert.deepEqual(
      Object.keys(row!).filter((key) => !key.startsWith('$')),
      ['status'],
    );
    assert.match(`${row!.$createdAt} ${row!.$updatedAt}`, /^\S+\+00:00 \S+\+00:00$/, 'with the system attributes');
    await refused([Query.select(['no_such_column'])], /Attribute not found in schema: no_such_column/);
  });

  it('limit starts at 1; equal times are ordered by $sequence, newest first under orderDesc($createdAt)', async () => {
    await refused([Query.limit(0)], /limit/);
    assert.deepEqual(await ids([Query.orderDesc('$createdAt')]), ['v3', 'v2', 'v1']);
    assert.deepEqual(await ids([Query.orderAsc('priority')]), ['v1', 'v2', 'v3']);
    for (let i = 4; i <= 11; i += 1)
      addVideo(fake, `v${i}`, { source_url: `https://cdn.test/${i}.mp4` }, new Date('2024-05-01T12:00:00.000Z'));
    const newest = await ids([Query.orderDesc('$createdAt'), Query.limit(3)]);
    assert.deepEqual(newest, ['v11', 'v10', 'v9'], '$sequence compares as a number');
  });
});
