import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isAppError, type ErrorCode } from '../../src/errors.js';
import { silentLogger, type Logger } from '../../src/logging/logger.js';
import { AppwriteSource } from '../../src/sources/appwrite-source.js';
import type { Failure } from '../../src/domain/record.js';
import type { FakeAppwrite } from '../fakes/appwrite-server.js';
import {
  addVideo,
  appwriteConfig,
  capturingLogger,
  DATABASE,
  startFakeAppwrite,
  useFakeAppwrite,
  TABLE,
  videoRow,
} from '../helpers/appwrite-fixtures.js';
import { publishResultFor } from '../helpers/publish-result.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const rejectsWith = (promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> =>
  assert.rejects(promise, (err: unknown) => isAppError(err, code) && (message === undefined || message.test(err.message)));

/**
 * Claims through the real SDK against the fake, on servers with row locks (1.9.5+) and without
 * them (up to 1.9.0, `fake.cachedClaims`): the claim token makes a claim exclusive either way.
 */
describe('Appwrite claims and the claim token', () => {
  let fake: FakeAppwrite;
  const source = (workerId: string, log: Logger = silentLogger()): AppwriteSource =>
    new AppwriteSource({ config: appwriteConfig(fake), workerId, leaseSeconds: 60, log });
  const claimOne = async (worker: AppwriteSource, workerId: string) => worker.claim((await worker.listPending(1)).records[0]!, workerId);

  useFakeAppwrite((started) => (fake = started));

  it('writes a fresh random token with every claim, and clears it when the claim ends', async () => {
    addVideo(fake, 'tok', { source_url: 'https://cdn.test/t.mp4' });
    const worker = source('host-a:1');
    assert.ok(await claimOne(worker, 'host-a:1'));
    const first = videoRow(fake, 'tok').claim_token as string;
    assert.match(first, UUID);
    await worker.release('tok');
    assert.equal(videoRow(fake, 'tok').claim_token, null, 'released: no claim, no token');

    assert.ok(await claimOne(worker, 'host-a:1'));
    const second = videoRow(fake, 'tok').claim_token as string;
    assert.match(second, UUID);
    assert.notEqual(second, first);
    const failure: Failure = {
      status: 'pending',
      error: 'boom',
      errorCode: 'ffmpeg_failed',
      retryCount: 1,
      retryErrors: ['boom'],
      lastRetryAt: new Date().toISOString(),
      nextAttemptAt: new Date().toISOString(),
    };
    await worker.fail('tok', failure);
    assert.equal(videoRow(fake, 'tok').claim_token, null);
  });

  /** Two workers claim `id` from one listing; the server holds both claims until both have arrived. */
  const claimTogether = async (id: string) => {
    const held: Array<() => void> = [];
    fake.holdUpdate = () =>
      new Promise<void>((resolve) => {
        held.push(resolve);
        if (held.length === 2) for (const release of held) release();
      });
    const [a, b] = [source('host-a:1'), source('host-b:2')];
    const [listedA, listedB] = await Promise.all([a.listPending(1), b.listPending(1)]);
    assert.deepEqual([listedA.records[0]?.id, listedB.records[0]?.id], [id, id]);
    const results = await Promise.all([a.claim(listedA.records[0]!, 'host-a:1'), b.claim(listedB.records[0]!, 'host-b:2')]);
    fake.holdUpdate = null;
    return { a, b, results };
  };

  it('1.9.5: of two claims arriving together, the server grants one', async () => {
    addVideo(fake, 'once', { source_url: 'https://cdn.test/1.mp4' });
    const { results } = await claimTogether('once');
    assert.equal(results.filter((r) => r !== null).length, 1);
    assert.equal(fake.doubleGrants, 0);
    assert.equal(fake.writesTo('once', { step: 'claimed' }), 1, 'the other got 409');
  });

  it('≤ 1.9.0: a claim granted twice goes to the worker the row names; the other claim is lost at once', async () => {
    addVideo(fake, 'twice', { source_url: 'https://cdn.test/2.mp4' });
    fake.cachedClaims = true;
    const { a, b, results } = await claimTogether('twice');

    assert.equal(fake.doubleGrants, 1, 'the server granted both claims');
    assert.equal(fake.writesTo('twice', { step: 'claimed' }), 2);
    const winners = results.filter((r) => r !== null);
    assert.equal(winners.length, 1, 'one claimer sees its token in the row; the other returns null');
    const row = videoRow(fake, 'twice');
    assert.equal(row.claimed_by, winners[0]!.claimedBy);
    const [winner, loser] = row.claimed_by === 'host-a:1' ? [a, b] : [b, a];
    await winner.confirmClaim('twice');
    await rejectsWith(loser.confirmClaim('twice'), 'lease_expired');
    await rejectsWith(loser.complete('twice', publishResultFor('appwrite-twice')), 'lease_expired');
    await winner.complete('twice', publishResultFor('appwrite-twice'));
    assert.equal(fake.writesTo('twice', { status: 'completed' }), 1, 'written back once');
  });

  it('a worker whose token was replaced stops: before publishing, at its heartbeat and at the write-back, even under its own worker id', async () => {
    addVideo(fake, 'late', { source_url: 'https://cdn.test/l.mp4' });
    const worker = source('host-a:1');
    assert.ok(await claimOne(worker, 'host-a:1'));
    await worker.confirmClaim('late');
    await worker.heartbeat('late', { percent: 40, step: 'transcoding' });

    // A second claim granted by an old server lands late, from a daemon sharing the worker id
    // (a pinned WORKER_ID copied to two hosts): only the token tells the claims apart.
    fake.patchRow(DATABASE, TABLE, 'late', { claim_token: 'a-rival-token', claimed_by: 'host-a:1' }, true);
    const replaced = /claim token was replaced/;
    await rejectsWith(worker.confirmClaim('late'), 'lease_expired', replaced);
    await rejectsWith(worker.heartbeat('late', { percent: 50, step: 'transcoding' }), 'lease_expired', replaced);
    await rejectsWith(worker.complete('late', publishResultFor('appwrite-late')), 'lease_expired', replaced);
    await rejectsWith(worker.release('late'), 'lease_expired', replaced);
    assert.equal(fake.writesTo('late', { status: 'completed' }), 0);
    assert.deepEqual([videoRow(fake, 'late').claim_token, videoRow(fake, 'late').progress], ['a-rival-token', 40]);
  });

  it('confirmClaim says cancelled for a row cancelled since the claim', async () => {
    addVideo(fake, 'cx', { source_url: 'https://cdn.test/c.mp4' });
    const worker = source('host-a:1');
    assert.ok(await claimOne(worker, 'host-a:1'));
    fake.patchRow(DATABASE, TABLE, 'cx', { status: 'cancelled' }, true);
    await rejectsWith(worker.confirmClaim('cx'), 'cancelled');
  });
});

