import type { WordpressConfig } from '../config/config.js';
import { answerError, createWordpressHttp, PLUGIN_CAPABILITY, PLUGIN_NAMESPACE, restRootsOf, transportError } from './wordpress-client.js';

/**
 * The plugin version this daemon is written against (VCMP_PLUGIN_VERSION in the plugin). Any
 * version of the same major works: the plugin changes its REST routes and meta only in a major.
 */
export const EXPECTED_PLUGIN_VERSION = '2.0.0';

/** One line of the doctor's report. */
export interface WordpressCheck {
  readonly level: 'ok' | 'warn' | 'fail';
  readonly name: string;
  readonly detail: string;
}

/** An answer of the REST API (status and parsed body). */
export interface WordpressCheckAnswer {
  readonly status: number;
  readonly data: unknown;
}

type Get = (url: string, doing: string) => Promise<WordpressCheckAnswer | string>;

/** A failed check from a transport error (a string) or an unexpected answer. */
function failed(name: string, answer: WordpressCheckAnswer | string, doing: string, config: WordpressConfig): WordpressCheck {
  return { level: 'fail', name, detail: typeof answer === 'string' ? answer : answerError(answer, doing, config).message };
}

/** The site answers, the Application Password is accepted with enough rights, the plugin is active and current. Reads only. */
export async function checkWordpress(config: WordpressConfig): Promise<WordpressCheck[]> {
  const roots = restRootsOf(config);
  let root: string;
  try {
    root = await roots.get();
  } catch (err) {
    return [{ level: 'fail', name: 'wordpress site', detail: (err as Error).message }];
  }
  const http = createWordpressHttp(config, { roots });
  const get: Get = async (url, doing) => {
    try {
      const res = await http.get<unknown>(url);
      return { status: res.status, data: res.data };
    } catch (err) {
      return transportError(err, doing, config.url).message;
    }
  };
  const site = await get('', 'reading the REST index');
  if (typeof site === 'string' || site.status !== 200) return [failed('wordpress site', site, 'reading the REST index', config)];
  const name = (site.data as { name?: unknown }).name;
  const checks: WordpressCheck[] = [
    {
      level: 'ok',
      name: 'wordpress site',
      detail: `${config.url} (${typeof name === 'string' ? name : 'REST API answers'}), REST API at ${root}`,
    },
  ];
  const me = await get('wp/v2/users/me?context=edit', 'checking the credentials');
  if (typeof me === 'string' || me.status !== 200)
    return [...checks, failed('wordpress credentials', me, 'checking the credentials', config)];
  checks.push(credentialsCheck(config, me));
  const status = await get(`${PLUGIN_NAMESPACE}/status`, 'reading the plugin status');
  if (typeof status === 'string' || status.status !== 200) {
    return [...checks, failed('wordpress plugin', status, 'reading the plugin status', config)];
  }
  return [...checks, pluginCheck(status), webhookCheck(config)];
}

/**
 * `/wp/v2/users/me?context=edit` lists the user's capabilities (its roles' and its own). Claims
 * and the plugin's routes need the plugin's capability; the write-backs go through core's media
 * route, which needs the right to edit every media item.
 */
export function credentialsCheck(config: Pick<WordpressConfig, 'user'>, me: WordpressCheckAnswer): WordpressCheck {
  const caps = (me.data as { capabilities?: Record<string, unknown> } | null)?.capabilities ?? {};
  const missing: string[] = [];
  if (caps[PLUGIN_CAPABILITY] !== true)
    missing.push(
      `the ${PLUGIN_CAPABILITY} capability that claims and write-backs need ` +
        `(an administrator has it; for another user: wp user add-cap ${config.user} ${PLUGIN_CAPABILITY})`,
    );
  if (caps.upload_files !== true || caps.edit_others_posts !== true)
    missing.push('the right to edit every media item (upload_files, edit_others_posts: an editor or administrator)');
  return missing.length === 0
    ? { level: 'ok', name: 'wordpress credentials', detail: `${config.user} has ${PLUGIN_CAPABILITY} and may edit every media item` }
    : { level: 'fail', name: 'wordpress credentials', detail: `${config.user} lacks ${missing.join(', and ')}` };
}

/** `major.minor[.patch]` with an optional pre-release or build suffix. */
function parseVersion(version: unknown): [number, number, number] | null {
  const match = typeof version === 'string' ? /^(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$/.exec(version.trim()) : null;
  return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : null;
}

/** Any plugin of the expected major is fine; another major speaks other routes and meta. */
export function pluginCheck(status: WordpressCheckAnswer): WordpressCheck {
  const { version, counts } = (status.data ?? {}) as { version?: unknown; counts?: Record<string, number> };
  const name = 'wordpress plugin';
  const [major, minor, patch] = parseVersion(EXPECTED_PLUGIN_VERSION)!;
  const found = parseVersion(version);
  const needs = `this daemon needs plugin ${major}.x`;
  if (!found) return { level: 'fail', name, detail: `the plugin reports no usable version (${String(version)}): ${needs}` };
  if (found[0] !== major) {
    const fix = found[0] < major ? 'update the plugin' : `install plugin ${major}.x, or a daemon written for plugin ${found[0]}.x`;
    return { level: 'fail', name, detail: `version ${String(version)} active: ${needs}; ${fix}` };
  }
  const active = `version ${String(version)} active (${counts?.pending ?? 0} pending)`;
  if (found[1] > minor)
    return { level: 'ok', name, detail: `${active}, newer than the ${EXPECTED_PLUGIN_VERSION} this daemon knows: compatible` };
  const older = found[1] < minor || (found[1] === minor && found[2] < patch);
  return older
    ? {
        level: 'ok',
        name,
        detail: `${active}, older than the ${EXPECTED_PLUGIN_VERSION} this daemon is written against: updating is advised`,
      }
    : { level: 'ok', name, detail: active };
}

function webhookCheck(config: WordpressConfig): WordpressCheck {
  return config.webhookSecret
    ? { level: 'ok', name: 'wordpress webhook', detail: 'signatures verified (set the same secret in Media → Video Compressor)' }
    : { level: 'warn', name: 'wordpress webhook', detail: 'WP_WEBHOOK_SECRET unset: webhooks refused, new uploads wait for the next poll' };
}
