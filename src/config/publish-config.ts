import type { RawEnv } from './schema.js';

/** Where published ladders go (PUBLISH_TARGET): the local disk as ever, or an S3-compatible bucket. */
export interface PublishConfig {
  readonly target: 'local' | 's3';
  /** Set with PUBLISH_TARGET=s3. */
  readonly s3: S3Config | null;
  /** With S3: how long a local copy of each ladder stays under storage/hls (0 = none). */
  readonly localCopyDays: number;
}

export interface S3Config {
  /** null: AWS itself (the region's endpoint). */
  readonly endpoint: string | null;
  readonly region: string;
  readonly bucket: string;
  /** Object keys are `<prefix>/<job key>/…`; `storage/hls` by default, the URL path nginx serves ladders under. */
  readonly prefix: string;
  /** `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key` (MinIO, s3rver, most self-hosted stores). */
  readonly forcePathStyle: boolean;
  /** From AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN); null: the SDK's own chain (AWS_PROFILE, instance role…). Never logged. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string } | null;
}

/** Variables PUBLISH_TARGET=s3 needs, checked with every other problem. */
export function missingPublishVariables(env: Readonly<Record<string, string>>): string[] {
  if (env.PUBLISH_TARGET !== 's3') return [];
  const problems = env.S3_BUCKET ? [] : ['S3_BUCKET: is required when PUBLISH_TARGET is s3'];
  if (Boolean(env.AWS_ACCESS_KEY_ID) !== Boolean(env.AWS_SECRET_ACCESS_KEY))
    problems.push('AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: set both, or neither (the SDK then uses AWS_PROFILE or the instance role)');
  return problems;
}

export function buildPublishConfig(raw: RawEnv): PublishConfig {
  const s3: S3Config | null =
    raw.PUBLISH_TARGET === 's3' && raw.S3_BUCKET
      ? {
          endpoint: raw.S3_ENDPOINT?.replace(/\/+$/, '') ?? null,
          region: raw.S3_REGION,
          bucket: raw.S3_BUCKET,
          prefix: raw.S3_PREFIX.replace(/^\/+|\/+$/g, ''),
          forcePathStyle: raw.S3_FORCE_PATH_STYLE,
          credentials:
            raw.AWS_ACCESS_KEY_ID && raw.AWS_SECRET_ACCESS_KEY
              ? {
                  accessKeyId: raw.AWS_ACCESS_KEY_ID,
                  secretAccessKey: raw.AWS_SECRET_ACCESS_KEY,
                  ...(raw.AWS_SESSION_TOKEN ? { sessionToken: raw.AWS_SESSION_TOKEN } : {}),
                }
              : null,
        }
      : null;
  return { target: raw.PUBLISH_TARGET, s3, localCopyDays: raw.LOCAL_COPY_DAYS };
}
