import type { WordpressConfig } from '../config/config.js';
import { answerError, createWordpressHttp, PLUGIN_NAMESPACE, transportError } from './wordpress-client.js';

/** The plugin version this daemon is written against (VC_PLUGIN_VERSION in the plugin). */
export const EXPECTED_PLUGIN_VERSION = '1.0.0';

/** One line of the doctor's report. */
export interface WordpressCheck {
  readonly level: 'ok' | 'warn' | 'fail';
  readonly name: string;
  readonly detail: string;
}

interface Answer {
  readonly status: number;
  readonly data: unknown;
}

type Get = (url: string, doing: string) => Promise<Answer | string>;

/** A failed check from a transport error (a string) or an unexpected answer. */
function failed(name: string, answer: Answer | string, doing: string, config: WordpressConfig): WordpressCheck {
  return { level: 'fail', name, detail: typeof answer === 'string' ? answer : answerError(answer, doing, config).message };
}

/** The site answers, the Application Password is accepted with enough rights, the plugin is active and current. Reads only. */
export async function checkWordpress(config: WordpressConfig): Promise<WordpressCheck[]> {
  const http = createWordpressHttp(config);
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
    { level: 'ok', name: 'wordpress site', detail: `${config.url} (${typeof name === 'string' ? name : 'REST API answers'})` },
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

function credentialsCheck(config: WordpressConfig, me: Answer): WordpressCheck {
  const caps = (me.data as { capabilities?: Record<string, boolean> }).capabilities ?? {};
  return caps.upload_files && caps.edit_others_posts
    ? { level: 'ok', name: 'wordpress credentials', detail: `${config.user} may edit every media item` }
    : {
        level: 'fail',
        name: 'wordpress credentials',
        detail: `${config.user} must be an editor or administrator (upload_files, edit_others_posts)`,
      };
}

function pluginCheck(status: Answer): WordpressCheck {
  const { version, counts } = status.data as { version?: unknown; counts?: Record<string, number> };
  const pending = counts?.pending ?? 0;
  return version === EXPECTED_PLUGIN_VERSION
    ? { level: 'ok', name: 'wordpress plugin', detail: `version ${version} active (${pending} pending)` }
    : {
        level: 'warn',
        name: 'wordpress plugin',
        detail: `version ${String(version)} active, this daemon expects ${EXPECTED_PLUGIN_VERSION}: update the plugin`,
      };
}

function webhookCheck(config: WordpressConfig): WordpressCheck {
  return config.webhookSecret
    ? { level: 'ok', name: 'wordpress webhook', detail: 'signatures verified (set the same secret in Media → Video Compressor)' }
    : { level: 'warn', name: 'wordpress webhook', detail: 'WP_WEBHOOK_SECRET unset: webhooks refused, new uploads wait for the next poll' };
}
