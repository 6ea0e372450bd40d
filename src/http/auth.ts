import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../errors.js';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Requires `X-API-Key`. Both sides are hashed before the constant-time comparison so neither the
 * content nor the length of the key leaks through timing. With no key configured every request is
 * refused (fail closed).
 */
export function requireApiKey(apiKey: string | null): RequestHandler {
  const expected = apiKey ? digest(apiKey) : null;
  return (req, _res, next) => {
    const given = req.get('x-api-key');
    if (expected && given !== undefined && given !== '' && timingSafeEqual(digest(given), expected)) {
      next();
      return;
    }
    next(new AppError('unauthorized', 'missing or wrong X-API-Key header'));
  };
}
