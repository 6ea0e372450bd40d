import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { RECORD_FIELDS } from '../../src/domain/record-fields.js';
import type { FakeAppwrite } from '../fakes/appwrite-server.js';
import { appwriteEnv, DATABASE, startFakeAppwrite, TABLE } from '../helpers/appwrite-fixtures.js';

const run = promisify(execFile);
const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
const TSX = import.meta.resolve('tsx');

/** `video-compressor appwrite:setup`, the real command line, run twice against the fake. */
describe('video-compressor appwrite:setup', () => {
  let fake: FakeAppwrite;
  let cwd: string;
  const setup = async (env: Record<string, string>, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', TSX, CLI, 'appwrite:setup', ...args], {
        cwd,
        env: { PATH: process.env.PATH, ...env },
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const failed = err as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  before(async () => {
    fake = await startFakeAppwrite({ setup: false });
    // An empty directory: no .env is read.
    cwd = await mkdtemp(path.join(tmpdir(), 'vc-setup-'));
  });
  after(async () => {
    await fake?.stop();
  });

  it('creates everything, reports it, and changes nothing when run again', async () => {
    const first = await setup(appwriteEnv(fake));
    assert.equal(first.code, 0, first.stderr);
    const total = 2 + RECORD_FIELDS.length + 3;
    assert.match(first.stdout, /^Appwrite http:\/\/127\.0\.0\.1:\d+\/v1, project vc-test, table media\/videos$/m);
    assert.match(first.stdout, /^ {2}\+ created column status: enum\(pending\|processing\|completed\|failed\|cancelled\)$/m);
    assert.match(first.stdout, /^ {2}\+ created index vc_poll \(status, priority, \$createdAt\)$/m);
    assert.match(first.stdout, new RegExp(`^${total} created, 0 already present\\.$`, 'm'));
    assert.ok(!first.stdout.includes('standard_full_access_key'), 'the key is never printed');
    assert.equal(fake.table(DATABASE, TABLE).columns.length, RECORD_FIELDS.length);

    const second = await setup(appwriteEnv(fake));
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stdout, /created (column|index|table|database)/);
    assert.match(second.stdout, new RegExp(`^0 created, ${total} already present\\.$`, 'm'));
  });

  it('--backfill queues the rows that have a source_url but no status, and says how many', async () => {
    for (const id of ['pre-1', 'pre-2', 'pre-3', 'done']) fake.insertRow(DATABASE, TABLE, id, { source_url: `https://cdn.test/${id}.mp4` });
    // Rows from before the daemon's columns hold NULL in them.
    for (const id of ['pre-1', 'pre-2', 'pre-3']) fake.patchRow(DATABASE, TABLE, id, { status: null, priority: null });
    fake.patchRow(DATABASE, TABLE, 'done', { status: 'completed' });
    const first = await setup(appwriteEnv(fake), ['--backfill']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^3 row\(s\) with a source_url but no status queued as pending\.$/m);
    assert.deepEqual(
      ['pre-1', 'done'].map((id) => [fake.row(DATABASE, TABLE, id).status, fake.row(DATABASE, TABLE, id).priority]),
      [
        ['pending', 5],
        ['completed', 5],
      ],
    );
    assert.match((await setup(appwriteEnv(fake), ['--backfill'])).stdout, /^0 row\(s\) with a source_url/m, 'nothing left the second time');
    const bogus = await setup(appwriteEnv(fake), ['--bakfill']);
    assert.deepEqual(
      [bogus.code, bogus.stderr.trim()],
      [2, 'Unknown option --bakfill. Usage: video-compressor appwrite:setup [--backfill]'],
    );
  });

  it('says what is missing instead of guessing', async () => {
    const unconfigured = await setup({});
    assert.equal(unconfigured.code, 2);
    assert.match(
      unconfigured.stderr,
      /appwrite:setup needs APPWRITE_ENDPOINT, APPWRITE_PROJECT_ID, APPWRITE_API_KEY and APPWRITE_DATABASE_ID/,
    );
    fake.keys.set('rows-only', ['rows.read', 'rows.write']);
    const weak = await setup(appwriteEnv(fake, { APPWRITE_API_KEY: 'rows-only' }));
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /lacks the scope databases\.read/);
  });
});
