import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DeleteObjectsCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Config } from '../config/config.js';
import { AppError } from '../errors.js';
import { ladderCacheControl, ladderContentType } from '../domain/ladder-http.js';
import { MASTER_PLAYLIST } from '../domain/storage-layout.js';
import type { Logger } from '../logging/logger.js';
import type { LadderTarget, PublishedLadder } from './ladder-target.js';
import { bucketError, isMissing } from './s3-client.js';

/** Files uploaded at once: segments are small, so a few in flight keep the link busy. */
const UPLOAD_CONCURRENCY = 4;
/** Above this a file goes up in parts (lib-storage's multipart upload), each this large. */
const PART_BYTES = 8 * 1024 * 1024;
/** DeleteObjects takes at most this many keys per call. */
const DELETE_BATCH = 1000;

export interface S3LadderTargetOptions {
  readonly config: S3Config;
  readonly client: S3Client;
  readonly now?: () => Date;
}

/**
 * Ladders in an S3-compatible bucket, under `<S3_PREFIX>/<key>/`. A publish uploads everything
 * but the master into a new `v<version>/` prefix, checks every object with HEAD, then writes
 * `master.m3u8` (pointing into that version) last, and only then removes older versions. So a
 * player never meets half a ladder: before the master is written it still reads the previous
 * version, whole; after, the new one, whole. A publish cut short (a crash, SIGKILL, an outage)
 * leaves unreferenced objects of a version nothing points at, removed by the next publish of
 * that key or by `unpublish`.
 */
export class S3LadderTarget implements LadderTarget {
  readonly kind = 's3';
  private readonly now: () => Date;

  constructor(private readonly options: S3LadderTargetOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async publish({ key, outDir, log }: { key: string; outDir: string; log: Logger }): Promise<PublishedLadder> {
    const version = versionOf(this.now());
    const base = this.objectKey(key);
    try {
      const files = (await filesUnder(outDir)).filter((f) => f !== MASTER_PLAYLIST);
      await inPool(files, UPLOAD_CONCURRENCY, (file) => this.upload(`${base}/${version}/${file}`, path.join(outDir, file)));
      await inPool(files, UPLOAD_CONCURRENCY, (file) => this.verify(`${base}/${version}/${file}`, path.join(outDir, file)));
      const master = rewriteMaster(await readFile(path.join(outDir, MASTER_PLAYLIST), 'utf8'), `${version}/`);
      await this.upload(`${base}/${MASTER_PLAYLIST}`, Buffer.from(master));
      await this.verify(`${base}/${MASTER_PLAYLIST}`, Buffer.byteLength(master));
      const removed = await this.removeExcept(base, [`${base}/${MASTER_PLAYLIST}`, `${base}/${version}/`]);
      log.info(
        { bucket: this.options.config.bucket, prefix: `${base}/${version}/`, objects: files.length + 1, removed },
        'ladder published',
      );
      return { filePrefix: `${version}/` };
    } catch (err) {
      throw bucketError(err, `publishing ${key}`, this.options.config);
    }
  }

  async unpublish(key: string, log: Logger): Promise<number | null> {
    const base = this.objectKey(key);
    try {
      const objects = await this.list(`${base}/`);
      if (objects.length === 0) return null;
      // The master first: players stop finding the ladder at once, and whole.
      const master = objects.filter((o) => o.key === `${base}/${MASTER_PLAYLIST}`);
      await this.remove(master.map((o) => o.key));
      await this.remove(objects.filter((o) => !master.includes(o)).map((o) => o.key));
      const bytes = objects.reduce((sum, o) => sum + o.size, 0);
      log.info({ bucket: this.options.config.bucket, prefix: `${base}/`, bytes }, 'ladder removed');
      return bytes;
    } catch (err) {
      throw bucketError(err, `removing ${key}`, this.options.config);
    }
  }

  async hasLadder(key: string): Promise<boolean> {
    try {
      await this.options.client.send(
        new HeadObjectCommand({ Bucket: this.options.config.bucket, Key: `${this.objectKey(key)}/${MASTER_PLAYLIST}` }),
      );
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw bucketError(err, `looking for the ladder of ${key}`, this.options.config);
    }
  }

  async keys(): Promise<string[]> {
    const { client, config } = this.options;
    const prefix = config.prefix === '' ? '' : `${config.prefix}/`;
    const keys: string[] = [];
    try {
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: config.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
        );
        for (const p of page.CommonPrefixes ?? []) if (p.Prefix) keys.push(p.Prefix.slice(prefix.length, -1));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw bucketError(err, 'listing the ladders', config);
    }
    return keys;
  }

