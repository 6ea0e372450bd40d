import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The one way secrets (API key, tokens, CSRF, webhook signatures, login) are compared: both sides
 * are hashed first, so the constant-time comparison works on equal lengths and neither the content
 * nor the length of the secret leaks through timing.
 */
export function secretDigest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Constant-time check of `given` against a digest made by {@link secretDigest}. */
export function matchesDigest(given: string, expected: Buffer): boolean {
  return timingSafeEqual(secretDigest(given), expected);
}

/** A webhook's signature header against the one we compute: constant time, and an empty header never matches. */
export function signatureMatches(given: string, expected: string): boolean {
  return given !== '' && matchesDigest(given, secretDigest(expected));
}
