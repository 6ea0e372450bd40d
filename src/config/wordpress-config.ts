import { parseSourceList } from './parsers.js';
import type { RawEnv } from './schema.js';

/** Where and how to reach the WordPress site (`SOURCES=wordpress`). */
export interface WordpressConfig {
  /**
   * The site's address (home URL), no trailing slash. The REST API root is discovered from it
   * (the Link header of its pages: `<url>/wp-json/`, or `<url>/index.php?rest_route=/` without
   * pretty permalinks) and must be on the same origin, the only one the password is sent to.
   */
  readonly url: string;
  readonly user: string;
  /** An Application Password of `user` (spaces as WordPress shows them are fine). Never logged. */
  readonly appPassword: string;
  /** null: webhooks are refused (the poll still runs). */
  readonly webhookSecret: string | null;
  /** Every request to WordPress is aborted after this long. */
  readonly timeoutMs: number;
}

const REQUIRED = ['WP_URL', 'WP_USER', 'WP_APP_PASSWORD'] as const;

/**
 * Variables that `SOURCES=wordpress` needs and that have no default. Checked on the raw
 * environment (before parsing), so these problems are listed together with every other one.
 */
export function missingWordpressVariables(env: Readonly<Record<string, string>>): string[] {
  if (!parseSourceList(env.SOURCES ?? '').kinds.includes('wordpress')) return [];
  return REQUIRED.filter((name) => !env[name]).map((name) => `${name}: is required when SOURCES includes wordpress`);
}

/** The WordPress slice, or null when the connection variables are not all set. */
export function buildWordpressConfig(raw: RawEnv): WordpressConfig | null {
  const { WP_URL: url, WP_USER: user, WP_APP_PASSWORD: appPassword } = raw;
  if (!url || !user || !appPassword) return null;
  return {
    url: url.replace(/\/+$/, ''),
    user,
    appPassword,
    webhookSecret: raw.WP_WEBHOOK_SECRET ?? null,
    timeoutMs: raw.WP_TIMEOUT,
  };
}
