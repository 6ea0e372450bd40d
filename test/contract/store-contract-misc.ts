import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AlertCondition } from '../../src/store/alert-repository.js';
import type { StoreHarness } from './store-contract-support.js';

/** Alerts: one active alert per rule, touched, notified, acknowledged and resolved. */
export function alertsContract(h: StoreHarness): void {
  const disk: AlertCondition = { rule: 'disk', level: 'warning', message: 'disk 91% full' };

  describe('alerts', () => {
    it('opens one active alert per rule: a second open returns the first', async () => {
      const opened = await h.store.alerts.open(disk, h.now());
      assert.equal(opened.created, true);
      assert.deepEqual(opened.alert, {
        id: opened.alert.id,
        rule: 'disk',
        level: 'warning',
        status: 'open',
        message: 'disk 91% full',
        firstSeenAt: h.now().toISOString(),
        lastSeenAt: h.now().toISOString(),
        lastNotifiedAt: null,
        notifications: 0,
        acknowledgedAt: null,
        acknowledgedBy: null,
        resolvedAt: null,
      });
      h.tick();
      const again = await h.store.alerts.open({ ...disk, level: 'critical' }, h.now());
      assert.deepEqual(again, { alert: opened.alert, created: false });
      const raced = await Promise.all([
        h.store.alerts.open({ ...disk, rule: 'cpu' }, h.now()),
        h.store.alerts.open({ ...disk, rule: 'cpu' }, h.now()),
      ]);
      assert.deepEqual(raced.map((r) => r.created).sort(), [false, true]);
      assert.equal(raced[0]?.alert.id, raced[1]?.alert.id);
    });

    it('touches, notifies, acknowledges and resolves, then opens a new episode', async () => {
      const { alert } = await h.store.alerts.open(disk, h.now());
      h.tick();
      const touched = await h.store.alerts.touch(alert.id, { ...disk, level: 'critical', message: 'disk 97% full' }, h.now());
      assert.equal(touched.level, 'critical');
      assert.equal(touched.message, 'disk 97% full');
      assert.equal(touched.lastSeenAt, h.now().toISOString());
      assert.equal(touched.firstSeenAt, alert.firstSeenAt);
      const notified = await h.store.alerts.markNotified(alert.id, h.now());
      assert.equal(notified.notifications, 1);
      assert.equal(notified.lastNotifiedAt, h.now().toISOString());
      assert.equal((await h.store.alerts.markNotified(alert.id, h.now())).notifications, 2);
      h.tick();
      const acked = await h.store.alerts.acknowledge(alert.id, 'admin', h.now());
      assert.equal(acked?.status, 'acknowledged');
      assert.equal(acked?.acknowledgedBy, 'admin');
      assert.equal(acked?.acknowledgedAt, h.now().toISOString());
      assert.equal(await h.store.alerts.acknowledge(alert.id, 'admin', h.now()), null, 'only an open alert');
      assert.equal((await h.store.alerts.activeFor('disk'))?.id, alert.id, 'acknowledged is still active');
      const resolved = await h.store.alerts.resolve(alert.id, h.now());
      assert.equal(resolved?.status, 'resolved');
      assert.equal(resolved?.resolvedAt, h.now().toISOString());
      assert.equal(await h.store.alerts.resolve(alert.id, h.now()), null);
      assert.equal(await h.store.alerts.acknowledge(alert.id, 'admin', h.now()), null);
      assert.equal(await h.store.alerts.activeFor('disk'), null);
      assert.deepEqual(await h.store.alerts.get(alert.id), resolved);
      assert.equal(await h.store.alerts.get(999_999), null);
      const next = await h.store.alerts.open(disk, h.now());
      assert.equal(next.created, true);
      assert.notEqual(next.alert.id, alert.id);
    });

    it('lists active alerts newest first and resolved ones by resolution, newest first', async () => {
      const a = (await h.store.alerts.open({ ...disk, rule: 'a' }, h.now())).alert;
      h.tick();
      const b = (await h.store.alerts.open({ ...disk, rule: 'b' }, h.now())).alert;
      h.tick();
      const c = (await h.store.alerts.open({ ...disk, rule: 'c' }, h.now())).alert;
      await h.store.alerts.acknowledge(c.id, 'admin', h.now());
      assert.deepEqual(
        (await h.store.alerts.active()).map((x) => x.rule),
        ['c', 'b', 'a'],
      );
      h.tick();
      await h.store.alerts.resolve(b.id, h.now());
      h.tick();
      await h.store.alerts.resolve(a.id, h.now());
      assert.deepEqual(
        (await h.store.alerts.recentResolved(10)).map((x) => x.rule),
        ['a', 'b'],
      );
      assert.equal((await h.store.alerts.recentResolved(1)).length, 1);
      assert.deepEqual(
        (await h.store.alerts.active()).map((x) => x.rule),
        ['c'],
      );
    });
  });
}

