import type { RequestHandler } from 'express';
import { AppError } from '../errors.js';
import { matchesDigest, secretDigest } from './secret-compare.js';

/**
 * Requires `X-API-Key`. Both sides are hashed before the constant-time comparison so neither the
 * content nor the length of the key leaks through timing. With no key configured every request is
 * refused (fail closed).
 */
export function requireApiKeyHeader(apiKey: string | null): RequestHandler {
  const expected = apiKey ? secretDigest(apiKey) : null;
  return (req, _res, next) => {
    const given = req.get('x-api-key');
    if (expected && given !== undefined && given !== '' && matchesDigest(given, expected)) {
      next();
      return;
    }
    next(new AppError('unauthorized', 'missing or wrong X-API-Key header'));
  };
}
