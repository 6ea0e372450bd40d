/**
 * PUBLISH_TARGET=s3 end to end: the real daemon (in-process), real FFmpeg and an S3-compatible
 * server on loopback (s3rver) driven through the AWS SDK. Jobs are published to the bucket and
 * played from its URLs; DELETE, gc, `requeue --missing-ladder` and `doctor` work on the bucket.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DeleteObjectCommand, PutBucketCorsCommand } from '@aws-sdk/client-s3';
import { makeClip } from '../helpers/media-fixtures.js';
import { startServer, type TestServer } from '../helpers/http-fixtures.js';
import { s3DaemonEnv, startS3, type TestS3 } from '../helpers/s3-server.js';
import { serveFile, startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'src/cli.ts');
const TSX = path.join(ROOT, 'node_modules/tsx/dist/loader.mjs');

describe('publishing to an S3-compatible bucket (PUBLISH_TARGET=s3)', () => {
  let s3: TestS3;
  let files: TestServer;
  let vc: TestDaemon;
  let env: Record<string, string>;

  /** The command-line tool on the daemon's storage and bucket. */
  const cli = async (args: string[]): Promise<{ code: number; stdout: string }> => {
    try {
      const { stdout } = await run(process.execPath, ['--import', TSX, CLI, ...args], {
        env: { PATH: process.env.PATH ?? '', HOME: vc.storageDir, STORAGE_DIR: vc.storageDir, LOG_LEVEL: 'silent', ...env },
        timeout: 60_000,
      });
      return { code: 0, stdout };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: `${e.stdout}${e.stderr}` };
    }
  };
  const submit = async (name: string): Promise<any> => {
    const { status, body } = await vc.api('POST', '/api/jobs', { source_url: files.url(`/${name}.mp4`) });
    assert.equal(status, 202, JSON.stringify(body));
    return vc.waitForJob(body.id, (j) => ['completed', 'failed'].includes(j.status), 120_000);
  };

  before(async () => {
    s3 = await startS3();
    files = await startServer(serveFile(await makeClip({ width: 320, height: 180, seconds: 3 })));
    // Players read the bucket directly (path style): its address is the public base.
    env = {
      ...s3DaemonEnv(s3),
      PREVIEWS: 'on',
      THUMBNAIL_COUNT: '2',
    };
    vc = await startTestDaemon(env);
  });
  after(async () => {
    await vc?.close();
    await files?.close();
    await s3?.close();
  });

  it('publishes the ladder to the bucket, nothing to storage/hls, and the URLs written back play', async () => {
    const job = await submit('first');
    assert.equal(job.status, 'completed', JSON.stringify(job));
    const key = `local-${job.id}`;
    assert.equal(job.hls_url, s3.url(`storage/hls/${key}/master.m3u8`));
    assert.match(job.poster_url, new RegExp(`^${s3.url(`storage/hls/${key}/v[0-9tz]+-[0-9a-f]{6}/poster\\.jpg`)}$`));
    assert.equal(existsSync(path.join(vc.storageDir, 'hls', key)), false, 'LOCAL_COPY_DAYS=0: no local copy');
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', job.hls_url]);
    assert.ok(Math.abs(Number(stdout) - 3) < 0.5, stdout);
    for (const url of [job.poster_url, job.metadata_url, ...job.thumbnail_urls, job.storyboard_url]) {
      assert.equal((await fetch(url, { method: 'HEAD' })).status, 200, url);
    }
  });

  it('DELETE removes the ladder from the bucket', async () => {
    const job = await submit('deleted');
    const key = `local-${job.id}`;
    assert.ok((await s3.keys(`storage/hls/${key}/`)).length > 3);
    const res = await vc.api('DELETE', `/api/jobs/${key}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(await s3.keys(`storage/hls/${key}/`), []);
  });

  it('requeue --missing-ladder finds a record whose master is gone from the bucket', async () => {
    const job = await submit('lost');
    const key = `local-${job.id}`;
    await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: `storage/hls/${key}/master.m3u8` }));
    const { code, stdout } = await cli(['requeue', '--missing-ladder', '--dry-run']);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /local: 1 completed record\(s\) without s3:\/\/ladders\/storage\/hls\/<key>\/master\.m3u8/);
  });

  it('doctor checks the bucket: write, read and delete of a probe, and CORS for players', async () => {
    const before = await cli(['doctor']);
    assert.match(before.stdout, /s3 bucket\s+s3:\/\/ladders\/storage\/hls: write, read and delete work/);
    assert.match(before.stdout, /s3 cors\s+no (CORS configuration|rule allows GET)/);
    await s3.client.send(
      new PutBucketCorsCommand({
        Bucket: s3.bucket,
        CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['GET', 'HEAD'], AllowedHeaders: ['*'] }] },
      }),
    );
    const after = await cli(['doctor']);
    assert.match(after.stdout, /s3 cors\s+GET from any origin allowed/);
    assert.deepEqual(await s3.keys('storage/hls/.video'), [], 'the probe object is gone');
  });
});
