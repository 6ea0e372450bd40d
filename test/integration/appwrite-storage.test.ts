import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { ignoreEvents } from '../../src/domain/events.js';
import type { VideoRecord } from '../../src/domain/record.js';
import type { Logger } from '../../src/logging/logger.js';
import { createPipelineTools } from '../../src/pipeline/pipeline-tools.js';
import { processVideo, type JobOutcome, type PipelineTools } from '../../src/pipeline/process-video.js';
import { AppwriteSource } from '../../src/sources/appwrite-source.js';
import { backfillPending } from '../../src/sources/appwrite-backfill.js';
import { checkAppwrite } from '../../src/sources/appwrite-doctor.js';
import { ALL_SCOPES, FULL_KEY, type FakeAppwrite } from '../fakes/appwrite-server.js';
import {
  addVideo,
  appwriteConfig,
  appwriteEnv,
  capturingLogger,
  DATABASE,
  TABLE,
  useFakeAppwrite,
  videoRow,
} from '../helpers/appwrite-fixtures.js';
import { FAKE_SOURCE_INFO, fakeLadder } from '../helpers/fake-ladder.js';

const BUCKET = 'uploads';
const WORKER = 'host-a:1';
/** Not an HTML page, and under the 64 KiB limit of these tests. */
const VIDEO = Buffer.alloc(40 * 1024, 0x42);
const INFO = FAKE_SOURCE_INFO;

/**
 * Rows naming their video by source_file_id, through the real Appwrite source, the real download
 * (in its child process, under the address policy: the fake listens on 127.0.0.1) and processVideo;
 * only probing and encoding are stand-ins, which keep the downloaded bytes for the checks.
 */
