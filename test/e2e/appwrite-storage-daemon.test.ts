import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { FULL_KEY, type FakeAppwrite } from '../fakes/appwrite-server.js';
import { addVideo, appwriteEnv, startFakeAppwrite, videoRow, waitFor } from '../helpers/appwrite-fixtures.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

const BUCKET = 'uploads';

/**
 * The real daemon (real FFmpeg) with rows that name their video by a Storage file: downloaded from
 * the fake's Storage API with the key, under the address policy (the fake on 127.0.0.1 is the
 * configured endpoint, hence trusted), and the original deleted once the row is completed.
 */
describe('daemon with Appwrite Storage sources', () => {
  let fake: FakeAppwrite;
  let vc: TestDaemon | undefined;

  before(async () => {
    fake = await startFakeAppwrite();
    fake.storage.putFile(BUCKET, 'holiday', await readFile(await makeClip({ width: 320, height: 240, seconds: 2 })));
  });
  after(async () => {
    await vc?.close();
    await fake?.stop();
  });

  it('turns a row naming a Storage file into a ladder, then deletes the original', async () => {
    vc = await startTestDaemon(
      appwriteEnv(fake, { APPWRITE_SOURCE_BUCKET_ID: BUCKET, APPWRITE_DELETE_SOURCE_AFTER: 'true', ALLOW_PRIVATE_SOURCE_URLS: 'false' }),
    );
    await vc.daemon.poller.idle();
    addVideo(fake, 'holiday', { source_file_id: 'holiday', title: 'Holiday' });
    await vc.api('POST', '/api/poll');
    await waitFor('the row to be done', () => ['completed', 'failed'].includes(videoRow(fake, 'holiday').status));

    const row = videoRow(fake, 'holiday');
    assert.equal(row.status, 'completed', JSON.stringify(row));
    assert.match(String(row.hls_url), /\/storage\/hls\/appwrite-holiday\/master\.m3u8$/);
    assert.deepEqual([row.width, row.height, row.source_url], [320, 240, null]);
    assert.deepEqual(
      fake.storage.downloads.map((d) => [d.bucketId, d.fileId, d.key]),
      [[BUCKET, 'holiday', FULL_KEY]],
    );
    // Deleted after the write-back: the row may read completed a moment before the file is gone.
    await waitFor('the original to be deleted', () => !fake.storage.bucket(BUCKET).has('holiday'), { timeoutMs: 10_000 });
    assert.deepEqual(
      fake.storage.downloads.map((d) => d.fileId),
      ['holiday'],
      'downloaded once, never again after the deletion',
    );
  });
});
