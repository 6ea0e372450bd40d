/**
 * The operator's clean-up commands against a running daemon: `gc` after records were deleted in
 * WordPress (real, with the plugin; root only) and Appwrite (the fake), and during an Appwrite
 * outage; `requeue --missing-ladder` after storage/hls was lost. The commands are the compiled
 * CLI (`npm run build`) run with the daemon's environment and STORAGE_DIR, as an operator would.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { FakeAppwrite } from '../fakes/appwrite-server.js';
import { addVideo, appwriteEnv, DATABASE, startFakeAppwrite, TABLE, videoRow, waitFor } from '../helpers/appwrite-fixtures.js';
import { routes, startServer, type TestServer } from '../helpers/http-fixtures.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { DIST_CLI } from '../helpers/spawn-daemon.js';
import { serveFile, startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { startWordpressSite, uploadMedia, type WordpressSite } from '../helpers/wordpress-site.js';

const exec = promisify(execFile);
const DAY_MS = 24 * 3600_000;

const exists = (file: string): Promise<boolean> =>
  stat(file).then(
    () => true,
    () => false,
  );

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `video-compressor <args>` from the build, in an empty directory (no .env), with exactly `env`. */
async function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const cwd = await mkdtemp(path.join(tmpdir(), 'vc-cli-'));
  try {
    const { stdout, stderr } = await exec(process.execPath, [DIST_CLI, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}

describe('gc and requeue --missing-ladder over WordPress and Appwrite', () => {
  let site: WordpressSite;
  let fake: FakeAppwrite;
  let files: TestServer;
  let vc: TestDaemon;
  /** What the daemon and the commands share (startTestDaemon adds its test defaults to the daemon's). */
  let env: Record<string, string>;
  let clip: Buffer;

  const ladder = (key: string): string => path.join(vc.storageDir, 'hls', key);
  const master = (key: string): string => path.join(ladder(key), 'master.m3u8');
  const wpMeta = async (id: number): Promise<Record<string, any>> => {
    const res = await site.rest('admin', 'GET', `wp/v2/media/${id}?context=edit`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.meta;
  };
  /** The command with the daemon's sources and storage; `extra` on top (ORPHAN_GRACE_DAYS, …). */
  const run = (args: string[], extra: Record<string, string> = {}): Promise<CliResult> =>
    cli(args, { ...env, STORAGE_DIR: vc.storageDir, LOG_DIR: path.join(vc.storageDir, 'logs'), LOG_LEVEL: 'silent', ...extra });
  const ok = (result: CliResult): string => {
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    return result.stdout;
  };

  /** A WordPress upload (editor) and Appwrite rows, all processed by the daemon: their keys once completed. */
  const completedJobs = async (wpName: string, rowIds: string[]): Promise<string[]> => {
    const upload = await uploadMedia(site, 'editor', clip, wpName, 'video/mp4');
    for (const id of rowIds) addVideo(fake, id, { source_url: files.url('/small.mp4'), title: id });
    await vc.api('POST', '/api/poll');
    const keys = [`wordpress-${upload.id}`, ...rowIds.map((id) => `appwrite-${id}`)];
    for (const key of keys) {
      const job = await vc.waitForJob(key, (j) => ['completed', 'failed'].includes(j.status), 90_000);
      assert.equal(job.status, 'completed', JSON.stringify(job));
      assert.equal(await exists(master(key)), true, `${key} has its ladder`);
    }
    return keys;
  };
  const deleteAttachment = async (key: string): Promise<void> => {
    const res = await site.rest('admin', 'DELETE', `wp/v2/media/${key.replace('wordpress-', '')}?force=true`);
    assert.deepEqual([res.status, res.body.deleted], [200, true], JSON.stringify(res.body));
  };
  /** As an editor deleting it in the Appwrite console (the fake has no DELETE route). */
  const deleteRow = (id: string): void => assert.ok(fake.table(DATABASE, TABLE).rows.delete(id), `row ${id} existed`);

  before(async () => {
    await access(DIST_CLI).catch(() => assert.fail(`${DIST_CLI} is missing: run npm run build first`));
    site = await startWordpressSite();
    fake = await startFakeAppwrite();
    const small = await makeClip({ width: 320, height: 180, seconds: 2 });
    clip = await readFile(small);
    files = await startServer(routes({ '/small.mp4': serveFile(small) }));
    env = {
      ...appwriteEnv(fake),
      SOURCES: 'local,appwrite,wordpress',
      WP_URL: site.url,
      WP_USER: site.users.admin.user,
      WP_APP_PASSWORD: site.users.admin.password,
      // Speed and determinism: every rung encoded, no previews; a retryable error would wait an hour.
      PASSTHROUGH: 'off',
      PREVIEWS: 'off',
      RETRY_DELAYS: '1h',
    };
    vc = await startTestDaemon(env);
    // An upload may otherwise be claimed by the first poll while WordPress answers it.
    await vc.daemon.poller.idle();
  });
  afterEach(async () => {
    await waitFor('the worker to be idle', () => vc.daemon.poller.snapshot().active.length === 0, { timeoutMs: 60_000 });
    await vc.daemon.poller.idle();
    fake.table(DATABASE, TABLE).rows.clear();
    const media = await site.rest('admin', 'GET', 'wp/v2/media?per_page=100&_fields=id');
    for (const item of media.body) await site.rest('admin', 'DELETE', `wp/v2/media/${item.id}?force=true`);
    await rm(path.join(vc.storageDir, 'hls'), { recursive: true, force: true });
  });
  after(async () => {
    await vc?.close();
    await files?.close();
    await fake?.stop();
    await site?.close();
  });

  it('gc marks the ladders of deleted records, removes them after the grace period, and keeps the live one', async () => {
    const [wpKey, goneKey, keptKey] = (await completedJobs('gone.mp4', ['gone', 'kept'])) as [string, string, string];
    // Nothing is an orphan while every record exists: what gc removes below is because of the deletes.
    assert.match(ok(await run(['gc'], { ORPHAN_GRACE_DAYS: '0' })), /^3 ladders scanned, 0 orphans, 0 removed \(0 B\), 0 kept$/m);

    await deleteAttachment(wpKey);
    deleteRow('gone');
    const markedFrom = Date.now();
    const marked = ok(await run(['gc'], { ORPHAN_GRACE_DAYS: '7' }));
    const markedTo = Date.now();
    for (const key of [wpKey, goneKey]) {
      const line = new RegExp(`^kept ${key}: orphan \\(record deleted\\) since (\\S+), removed from (\\S+)$`, 'm').exec(marked);
      assert.ok(line, `${key} reported as an orphan:\n${marked}`);
      const [since, due] = [Date.parse(line[1] ?? ''), Date.parse(line[2] ?? '')];
      assert.ok(since >= markedFrom - 1000 && since <= markedTo, `marked by this run: ${line[1]}`);
      assert.equal(due - since, 7 * DAY_MS);
    }
    assert.match(marked, /^3 ladders scanned, 2 orphans, 0 removed \(0 B\), 2 kept$/m);
    for (const key of [wpKey, goneKey, keptKey]) assert.equal(await exists(master(key)), true, `${key} still there`);

    const removed = ok(await run(['gc'], { ORPHAN_GRACE_DAYS: '0' }));
    for (const key of [wpKey, goneKey]) {
      assert.match(removed, new RegExp(`^removed ${key} \\(\\d`, 'm'));
      assert.equal(await exists(ladder(key)), false, `${key} removed`);
    }
    assert.match(removed, /^3 ladders scanned, 2 orphans, 2 removed \(.+\), 0 kept$/m);
    assert.ok(!removed.includes(keptKey), removed);
    assert.equal(await exists(master(keptKey)), true);
    const kept = videoRow(fake, 'kept');
    assert.equal(kept.status, 'completed');
    assert.match(kept.hls_url, new RegExp(`/storage/hls/${keptKey}/master\\.m3u8$`));
    assert.equal((await vc.api('GET', `/api/jobs/${keptKey}`)).body.status, 'completed');
  });

  it('gc touches nothing of Appwrite while it is down and exits 1 naming it; WordPress is collected all the same', async () => {
    const [wpKey, appwriteKey] = (await completedJobs('outage.mp4', ['outage'])) as [string, string];
    await deleteAttachment(wpKey);
    deleteRow('outage');
    await fake.stop();
    let down: CliResult;
    try {
      down = await run(['gc'], { ORPHAN_GRACE_DAYS: '0' });
    } finally {
      await fake.start();
    }
    assert.equal(down.code, 1, `${down.stdout}\n${down.stderr}`);
    assert.match(down.stderr, /^appwrite: records could not be listed, nothing touched: \[\w+\]/m);
    assert.match(down.stdout, /^skipped: appwrite$/m);
    assert.doesNotMatch(down.stdout, /appwrite-outage/);
    assert.equal(await exists(master(appwriteKey)), true, 'the Appwrite ladder is kept through the outage');
    assert.match(down.stdout, new RegExp(`^removed ${wpKey} `, 'm'));
    assert.equal(await exists(ladder(wpKey)), false, 'WordPress, reachable, is collected');

    // Once Appwrite answers again, the same command removes it: the outage was what kept it.
    const back = ok(await run(['gc'], { ORPHAN_GRACE_DAYS: '0' }));
    assert.match(back, new RegExp(`^removed ${appwriteKey} `, 'm'));
    assert.equal(await exists(ladder(appwriteKey)), false);
  });

  it('requeue --missing-ladder sends the completed records back to pending after storage/hls is lost; the daemon rebuilds them', async () => {
    const keys = await completedJobs('lost.mp4', ['lost']);
    const [wpKey] = keys as [string, string];
    const wpId = Number(wpKey.replace('wordpress-', ''));
    // With every ladder in place there is nothing to requeue.
    const intact = ok(await run(['requeue', '--missing-ladder', '--dry-run']));
    for (const source of ['local', 'appwrite', 'wordpress']) {
      assert.match(intact, new RegExp(`^${source}: 0 completed record\\(s\\) without `, 'm'), intact);
      assert.match(intact, new RegExp(`^${source}: 0 record\\(s\\) match \\(0 failed, 0 completed\\)$`, 'm'), intact);
    }
    assert.deepEqual([videoRow(fake, 'lost').status, videoRow(fake, 'lost').priority], ['completed', 5]);

    await rm(path.join(vc.storageDir, 'hls'), { recursive: true, force: true });
    const out = ok(await run(['requeue', '--missing-ladder']));
    for (const source of ['appwrite', 'wordpress']) {
      assert.match(out, new RegExp(`^${source}: 1 completed record\\(s\\) without `, 'm'), out);
      assert.match(out, new RegExp(`^${source}: 1 record\\(s\\) pending again at priority 10, in \\d+ batch\\(es\\)$`, 'm'), out);
    }
    const row = videoRow(fake, 'lost');
    assert.deepEqual([row.status, row.priority, row.hls_url], ['pending', 10, null], JSON.stringify(row));
    const meta = await wpMeta(wpId);
    assert.deepEqual([meta.vcmp_status, meta.vcmp_priority, meta.vcmp_hls_url], ['pending', 10, ''], JSON.stringify(meta));

    await vc.api('POST', '/api/poll');
    for (const key of keys) {
      const job = await vc.waitForJob(key, (j) => ['completed', 'failed'].includes(j.status), 90_000);
      assert.equal(job.status, 'completed', JSON.stringify(job));
      assert.match(job.hls_url, new RegExp(`/storage/hls/${key}/master\\.m3u8$`));
      assert.equal(await exists(master(key)), true, `${key} rebuilt`);
    }
    assert.equal((await wpMeta(wpId)).vcmp_status, 'completed');
    assert.deepEqual((await readdir(path.join(vc.storageDir, 'hls'))).sort(), [...keys].sort());
  });
});
