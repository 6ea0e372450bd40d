/** The Appwrite source, through the real node-appwrite SDK, against the fake server on 127.0.0.1: the CmsSource contract, both sides. */
import { after, before } from 'node:test';
import { silentLogger } from '../../src/logging/logger.js';
import { AppwriteSource } from '../../src/sources/appwrite-source.js';
import { type RecordField, type RecordFieldValues } from '../../src/domain/record-fields.js';
import type { FakeAppwrite } from '../fakes/appwrite-server.js';
import { addVideo, appwriteConfig, DATABASE, startFakeAppwrite, TABLE, videoRow } from '../helpers/appwrite-fixtures.js';
import { cmsSourceContract, type SourceUnderTest } from './cms-source-contract.js';
import { cmsOperationsContract } from './operations-contract.js';
import { manualClock, RIVAL_ID, WORKER_ID } from './source-under-test.js';
import { storedFromFields } from './stored-record.js';

const LEASE_SECONDS = 120;
let fake: FakeAppwrite;
before(async () => {
  fake = await startFakeAppwrite();
});
after(async () => {
  await fake?.stop();
});

async function underTest(): Promise<SourceUnderTest> {
  fake.table(DATABASE, TABLE).rows.clear();
  // The source's clock. The server stamps $updatedAt (the lock token) with its own, later, time.
  const clock = manualClock();
  const now = (): Date => clock.now();
  const config = appwriteConfig(fake);
  const source = (workerId: string): AppwriteSource =>
    new AppwriteSource({ config, workerId, leaseSeconds: LEASE_SECONDS, log: silentLogger(), now });
  let n = 0;
  return {
    source: source(WORKER_ID),
    workerId: WORKER_ID,
    rival: source(RIVAL_ID),
    rivalId: RIVAL_ID,
    leaseSeconds: LEASE_SECONDS,
    clock,
    createRecord: async ({ priority = 5, title } = {}) => {
      const id = `video-${(n += 1)}`;
      const sourceUrl = `https://cdn.test/${id}.mp4`;
      addVideo(fake, id, { source_url: sourceUrl, priority, ...(title === undefined ? {} : { title }) }, now());
      clock.tick(1000);
      return { id, sourceUrl };
    },
    readRecord: async (id): Promise<RecordFieldValues> => {
      const row = videoRow(fake, id);
      return storedFromFields((field: RecordField) => row[field]);
    },
    cancel: async (id) => {
      // An editor (or the dashboard of another daemon) saves the row: a new $updatedAt.
      fake.patchRow(DATABASE, TABLE, id, { status: 'cancelled' }, true);
    },
    reclaimError: (worker) =>
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z lease_expired: lease expired \\(worker ${worker} stopped heart-beating\\)$`),
    cleanup: async () => undefined,
  };
}

cmsSourceContract('Appwrite (node-appwrite SDK, fake server)', underTest);
cmsOperationsContract('Appwrite (node-appwrite SDK, fake server)', underTest);
