import { DeleteObjectCommand, GetBucketCorsCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from '../config/config.js';
import { bucketError } from './s3-client.js';

/** One line of the doctor's report. */
export interface BucketCheck {
  readonly level: 'ok' | 'warn' | 'fail';
  readonly name: string;
  readonly detail: string;
}

/** The probe object, under the prefix, never a ladder's name (job keys have no dot-prefix). */
const PROBE = '.video-compressor-doctor';

/**
 * PUBLISH_TARGET=s3: the key may write, read back and delete an object under S3_PREFIX (a probe,
 * removed again), and the bucket lets players on other sites fetch the ladders (CORS: GET from
 * any origin). A CDN in front may answer CORS itself: then a missing rule is only a warning.
 */
export async function checkBucket(config: S3Config, client: S3Client): Promise<BucketCheck[]> {
  const name = 's3 bucket';
  const key = config.prefix === '' ? PROBE : `${config.prefix}/${PROBE}`;
  const body = `probe ${new Date().toISOString()}`;
  try {
    await client.send(new PutObjectCommand({ Bucket: config.bucket, Key: key, Body: body, ContentType: 'text/plain' }));
    const read = await (await client.send(new GetObjectCommand({ Bucket: config.bucket, Key: key }))).Body?.transformToString();
    await client.send(new DeleteObjectCommand({ Bucket: config.bucket, Key: key }));
    if (read !== body) return [{ level: 'fail', name, detail: `s3://${config.bucket}/${key} read back differs from what was written` }];
  } catch (err) {
    return [{ level: 'fail', name, detail: bucketError(err, 'writing, reading and deleting a probe object', config).message }];
  }
  const checks: BucketCheck[] = [{ level: 'ok', name, detail: `s3://${config.bucket}/${config.prefix}: write, read and delete work` }];
  checks.push(await corsCheck(config, client));
  return checks;
}

async function corsCheck(config: S3Config, client: S3Client): Promise<BucketCheck> {
  const name = 's3 cors';
  const advice =
    'players on other sites need it (AllowedOrigins *, AllowedMethods GET HEAD, AllowedHeaders *), unless a CDN in front answers CORS';
  try {
    const { CORSRules = [] } = await client.send(new GetBucketCorsCommand({ Bucket: config.bucket }));
    const open = CORSRules.some((r) => (r.AllowedOrigins ?? []).includes('*') && (r.AllowedMethods ?? []).includes('GET'));
    return open
      ? { level: 'ok', name, detail: 'GET from any origin allowed' }
      : { level: 'warn', name, detail: `no rule allows GET from any origin: ${advice}` };
  } catch (err) {
    const code = err instanceof Error ? err.name : 'Error';
    if (code === 'NoSuchCORSConfiguration') return { level: 'warn', name, detail: `no CORS configuration: ${advice}` };
    return { level: 'warn', name, detail: `cannot read the CORS configuration (${code}): ${advice}` };
  }
}
