import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { silentLogger } from '../../src/logging/logger.js';
import { rewriteMaster, S3LadderTarget } from '../../src/publish/s3-target.js';
import { isAppError } from '../../src/errors.js';
import { loadConfig } from '../../src/config/config.js';
import { createLadderTarget } from '../../src/publish/create-ladder-target.js';
import { trimLocalLadders } from '../../src/publish/local-ladders.js';
import { LadderGc, type GcSource } from '../../src/pipeline/ladder-gc.js';
import { openDatabase } from '../../src/store/database.js';
import { OrphanRepository } from '../../src/store/orphan-repository.js';
import { promised } from '../../src/store/store.js';
import { ffmpeg } from '../helpers/media-fixtures.js';
import { startS3, type TestS3 } from '../helpers/s3-server.js';

const run = promisify(execFile);
const log = silentLogger();

/** A real, small HLS ladder as FFmpeg writes it: master.m3u8 → low/playlist.m3u8 → segments, and a poster. */
async function makeLadder(dir: string): Promise<void> {
  await ffmpeg([
    ...['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25:duration=3', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25'],
    ...['-f', 'hls', '-hls_time', '1', '-hls_playlist_type', 'vod', '-var_stream_map', 'v:0,name:low'],
    ...['-hls_segment_filename', path.join(dir, '%v/segment%03d.ts'), path.join(dir, '%v/playlist.m3u8')],
  ]);
  // As the daemon writes it (master-playlist.ts): from the measured rungs.
  await writeFile(
    path.join(dir, 'master.m3u8'),
    '#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-STREAM-INF:BANDWIDTH=200000,RESOLUTION=160x120\nlow/playlist.m3u8\n',
  );
  await writeFile(path.join(dir, 'poster.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
}

describe('S3 ladder target (s3rver through the AWS SDK)', () => {
  let s3: TestS3;
  let work: string;
  let ladder: string;
  let copies = 0;
  const fresh = async (): Promise<string> => {
    const dir = path.join(work, `out-${(copies += 1)}`);
    await cp(ladder, dir, { recursive: true });
    return dir;
  };
  const masterUrl = (key: string): string => s3.url(`storage/hls/${key}/master.m3u8`);
  /** Every URI the master names (and theirs, one level down) answers 200: the ladder is whole for a player. */
  const assertPlayable = async (key: string): Promise<void> => {
    const master = await (await fetch(masterUrl(key))).text();
    const variants = master.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.ok(variants.length > 0, master);
    for (const variant of variants) {
      const url = new URL(variant, masterUrl(key)).href;
      const playlist = await fetch(url);
      assert.equal(playlist.status, 200, url);
      for (const segment of (await playlist.text()).split('\n').filter((l) => l && !l.startsWith('#'))) {
        assert.equal((await fetch(new URL(segment, url), { method: 'HEAD' })).status, 200, segment);
      }
    }
  };

  before(async () => {
    s3 = await startS3();
    work = await mkdtemp(path.join(tmpdir(), 'vc-s3-target-'));
    ladder = path.join(work, 'ladder');
    await makeLadder(ladder);
  });
  after(async () => {
    await s3?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('uploads a version, then the master pointing into it, with the types and caching nginx gives each file', async () => {
    const target = new S3LadderTarget({ config: s3.config, client: s3.client });
    const published = await target.publish({ key: 'local-a', outDir: await fresh(), log });
    assert.match(published.filePrefix, /^v\d{8}t\d{9}z-[0-9a-f]{6}\/$/);
    const keys = await s3.keys('storage/hls/local-a/');
    assert.ok(keys.includes('storage/hls/local-a/master.m3u8'));
    assert.ok(
      keys.filter((k) => k !== 'storage/hls/local-a/master.m3u8').every((k) => k.startsWith(`storage/hls/local-a/${published.filePrefix}`)),
    );
    assert.ok(keys.includes(`storage/hls/local-a/${published.filePrefix}poster.jpg`));
    const head = async (key: string) => s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
    const segment = await head(`storage/hls/local-a/${published.filePrefix}low/segment000.ts`);
    assert.deepEqual([segment.ContentType, segment.CacheControl], ['video/mp2t', 'public, max-age=31536000, immutable']);
    const master = await head('storage/hls/local-a/master.m3u8');
    assert.deepEqual([master.ContentType, master.CacheControl], ['application/vnd.apple.mpegurl', 'public, max-age=10']);
    await assertPlayable('local-a');
    // A real player reads the whole ladder from the bucket's URL.
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', masterUrl('local-a')]);
    assert.ok(Math.abs(Number(stdout) - 3) < 0.5, stdout);
    assert.deepEqual([await target.hasLadder('local-a'), await target.hasLadder('local-nope')], [true, false]);
    assert.ok((await target.keys()).includes('local-a'));
  });

  it('re-publishes without a moment where the master is broken, then removes the old version', async () => {
    const target = new S3LadderTarget({ config: s3.config, client: s3.client });
    const first = await target.publish({ key: 'local-b', outDir: await fresh(), log });
    // After every request of the second publish, the ladder as a player finds it is whole.
    const checks: string[] = [];
    s3.client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        await assertPlayable('local-b');
        checks.push('ok');
        return result;
      },
      { step: 'finalizeRequest', name: 'vcPlayableAfterEachRequest' },
    );
    try {
      const second = await target.publish({ key: 'local-b', outDir: await fresh(), log });
      assert.notEqual(second.filePrefix, first.filePrefix);
      assert.ok(checks.length > 5, `${checks.length} requests checked`);
      const keys = await s3.keys('storage/hls/local-b/');
      assert.equal(
        keys.some((k) => k.includes(first.filePrefix)),
        false,
        'the old version is gone',
      );
    } finally {
      s3.client.middlewareStack.remove('vcPlayableAfterEachRequest');
    }
  });

  it('a publish cut short leaves the previous ladder whole; the next one sweeps the unreferenced objects', async () => {
    const target = new S3LadderTarget({ config: s3.config, client: s3.client });
    const first = await target.publish({ key: 'local-c', outDir: await fresh(), log });
    let puts = 0;
    s3.client.middlewareStack.add(
      (next) => async (args) => {
        // The third upload of the next publish dies, as on a SIGKILL or an outage.
        if ((args.input as { Key?: string }).Key?.includes('/v') && (puts += 1) === 3) throw new Error('connection reset');
        return next(args);
      },
      { step: 'initialize', name: 'vcCut' },
    );
    try {
      await assert.rejects(target.publish({ key: 'local-c', outDir: await fresh(), log }), (err) => isAppError(err, 'publish_failed'));
    } finally {
      s3.client.middlewareStack.remove('vcCut');
    }
    await assertPlayable('local-c');
    const master = await (await fetch(masterUrl('local-c'))).text();
    assert.ok(master.includes(first.filePrefix), 'the master still names the first version');
    const third = await target.publish({ key: 'local-c', outDir: await fresh(), log });
    const left = (await s3.keys('storage/hls/local-c/')).filter((k) => !k.endsWith('/master.m3u8') && !k.includes(third.filePrefix));
    assert.deepEqual(left, [], 'nothing but the live version');
  });

  it('unpublishes the master first, then the rest; nothing of another key is touched', async () => {
    const target = new S3LadderTarget({ config: s3.config, client: s3.client });
    await target.publish({ key: 'local-d', outDir: await fresh(), log });
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'storage/hls/local-d2/master.m3u8', Body: '#EXTM3U\n' }));
    const deleted: string[][] = [];
    s3.client.middlewareStack.add(
      (next) => async (args) => {
        const objects = (args.input as { Delete?: { Objects?: Array<{ Key?: string }> } }).Delete?.Objects;
        if (objects) deleted.push(objects.map((o) => o.Key ?? ''));
        return next(args);
      },
      { step: 'initialize', name: 'vcDeletes' },
    );
    try {
      const bytes = await target.unpublish('local-d', log);
      assert.ok(bytes !== null && bytes > 1000, String(bytes));
    } finally {
      s3.client.middlewareStack.remove('vcDeletes');
    }
    assert.deepEqual(deleted[0], ['storage/hls/local-d/master.m3u8'], 'the master goes first, alone');
    assert.deepEqual(await s3.keys('storage/hls/local-d/'), []);
    assert.deepEqual(await s3.keys('storage/hls/local-d2/'), ['storage/hls/local-d2/master.m3u8']);
    assert.equal(await target.unpublish('local-d', log), null, 'nothing left to remove');
  });

  it('rewrites relative URIs of the master only', () => {
    const master = [
      '#EXTM3U',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",URI="audio/playlist.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=1',
      'low/playlist.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=2',
      'https://cdn.example.com/x.m3u8',
      '',
    ].join('\n');
    assert.equal(rewriteMaster(master, 'v1/'), master.replace('URI="audio/', 'URI="v1/audio/').replace('\nlow/', '\nv1/low/'));
  });

  it('gc over the bucket: a ladder whose record is gone is marked, then removed after the grace period; a live one stays', async () => {
    const target = new S3LadderTarget({ config: s3.config, client: s3.client });
    await target.publish({ key: 'appwrite-gone', outDir: await fresh(), log });
    await target.publish({ key: 'appwrite-live', outDir: await fresh(), log });
    const db = openDatabase(path.join(work, 'gc.db'));
    try {
      let now = new Date('2026-01-01T00:00:00Z');
      const source: GcSource = {
        kind: 'appwrite',
        listRefs: async () => [
          { id: 'live', status: 'completed', hlsUrl: `https://cdn.example.com/storage/hls/appwrite-live/master.m3u8` },
        ],
      };
      const gc = new LadderGc({
        hlsDir: path.join(work, 'no-local-ladders'),
        ladders: target,
        sources: [source],
        orphans: promised(new OrphanRepository(db)),
        graceDays: 7,
        isBusy: () => false,
        log,
        now: () => now,
      });
      const first = await gc.run();
      assert.deepEqual([first.orphans, first.removed], [1, []], 'marked, not yet removed');
      now = new Date('2026-01-09T00:00:00Z');
      const second = await gc.run();
      assert.deepEqual(
        second.removed.map((r) => r.key),
        ['appwrite-gone'],
      );
      assert.ok((second.removed[0]?.bytes ?? 0) > 1000);
      assert.deepEqual(await s3.keys('storage/hls/appwrite-gone/'), []);
      assert.ok((await s3.keys('storage/hls/appwrite-live/')).length > 3, 'the live ladder stays');
    } finally {
      db.close();
    }
  });
});

