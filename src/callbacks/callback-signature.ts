import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries the signature of a callback's body. */
export const SIGNATURE_HEADER = 'X-Signature';

const PREFIX = 'sha256=';

/**
 * `sha256=<hex>`: HMAC-SHA256 of the raw body (the exact bytes sent) with CALLBACK_SECRET as key.
 * Receivers must verify the bytes they received, before parsing: re-serialising parsed JSON may
 * change them.
 */
export function signBody(body: string | Buffer, secret: string): string {
  return `${PREFIX}${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * For receivers (and our tests): whether `header`, the X-Signature value received with `body`, was
 * made with `secret`. Constant time; a missing, empty or malformed header never matches.
 *
 * ```ts
 * const raw = await readRawBody(req); // a Buffer, before any JSON parsing
 * if (!verifySignature(raw, req.headers['x-signature'], process.env.CALLBACK_SECRET)) return res.writeHead(401).end();
 * ```
 */
export function verifySignature(body: string | Buffer, header: string | readonly string[] | null | undefined, secret: string): boolean {
  if (typeof header !== 'string' || !header.startsWith(PREFIX)) return false;
  // Both sides hashed first: timingSafeEqual needs equal lengths, and the length must not leak either.
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(header.trim().toLowerCase()), digest(signBody(body, secret)));
}
