import type { AppConfig } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import type { JobStore } from '../store/store.js';
import type { CmsSource } from './cms-source.js';
import { LocalSource } from './local-source.js';

export interface CreateSourcesOptions {
  readonly config: AppConfig;
  readonly jobs: JobStore;
  readonly log: Logger;
  readonly now: () => Date;
}

/**
 * One CmsSource per kind listed in SOURCES (their webhooks are HTTP routes: src/http mounts
 * them). A CMS source's modules (and its SDK: node-appwrite alone is about 12 MB resident) load
 * only when it is listed.
 */
export async function createSources({ config, jobs, log, now }: CreateSourcesOptions): Promise<CmsSource[]> {
  const sources: CmsSource[] = [];
  for (const kind of config.worker.sources) {
    switch (kind) {
      case 'local':
        sources.push(new LocalSource({ jobs, workerId: config.worker.id, leaseSeconds: config.worker.leaseSeconds, now }));
        break;
      case 'appwrite': {
        // loadConfig refuses SOURCES=appwrite without the connection variables.
        if (!config.appwrite)
          throw new ConfigError([
            'SOURCES: appwrite needs APPWRITE_ENDPOINT, APPWRITE_PROJECT_ID, APPWRITE_API_KEY and APPWRITE_DATABASE_ID',
          ]);
        const { AppwriteSource } = await import('./appwrite-source.js');
        sources.push(
          new AppwriteSource({
            config: config.appwrite,
            workerId: config.worker.id,
            leaseSeconds: config.worker.leaseSeconds,
            log: log.child({ module: 'appwrite' }),
            now,
          }),
        );
        break;
      }
      case 'wordpress': {
        // loadConfig refuses SOURCES=wordpress without the connection variables.
        if (!config.wordpress) throw new ConfigError(['SOURCES: wordpress needs WP_URL, WP_USER and WP_APP_PASSWORD']);
        const { WordpressSource } = await import('./wordpress-source.js');
        sources.push(
          new WordpressSource({
            config: config.wordpress,
            workerId: config.worker.id,
            leaseSeconds: config.worker.leaseSeconds,
            log: log.child({ module: 'wordpress' }),
            now,
          }),
        );
        break;
      }
      default:
        throw new ConfigError([`SOURCES: ${String(kind)} is not available in this version yet`]);
    }
  }
  return sources;
}