describe('PUBLISH_TARGET settings and the local copy', () => {
  it('needs S3_BUCKET with s3, and both AWS keys or neither; local stays the default', () => {
    assert.equal(loadConfig({ env: {}, envFile: false }).publish.target, 'local');
    assert.throws(() => loadConfig({ env: { PUBLISH_TARGET: 's3' }, envFile: false }), /S3_BUCKET: is required when PUBLISH_TARGET is s3/);
    assert.throws(
      () => loadConfig({ env: { PUBLISH_TARGET: 's3', S3_BUCKET: 'ladders', AWS_ACCESS_KEY_ID: 'only-the-id' }, envFile: false }),
      /set both, or neither/,
    );
    const { publish } = loadConfig({ env: { PUBLISH_TARGET: 's3', S3_BUCKET: 'ladders', S3_PREFIX: '/videos/hls/' }, envFile: false });
    assert.deepEqual([publish.s3?.prefix, publish.s3?.credentials, publish.localCopyDays], ['videos/hls', null, 0]);
  });

  it('LOCAL_COPY_DAYS keeps a copy under storage/hls, which the clean-up removes once it is older', async () => {
    const s3 = await startS3('copies');
    const dir = await mkdtemp(path.join(tmpdir(), 'vc-s3-copy-'));
    try {
      const config = loadConfig({
        env: {
          PUBLISH_TARGET: 's3',
          S3_BUCKET: 'copies',
          S3_ENDPOINT: s3.endpoint,
          S3_FORCE_PATH_STYLE: 'true',
          AWS_ACCESS_KEY_ID: 'S3RVER',
          AWS_SECRET_ACCESS_KEY: 'S3RVER',
          LOCAL_COPY_DAYS: '7',
          STORAGE_DIR: dir,
        },
        envFile: false,
        cwd: dir,
      });
      const target = createLadderTarget(config);
      const out = path.join(dir, 'out');
      await makeLadder(out);
      await target.publish({ key: 'local-copy', outDir: out, log });
      assert.ok((await s3.keys('storage/hls/local-copy/')).length > 3, 'in the bucket');
      assert.equal(existsSync(path.join(config.storage.hlsDir, 'local-copy', 'master.m3u8')), true, 'and on disk');
      assert.equal(await trimLocalLadders(config.storage.hlsDir, new Date(Date.now() - 86_400_000), log), 0, 'a fresh copy stays');
      assert.equal(await trimLocalLadders(config.storage.hlsDir, new Date(Date.now() + 1000), log), 1);
      assert.equal(existsSync(path.join(config.storage.hlsDir, 'local-copy')), false);
      assert.ok(await target.hasLadder('local-copy'), 'the bucket keeps it');
    } finally {
      await s3.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
