import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';

/** Final route: every unknown path answers the JSON error shape, not Express's HTML page. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `no route for ${req.method} ${req.path}`));
};

/** Errors raised by Express and body-parser carry an HTTP status; map them onto the catalog. */
function fromHttpError(err: unknown): AppError | null {
  if (typeof err !== 'object' || err === null) return null;
  const { status, statusCode, type } = err as { status?: unknown; statusCode?: unknown; type?: unknown };
  const code = typeof status === 'number' ? status : typeof statusCode === 'number' ? statusCode : NaN;
  if (!(code >= 400 && code < 500)) return null;
  if (code === 413) return new AppError('payload_too_large', 'request body is over the limit', { cause: err });
  if (type === 'entity.parse.failed') return new AppError('invalid_request', 'malformed JSON body', { cause: err });
  if (code === 401) return new AppError('unauthorized', 'unauthorized', { cause: err });
  if (code === 404) return new AppError('not_found', 'not found', { cause: err });
  return new AppError('invalid_request', 'malformed request', { cause: err });
}

/**
 * Turns anything thrown into `{ error: { code, message } }` with the catalog's status. Unexpected
 * errors are logged with their stack and answered as a bare 500 so internals never reach a client.
 */
export function createErrorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const known = err instanceof AppError ? err : fromHttpError(err);
    const error = known ?? new AppError('internal_error', 'internal error; see the logs', { cause: err });
    if (error.httpStatus >= 500) log.error({ err, method: req.method, path: req.path }, 'HTTP request failed');
    if (res.headersSent) {
      // Too late for a JSON body (a stream broke mid-way): cutting the connection tells the client.
      res.destroy();
      return;
    }
    res
      .status(error.httpStatus)
      .set('Cache-Control', 'no-store')
      .json({ error: { code: error.code, message: error.message } });
  };
}
