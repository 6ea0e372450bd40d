import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SystemMonitor } from '../../src/alerts/system-monitor.js';
import type { SystemSampler } from '../../src/alerts/system-sample.js';
import { createSystemSampler } from '../../src/alerts/system-sampler.js';
import { silentLogger } from '../../src/logging/logger.js';
import { sample } from '../helpers/monitoring-fixtures.js';

function scripted(values: Array<number | Error>): SystemSampler & { calls: number } {
  const sampler = {
    calls: 0,
    async sample() {
      const value = values[sampler.calls++] ?? 0;
      if (value instanceof Error) throw value;
      const { at: _at, ...reading } = sample(0, { cpu: value });
      return reading;
    },
  };
  return sampler;
}

describe('SystemMonitor', () => {
  it('keeps a bounded history, oldest first, stamped with its clock', async () => {
    let t = Date.parse('2025-10-22T12:00:00Z');
    const monitor = new SystemMonitor({
      sampler: scripted([1, 2, 3, 4, 5]),
      now: () => new Date((t += 10_000)),
      log: silentLogger(),
      historyLimit: 3,
    });
    for (let i = 0; i < 5; i += 1) await monitor.sampleNow();
    assert.deepEqual(
      monitor.history().map((s) => s.cpuPercent),
      [3, 4, 5],
    );
    assert.equal(monitor.latest()?.cpuPercent, 5);
    assert.equal(monitor.latest()?.at, '2025-10-22T12:00:50.000Z');
  });

  it('skips a failed reading, tells its listeners about the good ones, and joins a reading in progress', async () => {
    const sampler = scripted([7, new Error('proc unreadable'), 9]);
    const monitor = new SystemMonitor({ sampler, now: () => new Date(), log: silentLogger() });
    const seen: number[] = [];
    monitor.onSample((s) => seen.push(s.cpuPercent));
    monitor.onSample(() => {
      throw new Error('a broken listener does not stop the monitor');
    });
    const [a, b] = await Promise.all([monitor.sampleNow(), monitor.sampleNow()]);
    assert.equal(a, b, 'one reading for both callers');
    assert.equal(await monitor.sampleNow(), null);
    await monitor.sampleNow();
    assert.deepEqual(seen, [7, 9]);
    assert.equal(sampler.calls, 3);
  });

  it('start() reads at once in the background; stop() ends the timer', async () => {
    const sampler = scripted([1, 2, 3]);
    const monitor = new SystemMonitor({ sampler, now: () => new Date(), log: silentLogger(), firstDelayMs: 60_000 });
    monitor.start();
    await monitor.sampleNow();
    monitor.stop();
    assert.equal(sampler.calls, 1);
  });

  it('the real sampler reads this machine: CPU, memory, the storage volume and network rates', async () => {
    const sampler = createSystemSampler({ storageDir: process.cwd() });
    const first = await sampler.sample();
    const second = await sampler.sample();
    for (const reading of [first.memory, first.disk]) {
      assert.ok(reading.totalBytes > 0 && reading.usedBytes > 0 && reading.usedBytes <= reading.totalBytes);
      assert.ok(reading.percent > 0 && reading.percent <= 100);
    }
    assert.ok(first.cpuPercent >= 0 && first.cpuPercent <= 100);
    assert.equal(first.network.inBitsPerSecond, null, 'no rate from a single reading');
    assert.ok((second.network.inBitsPerSecond ?? -1) >= 0);
  });
});