describe('Appwrite claims on a table without the claim_token column', () => {
  let fake: FakeAppwrite;
  before(async () => {
    fake = await startFakeAppwrite();
    // Set up before the column existed (appwrite:setup not run since the upgrade).
    const table = fake.table(DATABASE, TABLE);
    table.columns.splice(
      table.columns.findIndex((c) => c.key === 'claim_token'),
      1,
    );
  });
  after(async () => {
    await fake?.stop();
  });

  it('claims without a token (exclusive on servers with row locks), tells the operator once, and writes back', async () => {
    const captured = capturingLogger();
    const worker = new AppwriteSource({ config: appwriteConfig(fake), workerId: 'host-a:1', leaseSeconds: 60, log: captured.log });
    addVideo(fake, 'old-1', { source_url: 'https://cdn.test/1.mp4' });
    addVideo(fake, 'old-2', { source_url: 'https://cdn.test/2.mp4' });
    const { records } = await worker.listPending(2);
    assert.ok(await worker.claim(records[0]!, 'host-a:1'));
    assert.ok(await worker.claim(records[1]!, 'host-a:1'));
    assert.equal('claim_token' in videoRow(fake, 'old-1'), false);
    await worker.confirmClaim('old-1');
    await worker.complete('old-1', publishResultFor('appwrite-old-1'));
    await worker.release('old-2');
    assert.deepEqual([videoRow(fake, 'old-1').status, videoRow(fake, 'old-2').status], ['completed', 'pending']);
    const told = captured.lines.filter((l) => /no claim_token column/.test(String(l.msg)));
    assert.equal(told.length, 1);
    assert.match(told[0]!.msg, /appwrite:setup/);
  });
});
