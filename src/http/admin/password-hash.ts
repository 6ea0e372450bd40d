import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * ADMIN_PASSWORD_HASH format: `scrypt:<log2 N>:<r>:<p>:<salt>:<hash>`, salt (16 bytes) and hash
 * (32 bytes) in base64url. Colons and base64url need no quoting in .env or a shell, unlike `$`.
 * Generate one with `video-compressor hash-password`.
 */
export interface ScryptParams {
  readonly log2N: number;
  readonly r: number;
  readonly p: number;
}

/** OWASP's recommendation for scrypt: N = 2^17, r = 8, p = 1 (128 MiB, a few hundred ms). */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { log2N: 17, r: 8, p: 1 };

const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.log2N;
  // Node refuses above 32 MiB by default; allow what these parameters need, with headroom.
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r * params.p };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  return ['scrypt', params.log2N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join(':');
}

/** Parses an encoded hash; null when it is not one this module wrote (or its parameters are unreasonable). */
export function parsePasswordHash(encoded: string): { params: ScryptParams; salt: Buffer; key: Buffer } | null {
  const [scheme, log2N, r, p, salt, key] = encoded.split(':');
  const params = { log2N: Number(log2N), r: Number(r), p: Number(p) };
  const sane = params.log2N >= 10 && params.log2N <= 20 && params.r >= 1 && params.r <= 32 && params.p >= 1 && params.p <= 16;
  if (scheme !== 'scrypt' || !sane || !salt || !key) return null;
  const keyBytes = Buffer.from(key, 'base64url');
  return keyBytes.length === KEY_LENGTH ? { params, salt: Buffer.from(salt, 'base64url'), key: keyBytes } : null;
}

/** Constant-time check of `password` against an encoded hash. */
export async function verifyPasswordHash(password: string, encoded: string): Promise<boolean> {
  const parsed = parsePasswordHash(encoded);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params);
  return timingSafeEqual(key, parsed.key);
}
