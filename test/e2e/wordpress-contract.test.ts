/**
 * The WordPress source against a real site (Debian's WordPress, MariaDB, the plugin active): the
 * CmsSource contract, the worker's side and the operator's. Root only, like every WordPress test
 * (scripts/wordpress-test-site.sh).
 *
 * The plugin's claim decides whether a lease expired by the site's own clock, so time cannot be
 * moved for the source: instead `advance(ms)` ages the record's lease and retry times (vcmp_heartbeat_at,
 * vcmp_next_attempt_at) by `ms`, which is what time passing means to both the source and the plugin.
 */
import { readFile } from 'node:fs/promises';
import { after, before } from 'node:test';
import type { WordpressConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/logging/logger.js';
import { WordpressSource } from '../../src/sources/wordpress-source.js';
import { cmsSourceContract, type SourceUnderTest } from '../contract/cms-source-contract.js';
import { cmsOperationsContract } from '../contract/operations-contract.js';
import { RIVAL_ID, WORKER_ID } from '../contract/source-under-test.js';
import { storedFromFields } from '../contract/stored-record.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { startWordpressSite, uploadMedia, type WordpressRole, type WordpressSite } from '../helpers/wordpress-site.js';

const LEASE_SECONDS = 120;
/** Creation dates of the contract's records, a second apart from here (WordPress keeps whole seconds). */
const CREATED_FROM = Date.parse('2020-01-01T00:00:00.000Z');
const AGED_FIELDS = ['vcmp_heartbeat_at', 'vcmp_next_attempt_at'] as const;

let site: WordpressSite;
let clip: Buffer;
before(async () => {
  site = await startWordpressSite();
  clip = await readFile(await makeClip({ width: 320, height: 180, seconds: 1 }));
});
after(async () => {
  await site?.close();
});

async function underTest(): Promise<SourceUnderTest> {
  const config: WordpressConfig = {
    url: site.url,
    user: site.users.admin.user,
    appPassword: site.users.admin.password,
    webhookSecret: null,
    timeoutMs: 15_000,
  };
  const source = (workerId: string): WordpressSource =>
    new WordpressSource({ config, workerId, leaseSeconds: LEASE_SECONDS, log: silentLogger() });
  const created: number[] = [];
  const media = async (id: number | string): Promise<any> => {
    const res = await site.rest('admin', 'GET', `wp/v2/media/${id}?context=edit`);
    if (res.status !== 200) throw new Error(`reading media ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const edit = async (role: WordpressRole, id: number | string, body: Record<string, unknown>): Promise<void> => {
    const res = await site.rest(role, 'POST', `wp/v2/media/${id}`, body);
    if (res.status !== 200) throw new Error(`editing media ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  return {
    source: source(WORKER_ID),
    workerId: WORKER_ID,
    rival: source(RIVAL_ID),
    rivalId: RIVAL_ID,
    leaseSeconds: LEASE_SECONDS,
    // Round trips to PHP take real time, and the plugin stamps its claims in whole seconds.
    marginMs: 30_000,
    stampPrecisionMs: 1000,
    clock: {
      now: () => new Date(),
      advance: async (ms) => {
        for (const id of created) {
          const { meta } = await media(id);
          const aged: Record<string, string> = {};
          for (const key of AGED_FIELDS) {
            const value: unknown = meta[key];
            if (typeof value === 'string' && value !== '') aged[key] = new Date(Date.parse(value) - ms).toISOString();
          }
          if (Object.keys(aged).length > 0) await edit('admin', id, { meta: aged });
        }
      },
    },
    createRecord: async ({ priority = 5, title } = {}) => {
      // An editor's upload: the plugin marks it pending.
      const upload = await uploadMedia(site, 'editor', clip, `contract-${created.length + 1}.mp4`, 'video/mp4');
      created.push(upload.id);
      const date = new Date(CREATED_FROM + created.length * 1000).toISOString().slice(0, 19);
      // The plugin's fields are the operator's (manage_video_compressor) to write.
      await edit('admin', upload.id, {
        date_gmt: date,
        meta: { vcmp_priority: priority, ...(title === undefined ? {} : { vcmp_title: title }) },
      });
      return { id: String(upload.id), sourceUrl: upload.source_url };
    },
    readRecord: async (id) => {
      const { meta } = await media(id);
      return storedFromFields((field) => meta[`vcmp_${field}`]);
    },
    cancel: async (id) => {
      await edit('admin', id, { meta: { vcmp_status: 'cancelled' } });
    },
    reclaimError: (worker) =>
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z lease_expired: lease expired \\(worker ${worker} stopped heart-beating\\)$`),
    cleanup: async () => {
      for (const id of created) await site.rest('admin', 'DELETE', `wp/v2/media/${id}?force=true`);
    },
  };
}

cmsSourceContract('WordPress (real site and plugin)', underTest);
cmsOperationsContract('WordPress (real site and plugin)', underTest);
