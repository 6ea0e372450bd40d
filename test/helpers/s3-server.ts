/**
 * An S3-compatible server on 127.0.0.1 (s3rver, files in a temp directory) and the daemon's S3
 * config and client for it: the real AWS SDK against a real HTTP server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import type { S3Config } from '../../src/config/config.js';
import { createS3Client } from '../../src/publish/s3-client.js';

export interface TestS3 {
  readonly endpoint: string;
  readonly bucket: string;
  readonly config: S3Config;
  readonly client: S3Client;
  /** The public (path-style) URL of an object. */
  url(key: string): string;
  /** Every object key under `prefix`, sorted. */
  keys(prefix?: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function startS3(bucket = 'ladders'): Promise<TestS3> {
  const directory = await mkdtemp(path.join(tmpdir(), 'vc-s3-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const config: S3Config = {
    endpoint,
    region: 'us-east-1',
    bucket,
    prefix: 'storage/hls',
    forcePathStyle: true,
    // s3rver's fixed pair.
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  };
  const client = createS3Client(config);
  return {
    endpoint,
    bucket,
    config,
    client,
    url: (key) => `${endpoint}/${bucket}/${key}`,
    keys: async (prefix = '') => {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    close: async () => {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** The daemon's settings to publish into `s3`'s bucket, read by players at the bucket's own (path-style) address. */
export function s3DaemonEnv(s3: TestS3): Record<string, string> {
  return {
    PUBLISH_TARGET: 's3',
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: s3.bucket,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    PUBLIC_BASE_URL: `${s3.endpoint}/${s3.bucket}`,
  };
}
