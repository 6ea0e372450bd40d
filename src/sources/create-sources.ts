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

/** One CmsSource per kind listed in SOURCES, with the HTTP routes each one needs. */
export function createSources({ config, jobs, now }: CreateSourcesOptions): SourceWiring {
  const sources: CmsSource[] = [];
  const mounts: AppMount[] = [];
  for (const kind of config.worker.sources) {
    switch (kind) {
      case 'local':
        sources.push(new LocalSource({ jobs, workerId: config.worker.id, leaseSeconds: config.worker.leaseSeconds, now }));
        break;
      default:
        throw new ConfigError([`SOURCES: ${kind} is not available in this version yet`]);
    }
  }
  return { sources, mounts };
}
