import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cachedProbe } from '../../src/http/cached-probe.js';

/** A probe that counts its calls and answers with the call number, or fails when told to. */
function countingProbe(): { probe: () => Promise<number>; calls: () => number; failNext: () => void } {
  let calls = 0;
  let fail = false;
  return {
    probe: async () => {
      calls += 1;
      if (fail) {
        fail = false;
        throw new Error(`probe ${calls} failed`);
      }
      return calls;
    },
    calls: () => calls,
    failNext: () => {
      fail = true;
    },
  };
}

describe('cachedProbe', () => {
  it('reuses a result within ttlMs and probes again after it', async () => {
    let clock = 0;
    const counter = countingProbe();
    const probe = cachedProbe(counter.probe, { ttlMs: 1000, now: () => clock });
    assert.equal(await probe(), 1);
    clock = 999;
    assert.equal(await probe(), 1);
    assert.equal(counter.calls(), 1);
    clock = 1000;
    assert.equal(await probe(), 2);
    assert.equal(counter.calls(), 2);
  });

  it('shares one probe among concurrent callers', async () => {
    const counter = countingProbe();
    const probe = cachedProbe(counter.probe, { ttlMs: 0, now: () => 0 });
    const answers = await Promise.all([probe(), probe(), probe()]);
    assert.deepEqual(answers, [1, 1, 1]);
    assert.equal(counter.calls(), 1);
  });

  it('never reuses a failure', async () => {
    const counter = countingProbe();
    const probe = cachedProbe(counter.probe, { ttlMs: 60_000, now: () => 0 });
    counter.failNext();
    await assert.rejects(probe(), /probe 1 failed/);
    assert.equal(await probe(), 2);
    assert.equal(await probe(), 2);
  });

  it('with ttlMs 0, probes on every sequential call', async () => {
    const counter = countingProbe();
    const probe = cachedProbe(counter.probe, { ttlMs: 0, now: () => 0 });
    await probe();
    await probe();
    assert.equal(counter.calls(), 2);
  });
});