/** gc's orphan marks: the first sighting survives. */
export function orphansContract(h: StoreHarness): void {
  describe('orphans', () => {
    it('keeps the first sighting of a mark, lists and clears marks', async () => {
      const first = h.now().toISOString();
      assert.deepEqual(await h.store.orphans.mark('local-a', h.now()), { key: 'local-a', firstSeenAt: first });
      h.tick(60_000);
      assert.deepEqual(await h.store.orphans.mark('local-a', h.now()), { key: 'local-a', firstSeenAt: first });
      await h.store.orphans.mark('local-b', h.now());
      assert.deepEqual(
        await h.store.orphans.all(),
        new Map([
          ['local-a', first],
          ['local-b', h.now().toISOString()],
        ]),
      );
      assert.equal(await h.store.orphans.clear('local-a'), true);
      assert.equal(await h.store.orphans.clear('local-a'), false);
      assert.deepEqual([...(await h.store.orphans.all()).keys()], ['local-b']);
    });
  });
}

/** Completion callbacks: URLs per job, deliveries created together, claimed exclusively, settled. */
export function callbacksContract(h: StoreHarness): void {
  const KEY = 'local-j1';
  const create = async (urls: readonly string[], jobKey = KEY): Promise<number[]> =>
    h.store.callbacks.create({ jobKey, event: 'job.completed', urls, jobJson: '{"key": "local-j1", "status":"completed"}', now: h.now() });

  describe('callbacks', () => {
    it('registers, replaces and reads a job’s own callback URL', async () => {
      assert.equal(await h.store.callbacks.jobUrl(KEY), null);
      await h.store.callbacks.register(KEY, 'https://hooks.test/a', h.now());
      await h.store.callbacks.register(KEY, 'https://hooks.test/b', h.now());
      assert.equal(await h.store.callbacks.jobUrl(KEY), 'https://hooks.test/b');
    });

    it('creates one pending delivery per URL, due now, listed newest first', async () => {
      const ids = await create(['https://hooks.test/a', 'https://hooks.test/b']);
      assert.equal(ids.length, 2);
      assert.ok(ids[0]! < ids[1]!);
      const listed = await h.store.callbacks.deliveriesFor(KEY);
      assert.deepEqual(
        listed.map((d) => d.id),
        [ids[1], ids[0]],
      );
      assert.deepEqual(listed[1], {
        id: ids[0],
        jobKey: KEY,
        event: 'job.completed',
        url: 'https://hooks.test/a',
        status: 'pending',
        attempts: 0,
        nextAttemptAt: h.now().toISOString(),
        lastStatusCode: null,
        lastError: null,
        createdAt: h.now().toISOString(),
        updatedAt: h.now().toISOString(),
      });
      assert.deepEqual(await h.store.callbacks.get(ids[0]!), listed[1]);
      assert.equal(await h.store.callbacks.get(999_999), null);
      assert.deepEqual(await create([]), []);
      assert.deepEqual(await h.store.callbacks.deliveriesFor('local-other'), []);
    });

    it('creates all deliveries or none', async () => {
      await assert.rejects(create(['https://hooks.test/a', null as unknown as string]));
      assert.deepEqual(await h.store.callbacks.deliveriesFor(KEY), []);
    });

    it('claims due deliveries oldest first under a lease, with the job as it was, and not again until the lease ends', async () => {
      const [first] = await create(['https://hooks.test/a']);
      h.tick();
      const [second] = await create(['https://hooks.test/b']);
      h.tick();
      await create(['https://hooks.test/later'], 'local-j2').then(() => undefined);
      const lease = new Date(h.now().getTime() + 60_000);
      const claimed = await h.store.callbacks.claimDue(h.now(), lease, 2);
      assert.deepEqual(
        claimed.map((d) => d.id),
        [first, second],
      );
      assert.equal(claimed[0]?.jobJson, '{"key": "local-j1", "status":"completed"}');
      assert.equal(claimed[0]?.nextAttemptAt, lease.toISOString());
      assert.equal(claimed[0]?.updatedAt, h.now().toISOString());
      assert.equal((await h.store.callbacks.claimDue(h.now(), lease, 10)).length, 1, 'only the third is still due');
      assert.deepEqual(await h.store.callbacks.claimDue(h.now(), lease, 10), []);
      assert.equal(
        (await h.store.callbacks.claimDue(lease, new Date(lease.getTime() + 60_000), 10)).length,
        3,
        'due again once the lease ends',
      );
    });

    it('never gives the same delivery to two claims made at the same moment', async () => {
      const ids = await create(Array.from({ length: 12 }, (_, i) => `https://hooks.test/${i}`));
      const lease = new Date(h.now().getTime() + 60_000);
      const [a, b] = await Promise.all([h.store.callbacks.claimDue(h.now(), lease, 8), h.store.callbacks.claimDue(h.now(), lease, 8)]);
      const taken = [...a, ...b].map((d) => d.id);
      assert.equal(new Set(taken).size, taken.length, 'no row taken twice');
      assert.ok(taken.length >= 8 && taken.length <= 12);
      for (const id of taken) assert.ok(ids.includes(id));
    });

    it('settles a pending delivery once, and releases one whose attempt never happened', async () => {
      const [id, other] = await create(['https://hooks.test/a', 'https://hooks.test/b']);
      h.tick();
      const settlement = { status: 'delivered', attempts: 1, nextAttemptAt: null, lastStatusCode: 204, lastError: null } as const;
      await h.store.callbacks.settle(id!, settlement, h.now());
      const settled = await h.store.callbacks.get(id!);
      assert.equal(settled?.status, 'delivered');
      assert.equal(settled?.attempts, 1);
      assert.equal(settled?.nextAttemptAt, null);
      assert.equal(settled?.lastStatusCode, 204);
      assert.equal(settled?.updatedAt, h.now().toISOString());
      h.tick();
      await h.store.callbacks.settle(id!, { ...settlement, status: 'failed', lastStatusCode: 500 }, h.now());
      assert.deepEqual(await h.store.callbacks.get(id!), settled, 'a settled delivery is final');
      const retryAt = new Date(h.now().getTime() + 30_000).toISOString();
      await h.store.callbacks.settle(
        other!,
        { status: 'pending', attempts: 1, nextAttemptAt: retryAt, lastStatusCode: 500, lastError: 'HTTP 500' },
        h.now(),
      );
      assert.equal((await h.store.callbacks.get(other!))?.nextAttemptAt, retryAt);
      assert.deepEqual(await h.store.callbacks.claimDue(h.now(), new Date(retryAt), 10), []);
      await h.store.callbacks.release(other!, h.now());
      const released = await h.store.callbacks.get(other!);
      assert.equal(released?.nextAttemptAt, h.now().toISOString());
      assert.equal(released?.attempts, 1);
      await h.store.callbacks.release(id!, h.now());
      assert.equal((await h.store.callbacks.get(id!))?.nextAttemptAt, null, 'a settled delivery is not released');
      assert.deepEqual(
        (await h.store.callbacks.claimDue(h.now(), new Date(retryAt), 10)).map((d) => d.id),
        [other],
      );
    });
  });
}
