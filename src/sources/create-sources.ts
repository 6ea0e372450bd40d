import type { AppConfig } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import type { AppMount } from '../http/app.js';
import type { Logger } from '../logging/logger.js';
import type { JobRepository } from '../store/job-repository.js';
import type { CmsSource } from './cms-source.js';
import { LocalSource } from './local-source.js';

export interface SourceWiring {
  readonly sources: CmsSource[];
  /** Routers a source adds to the HTTP app (webhooks), mounted before the API-key routes. */
  readonly mounts: AppMount[];
}

export interface CreateSourcesOptions {
  readonly config: AppConfig;
  readonly jobs: JobRepository;
  readonly log: Logger;
  readonly now: () => Date;
  /** Wakes the poller (webhooks). */
  readonly pollNow: () => void;
}

/**
 * One CmsSource per kind listed in SOURCES, with the HTTP routes each one needs. A CMS source's
 * modules (and its SDK: node-appwrite alone is about 12 MB resident) load only when it is listed.
 */
export async function createSources({ config, jobs, log, now, pollNow }: CreateSourcesOptions): Promise<SourceWiring> {
  const sources: CmsSource[] = [];
  const mounts: AppMount[] = [];
  for (const kind of config.worker.sources) {
    switch (kind) {
      case 'local':
        sources.push(new LocalSource({ jobs, workerId: config.worker.id, leaseSeconds: config.worker.leaseSeconds, now }));
        break;
      case 'appwrite': {
        // loadConfig refuses SOURCES=appwrite without the connection variables.
        if (!config.appwrite) throw new ConfigError(['SOURCES: appwrite needs APPWRITE_ENDPOINT, APPWRITE_PROJECT_ID, APPWRITE_API_KEY and APPWRITE_DATABASE_ID']);
        const appwriteLog = log.child({ module: 'appwrite' });
        const { AppwriteSource } = await import('./appwrite-source.js');
        const { appwriteWebhookRouter } = await import('./appwrite-webhook.js');
        sources.push(new AppwriteSource({ config: config.appwrite, workerId: config.worker.id, leaseSeconds: config.worker.leaseSeconds, log: appwriteLog, now }));
        mounts.push({ path: '/api/webhooks/appwrite', handler: appwriteWebhookRouter({ config: config.appwrite, pollNow, log: appwriteLog }) });
        break;
      }
      case 'wordpress': {
        // loadConfig refuses SOURCES=wordpress without the connection variables.
        if (!config.wordpress) throw new ConfigError(['SOURCES: wordpress needs WP_URL, WP_USER and WP_APP_PASSWORD']);
        const wordpressLog = log.child({ module: 'wordpress' });
        const { WordpressSource } = await import('./wordpress-source.js');
        const { wordpressWebhookRouter } = await import('./wordpress-webhook.js');
        sources.push(new WordpressSource({ config: config.wordpress, workerId: config.worker.id, leaseSeconds: config.worker.leaseSeconds, log: wordpressLog, now }));
        mounts.push({ path: '/api/webhooks/wordpress', handler: wordpressWebhookRouter({ config: config.wordpress, pollNow, log: wordpressLog }) });
        break;
      }
      default:
        throw new ConfigError([`SOURCES: ${kind} is not available in this version yet`]);
    }
  }
  return { sources, mounts };
}
