import { Router } from 'express';
import { AppError } from '../../errors.js';
import { matchesDigest, secretDigest } from '../secret-compare.js';

/** Dependencies of {@link metricsRouter}. */
export interface MetricsRouteDeps {
  readonly apiKey: string;
  /** Accepted as `Authorization: Bearer <token>`; null = only the API key. */
  readonly metricsToken: string | null;
  readonly metrics: { metrics(): Promise<string>; readonly contentType: string };
}

function matchesAny(given: string | undefined, secrets: readonly Buffer[]): boolean {
  if (!given) return false;
  // Compare against every secret, not stopping at the first match, so timing tells nothing.
  return secrets.map((secret) => matchesDigest(given, secret)).includes(true);
}

/**
 * GET /metrics in Prometheus text format. Scrapers authenticate with the API key (`X-API-Key`, or
 * as a bearer token) or with METRICS_TOKEN as a bearer token, so Prometheus need not hold the key
 * that can submit and cancel jobs.
 */
export function metricsRouter({ apiKey, metricsToken, metrics }: MetricsRouteDeps): Router {
  const bearerSecrets = [secretDigest(apiKey), ...(metricsToken ? [secretDigest(metricsToken)] : [])];
  const keySecrets = [secretDigest(apiKey)];
  const router = Router();
  router.get('/', async (req, res) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (!matchesAny(req.get('x-api-key'), keySecrets) && !matchesAny(bearer, bearerSecrets)) {
      throw new AppError('unauthorized', 'missing or wrong X-API-Key header or bearer token');
    }
    const body = await metrics.metrics();
    res.set('Content-Type', metrics.contentType).set('Cache-Control', 'no-store').send(body);
  });
  return router;
}
