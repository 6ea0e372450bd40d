import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RECORD_FIELDS, type RecordField } from '../../src/domain/record-fields.js';
import { FieldMap, type AppwriteRow } from '../../src/sources/appwrite-fields.js';
import type { StorageConnection } from '../../src/sources/appwrite-storage.js';

const KEY = 'standard_secret_key_for_the_mapping_test';
const STORAGE: StorageConnection = {
  endpoint: 'https://appwrite.internal:8443/v1',
  projectId: 'media-app',
  apiKey: KEY,
  sourceBucketId: 'uploads',
};
const IDENTITY = Object.fromEntries(RECORD_FIELDS.map((f) => [f, f])) as Record<RecordField, string>;

function row(data: Record<string, unknown>): AppwriteRow {
  const at = '2026-12-01T10:00:00.000+00:00';
  return { $id: 'video-1', $createdAt: at, $updatedAt: at, status: 'pending', ...data } as unknown as AppwriteRow;
}

/** How a row naming a Storage file becomes a record (FieldMap.toRecord). */
describe('Appwrite rows naming a Storage file', () => {
  const fields = new FieldMap(IDENTITY, STORAGE);

  it('downloads source_file_id from APPWRITE_SOURCE_BUCKET_ID with the key in headers only', () => {
    const record = fields.toRecord(row({ source_file_id: 'clip-1' }))!;
    assert.equal(record.sourceUrl, 'https://appwrite.internal:8443/v1/storage/buckets/uploads/files/clip-1/download');
    assert.deepEqual(record.sourceAccess?.headers, { 'X-Appwrite-Project': 'media-app', 'X-Appwrite-Key': KEY });
    assert.deepEqual([record.sourceAccess?.trustedHost, record.sourceAccess?.problem], ['appwrite.internal', null]);
    assert.equal(JSON.stringify(record).includes(KEY), false, 'a serialised record leaves the key out');
    assert.equal(JSON.stringify({ ...record }).includes(KEY), false, 'so does a copy of it');
  });

  it('prefers the row’s source_bucket_id, and the file over a source_url', () => {
    const record = fields.toRecord(row({ source_file_id: 'clip-1', source_bucket_id: 'b2', source_url: 'https://cdn.test/a.mp4' }))!;
    assert.equal(record.sourceUrl, 'https://appwrite.internal:8443/v1/storage/buckets/b2/files/clip-1/download');
  });

  it('leaves a row without a file as it is', () => {
    for (const fileId of [undefined, null, '', '  ']) {
      const record = fields.toRecord(row({ source_url: 'https://cdn.test/a.mp4', source_file_id: fileId }))!;
      assert.deepEqual([record.sourceUrl, record.sourceAccess], ['https://cdn.test/a.mp4', undefined]);
    }
  });

  it('names the problem of a file that cannot be fetched: no bucket, or ids that are not Appwrite ids', () => {
    const noDefault = new FieldMap(IDENTITY, { ...STORAGE, sourceBucketId: null });
    const missing = noDefault.toRecord(row({ source_file_id: 'clip-1' }))!;
    assert.match(missing.sourceAccess?.problem ?? '', /names the Storage file clip-1 but no bucket/);
    assert.equal(missing.sourceUrl, '');
    const odd = fields.toRecord(row({ source_file_id: '../../users' }))!;
    assert.match(odd.sourceAccess?.problem ?? '', /not an Appwrite id/);
    assert.equal(odd.sourceUrl, '');
  });

  it('resolves nothing without a Storage connection (the operator’s view of the row)', () => {
    const plain = new FieldMap(IDENTITY).toRecord(row({ source_file_id: 'clip-1' }))!;
    assert.deepEqual([plain.sourceUrl, plain.sourceAccess], ['', undefined]);
  });
});