describe('Appwrite Storage sources', () => {
  let fake: FakeAppwrite;
  let root: string;
  useFakeAppwrite((started) => (fake = started));
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'vc-appwrite-storage-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** Polls, claims and processes the one due row; returns the outcome and what the encoder was given. */
  async function runOne(
    env: Record<string, string>,
    log: Logger,
  ): Promise<{ outcome: JobOutcome; record: VideoRecord; input: Buffer | null }> {
    const config = loadConfig({ envFile: false, cwd: root, env: appwriteEnv(fake, { MAX_SOURCE_BYTES: '64KiB', ...env }) });
    assert.equal(config.download.allowPrivate, false, 'the policy stays on: only the configured endpoint is trusted');
    const source = new AppwriteSource({ config: config.appwrite!, workerId: WORKER, leaseSeconds: 60, log });
    const { records } = await source.listPending(10);
    assert.equal(records.length, 1);
    const claimed = await source.claim(records[0]!, WORKER);
    assert.ok(claimed);
    let input: Buffer | null = null;
    const tools: PipelineTools = {
      ...createPipelineTools({ config, log }),
      probe: async () => INFO,
      transcode: async ({ input: file, outDir }) => {
        input = await readFile(file);
        return fakeLadder(outDir);
      },
    };
    const deps = {
      source,
      ledger: { start: async () => 1, finish: async () => undefined },
      tools,
      events: ignoreEvents,
      config: {
        workerId: WORKER,
        tempDir: path.join(root, 'temp'),
        hlsDir: path.join(root, 'hls'),
        publicBaseUrl: 'https://cdn.example.com',
        heartbeatMs: 60_000,
        retryDelaysMs: [0, 60_000],
        diskSpaceFactor: 1,
      },
      log,
      now: () => new Date(),
    };
    const outcome = await processVideo(claimed, deps, { signal: new AbortController().signal });
    return { outcome, record: claimed, input };
  }

  it('downloads a row’s source_file_id through the Storage API with the key, which no log line carries', async () => {
    fake.storage.putFile(BUCKET, 'clip-1', VIDEO);
    addVideo(fake, 'stored', { source_file_id: 'clip-1' });
    const captured = capturingLogger();
    const { outcome, record, input } = await runOne({ APPWRITE_SOURCE_BUCKET_ID: BUCKET }, captured.log);

    assert.equal(outcome, 'completed');
    assert.equal(record.sourceUrl, `${fake.endpoint}/storage/buckets/${BUCKET}/files/clip-1/download`);
    assert.ok(input !== null && VIDEO.equals(input), 'the encoder got the stored bytes');
    assert.deepEqual(fake.storage.downloads, [{ bucketId: BUCKET, fileId: 'clip-1', project: 'vc-test', key: FULL_KEY, range: null }]);
    assert.equal(videoRow(fake, 'stored').status, 'completed');
    assert.ok(captured.text().includes('source downloaded'), 'the download was logged');
    assert.equal(captured.text().includes(FULL_KEY), false, 'the key is in no log line');
    assert.equal(JSON.stringify(record).includes(FULL_KEY), false, 'a serialised record leaves the key out');
  });

  it('resumes a download cut mid-file with Range, piece by piece under the server’s cap on a range', async () => {
    fake.storage.putFile(BUCKET, 'cut', VIDEO);
    addVideo(fake, 'cut', { source_file_id: 'cut' });
    fake.storage.rangeChunkBytes = 8 * 1024;
    fake.storage.cut = { afterBytes: 10 * 1024, times: 1 };
    const captured = capturingLogger();
    const { outcome, input } = await runOne({ APPWRITE_SOURCE_BUCKET_ID: BUCKET }, captured.log);
    assert.equal(outcome, 'completed');
    assert.ok(input !== null && VIDEO.equals(input), 'the encoder got the stored bytes, whole');
    const ranges = fake.storage.downloads.map((d) => d.range);
    assert.equal(ranges[0], null);
    const starts = ranges.slice(1).map((r) => Number(/^bytes=(\d+)-$/.exec(r ?? '')?.[1]));
    assert.ok(starts.length >= 4 && starts[0]! <= 10 * 1024, `pieces from ${ranges.join(', ')}`);
    assert.ok(
      fake.storage.downloads.every((d) => d.key === FULL_KEY),
      'every piece asked with the key',
    );
    assert.match(captured.text(), /source download resumed/);
  });

  it('APPWRITE_DELETE_SOURCE_AFTER: deletes the file of a completed row, keeps that of a failed one', async () => {
    const env = { APPWRITE_SOURCE_BUCKET_ID: BUCKET, APPWRITE_DELETE_SOURCE_AFTER: 'true' };
    fake.storage.putFile(BUCKET, 'done', VIDEO);
    addVideo(fake, 'done', { source_file_id: 'done' });
    const captured = capturingLogger();
    assert.equal((await runOne(env, captured.log)).outcome, 'completed');
    assert.deepEqual([videoRow(fake, 'done').status, fake.storage.bucket(BUCKET).has('done')], ['completed', false]);
    assert.ok(captured.text().includes('source file deleted from Appwrite Storage'));

    fake.storage.putFile(BUCKET, 'too-big', Buffer.alloc(100 * 1024, 0x42));
    addVideo(fake, 'too-big', { source_file_id: 'too-big' });
    assert.equal((await runOne(env, capturingLogger().log)).outcome, 'failed');
    assert.equal(fake.storage.bucket(BUCKET).has('too-big'), true, 'a failed row keeps its file');
  });

  it('takes the row’s own source_bucket_id over APPWRITE_SOURCE_BUCKET_ID', async () => {
    fake.storage.putFile('other', 'clip-2', VIDEO);
    addVideo(fake, 'elsewhere', { source_file_id: 'clip-2', source_bucket_id: 'other' });
    const { outcome } = await runOne({ APPWRITE_SOURCE_BUCKET_ID: BUCKET }, capturingLogger().log);
    assert.equal(outcome, 'completed');
    assert.deepEqual(
      fake.storage.downloads.map((d) => d.bucketId),
      ['other'],
    );
  });

  it('fails a missing file for good as source_not_found', async () => {
    fake.storage.bucket(BUCKET);
    addVideo(fake, 'gone', { source_file_id: 'no-such-file' });
    const { outcome, input } = await runOne({ APPWRITE_SOURCE_BUCKET_ID: BUCKET }, capturingLogger().log);
    assert.equal(outcome, 'failed');
    assert.equal(input, null);
    const row = videoRow(fake, 'gone');
    assert.deepEqual([row.status, row.error_code, row.next_attempt_at], ['failed', 'source_not_found', null]);
    assert.equal(fake.storage.downloads.length, 1);
  });

  it('fails a file over MAX_SOURCE_BYTES for good as source_too_large', async () => {
    fake.storage.putFile(BUCKET, 'huge', Buffer.alloc(100 * 1024, 0x42));
    addVideo(fake, 'huge', { source_file_id: 'huge' });
    const { outcome, input } = await runOne({ APPWRITE_SOURCE_BUCKET_ID: BUCKET }, capturingLogger().log);
    assert.equal(outcome, 'failed');
    assert.equal(input, null);
    assert.deepEqual([videoRow(fake, 'huge').status, videoRow(fake, 'huge').error_code], ['failed', 'source_too_large']);
  });

  it('fails a file without a bucket (none on the row, none configured) for good, saying so', async () => {
    addVideo(fake, 'no-bucket', { source_file_id: 'clip-3' });
    const { outcome } = await runOne({}, capturingLogger().log);
    assert.equal(outcome, 'failed');
    const row = videoRow(fake, 'no-bucket');
    assert.deepEqual([row.status, row.error_code], ['failed', 'source_url_invalid']);
    assert.match(String(row.error), /no bucket: set its source_bucket_id, or APPWRITE_SOURCE_BUCKET_ID/);
    assert.equal(fake.storage.downloads.length, 0, 'nothing was asked of Storage');
  });

  it('appwrite:setup --backfill queues an old row naming a file, not one naming nothing', async () => {
    for (const [id, data] of [
      ['old-file', { source_file_id: 'clip-9' }],
      ['old-empty', {}],
    ] as const) {
      addVideo(fake, id, data);
      fake.patchRow(DATABASE, TABLE, id, { status: null });
    }
    assert.deepEqual(await backfillPending(appwriteConfig(fake)), { queued: 1, skipped: 0 });
    assert.deepEqual([videoRow(fake, 'old-file').status, videoRow(fake, 'old-empty').status], ['pending', null]);
  });

  it('doctor: with APPWRITE_SOURCE_BUCKET_ID set, the key must read the bucket’s files', async () => {
    const storageCheck = async (env: Record<string, string>) =>
      (await checkAppwrite(appwriteConfig(fake, env))).find((c) => c.name === 'appwrite storage');
    fake.storage.putFile(BUCKET, 'clip-1', VIDEO);
    assert.equal(await storageCheck({}), undefined, 'no bucket configured, nothing to check');
    assert.equal((await storageCheck({ APPWRITE_SOURCE_BUCKET_ID: BUCKET }))?.level, 'ok');
    fake.keys.set(
      'rows-only',
      ALL_SCOPES.filter((scope) => scope !== 'files.read'),
    );
    const refused = await storageCheck({ APPWRITE_SOURCE_BUCKET_ID: BUCKET, APPWRITE_API_KEY: 'rows-only' });
    assert.equal(refused?.level, 'fail');
    assert.match(refused?.detail ?? '', /may not read the files of bucket uploads: grant it files\.read/);
    const missing = await storageCheck({ APPWRITE_SOURCE_BUCKET_ID: 'nope' });
    assert.equal(missing?.level, 'fail');
    assert.match(missing?.detail ?? '', /storage_bucket_not_found/);
    const deleting = { APPWRITE_SOURCE_BUCKET_ID: BUCKET, APPWRITE_DELETE_SOURCE_AFTER: 'true' };
    const checks = async (env: Record<string, string>) =>
      (await checkAppwrite(appwriteConfig(fake, env))).filter((c) => c.name === 'appwrite storage').map((c) => [c.level, c.detail]);
    assert.deepEqual((await checks(deleting))[1], ['ok', 'the key may delete source files']);
    fake.keys.set(
      'read-files',
      ALL_SCOPES.filter((scope) => scope !== 'files.write'),
    );
    assert.deepEqual((await checks({ ...deleting, APPWRITE_API_KEY: 'read-files' }))[1], [
      'fail',
      'the API key may not delete the files of bucket uploads: grant it files.write',
    ]);
    assert.equal(fake.storage.bucket(BUCKET).has('clip-1'), true, 'the probe deletes nothing');
  });
});
