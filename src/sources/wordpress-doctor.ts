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

/** The site answers, the Application Password is accepted with enough rights, the plugin is active and current. Reads only. */
export async function checkWordpress(config: WordpressConfig): Promise<WordpressCheck[]> {
  const http = createWordpressHttp(config);
  const get = async (url: string, doing: string): Promise<Answer | string> => {
    try {
      const res = await http.get<unknown>(url);
      return { status: res.status, data: res.data };
    } catch (err) {
      return transportError(err, doing, config.url).message;
    }
  };
  const site = await get('', 'reading the REST index');
  if (typeof site === 'string') return [{ level: 'fail', name: 'wordpress site', detail: site }];
  if (site.status !== 200)
    return [{ level: 'fail', name: 'wordpress site', detail: answerError(site, 'reading the REST index', config).message }];
  const name = (site.data as { name?: unknown }).name;
  const checks: WordpressCheck[] = [
    { level: 'ok', name: 'wordpress site', detail: `${config.url} (${typeof name === 'string' ? name : 'REST API answers'})` },
  ];
  const me = await get('wp/v2/users/me?context=edit', 'checking the credentials');
  if (typeof me === 'string' || me.status !== 200) {
    return [
      ...checks,
      {
        level: 'fail',
        name: 'wordpress credentials',
        detail: typeof me === 'string' ? me : answerError(me, 'checking the credentials', config).message,
      },
    ];
  }
  const caps = (me.data as { capabilities?: Record<string, boolean> }).capabilities ?? {};
  checks.push(
    caps.upload_files && caps.edit_others_posts
      ? { level: 'ok', name: 'wordpress credentials', detail: `${config.user} may edit every media item` }
      : {
          level: 'fail',
          name: 'wordpress credentials',
          detail: `${config.user} must be an editor or administrator (upload_files, edit_others_posts)`,
        },
  );
  const status = await get(`${PLUGIN_NAMESPACE}/status`, 'reading the plugin status');
  if (typeof status === 'string' || status.status !== 200) {
    return [
      ...checks,
      {
        level: 'fail',
        name: 'wordpress plugin',
        detail: typeof status === 'string' ? status : answerError(status, 'reading the plugin status', config).message,
      },
    ];
  }
  const { version, counts } = status.data as { version?: unknown; counts?: Record<string, number> };
  const pending = counts?.pending ?? 0;
  checks.push(
    version === EXPECTED_PLUGIN_VERSION
      ? { level: 'ok', name: 'wordpress plugin', detail: `version ${version} active (${pending} pending)` }
      : {
          level: 'warn',
          name: 'wordpress plugin',
          detail: `version ${String(version)} active, this daemon expects ${EXPECTED_PLUGIN_VERSION}: update the plugin`,
        },
  );
  checks.push(
    config.webhookSecret
      ? { level: 'ok', name: 'wordpress webhook', detail: 'signatures verified (set the same secret in Media → Video Compressor)' }
      : {
          level: 'warn',
          name: 'wordpress webhook',
          detail: 'WP_WEBHOOK_SECRET unset: webhooks refused, new uploads wait for the next poll',
        },
  );
  return checks;
}