  async ladderBytes(key: string): Promise<number> {
    try {
      return (await this.list(`${this.objectKey(key)}/`)).reduce((sum, o) => sum + o.size, 0);
    } catch (err) {
      throw bucketError(err, `measuring ${key}`, this.options.config);
    }
  }

  /** `<prefix>/<key>` (no trailing slash). */
  private objectKey(key: string): string {
    const { prefix } = this.options.config;
    return prefix === '' ? key : `${prefix}/${key}`;
  }

  private async upload(objectKey: string, body: string | Buffer): Promise<void> {
    const { client, config } = this.options;
    const upload = new Upload({
      client,
      partSize: PART_BYTES,
      queueSize: 1,
      params: {
        Bucket: config.bucket,
        Key: objectKey,
        Body: typeof body === 'string' ? createReadStream(body) : body,
        ContentType: ladderContentType(objectKey) ?? 'application/octet-stream',
        CacheControl: ladderCacheControl(objectKey),
      },
    });
    await upload.done();
  }

  /** HEAD: the object is there with the size on disk (or of `expected`), before anything points at it. */
  private async verify(objectKey: string, expected: string | number): Promise<void> {
    const size = typeof expected === 'number' ? expected : (await stat(expected)).size;
    const head = await this.options.client.send(new HeadObjectCommand({ Bucket: this.options.config.bucket, Key: objectKey }));
    if (head.ContentLength !== size) {
      throw new AppError(
        'publish_failed',
        `Bucket ${this.options.config.bucket}: ${objectKey} holds ${head.ContentLength} bytes, not ${size}`,
        {
          context: { objectKey, expected: size, actual: head.ContentLength ?? null },
        },
      );
    }
  }

  /** Every object under `prefix`, paged. */
  private async list(prefix: string): Promise<Array<{ key: string; size: number }>> {
    const { client, config } = this.options;
    const objects: Array<{ key: string; size: number }> = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: config.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) objects.push({ key: o.Key, size: o.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  /** Removes every object under `<base>/` but the kept keys and prefixes; how many went. */
  private async removeExcept(base: string, keep: readonly string[]): Promise<number> {
    const stale = (await this.list(`${base}/`)).filter((o) => !keep.some((k) => (k.endsWith('/') ? o.key.startsWith(k) : o.key === k)));
    await this.remove(stale.map((o) => o.key));
    return stale.length;
  }

  private async remove(keys: readonly string[]): Promise<void> {
    const { client, config } = this.options;
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      const answer = await client.send(
        new DeleteObjectsCommand({ Bucket: config.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      );
      const failed = answer.Errors ?? [];
      if (failed.length > 0) {
        throw new AppError(
          'publish_failed',
          `Bucket ${config.bucket}: ${failed.length} object(s) could not be deleted (${failed[0]?.Code})`,
          {
            context: { first: failed[0]?.Key ?? null },
          },
        );
      }
    }
  }
}

/** `v<UTC time>-<random>`: sortable, and unique even for two publishes in the same millisecond. */
function versionOf(now: Date): string {
  return `v${now.toISOString().replace(/[-:.]/g, '').replace('T', 't').toLowerCase()}-${randomBytes(3).toString('hex')}`;
}

/**
 * The master playlist with every relative URI (variant lines, and `URI="…"` attributes of
 * EXT-X-MEDIA / EXT-X-I-FRAME-STREAM-INF) moved under `prefix`.
 */
export function rewriteMaster(master: string, prefix: string): string {
  const relative = (uri: string): boolean => !/^[a-z][a-z0-9+.-]*:/i.test(uri) && !uri.startsWith('/');
  return master
    .split('\n')
    .map((line) => {
      if (line.startsWith('#'))
        return line.replace(/URI="([^"]+)"/g, (all, uri: string) => (relative(uri) ? `URI="${prefix}${uri}"` : all));
      return line.trim() !== '' && relative(line.trim()) ? `${prefix}${line.trim()}` : line;
    })
    .join('\n');
}

/** Files under `dir`, relative, with forward slashes. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** Runs `task` over `items`, at most `size` at once; the first failure stops the rest from starting. */
async function inPool<T>(items: readonly T[], size: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      try {
        await task(items[next++] as T);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}
