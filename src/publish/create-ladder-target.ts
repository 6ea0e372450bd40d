import type { AppConfig } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import { LocalLadderTarget, type LadderTarget, type PublishedLadder } from './ladder-target.js';
import { createS3Client } from './s3-client.js';
import { S3LadderTarget } from './s3-target.js';

/** A target and, for messages, where it publishes (`storage/hls` path, or `s3://bucket/prefix`). */
export type ConfiguredLadderTarget = LadderTarget & { readonly where: string };

/**
 * The target PUBLISH_TARGET names. With s3 and LOCAL_COPY_DAYS > 0, each ladder also stays under
 * storage/hls, published there (with renames) after the bucket; the daily clean-up removes those
 * copies once they are older than LOCAL_COPY_DAYS.
 */
export function createLadderTarget(config: Pick<AppConfig, 'publish' | 'storage'>): ConfiguredLadderTarget {
  const local = new LocalLadderTarget(config.storage.hlsDir);
  const { s3 } = config.publish;
  if (config.publish.target !== 's3' || s3 === null) return Object.assign(local, { where: config.storage.hlsDir });
  const bucket = new S3LadderTarget({ config: s3, client: createS3Client(s3) });
  const where = `s3://${s3.bucket}${s3.prefix ? `/${s3.prefix}` : ''}`;
  if (config.publish.localCopyDays === 0) return Object.assign(bucket, { where });
  return new WithLocalCopy(bucket, local, where);
}

/** The bucket is the truth (URLs, gc, requeue); the local copy follows it. */
class WithLocalCopy implements ConfiguredLadderTarget {
  readonly kind = 's3';
  constructor(
    private readonly bucket: LadderTarget,
    private readonly local: LadderTarget,
    readonly where: string,
  ) {}

  async publish(options: { key: string; outDir: string; log: Logger }): Promise<PublishedLadder> {
    const published = await this.bucket.publish(options);
    // The local publish consumes outDir (renames): it comes second, once the bucket has its copy.
    await this.local.publish(options);
    return published;
  }

  async unpublish(key: string, log: Logger): Promise<number | null> {
    const bytes = await this.bucket.unpublish(key, log);
    await this.local.unpublish(key, log);
    return bytes;
  }

  hasLadder(key: string): Promise<boolean> {
    return this.bucket.hasLadder(key);
  }

  keys(): Promise<string[]> {
    return this.bucket.keys();
  }

  ladderBytes(key: string): Promise<number> {
    return this.bucket.ladderBytes(key);
  }
}
