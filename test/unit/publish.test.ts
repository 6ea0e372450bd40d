import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isAppError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging/logger.js';
import { publishLadder, recoverInterruptedPublishes } from '../../src/publish/local-ladders.js';
import { assertFreeSpace, createWorkspace, sweepTemp } from '../../src/pipeline/workspace.js';

const log = silentLogger();

async function ladder(dir: string, marker: string): Promise<void> {
  await mkdir(path.join(dir, 'high'), { recursive: true });
  await writeFile(path.join(dir, 'master.m3u8'), marker);
  await writeFile(path.join(dir, 'high', 'playlist.m3u8'), marker);
}

describe('publishLadder', () => {
  it('moves the ladder into hls/<key> and replaces an older one whole', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'vc-pub-'));
    const hls = path.join(root, 'hls');
    await ladder(path.join(root, 'out1'), 'v1');
    await publishLadder({ outDir: path.join(root, 'out1'), hlsDir: hls, key: 'local-a', log });
    assert.equal(await readFile(path.join(hls, 'local-a', 'master.m3u8'), 'utf8'), 'v1');
    await ladder(path.join(root, 'out2'), 'v2');
    await writeFile(path.join(hls, 'local-a', 'stale.ts'), 'old');
    await publishLadder({ outDir: path.join(root, 'out2'), hlsDir: hls, key: 'local-a', log });
    assert.equal(await readFile(path.join(hls, 'local-a', 'high', 'playlist.m3u8'), 'utf8'), 'v2');
    assert.equal(existsSync(path.join(hls, 'local-a', 'stale.ts')), false, 'nothing of the old ladder remains');
    assert.deepEqual(await readdir(hls), ['local-a'], 'no hidden staging left');
    assert.equal(existsSync(path.join(root, 'out2')), false);
  });

  it('fails with publish_failed when the ladder is missing', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'vc-pub-'));
    await assert.rejects(publishLadder({ outDir: path.join(root, 'nope'), hlsDir: path.join(root, 'hls'), key: 'k', log }), (err) =>
      isAppError(err, 'publish_failed'),
    );
  });

  it('recovers a publish interrupted between its renames', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'vc-pub-'));
    const hls = path.join(root, 'hls');
    // Crash after "old → .previous", before ".incoming → key": the old ladder comes back.
    await ladder(path.join(hls, '.local-a.previous'), 'old');
    await ladder(path.join(hls, '.local-a.incoming'), 'new');
    // Crash after the final rename, before removing .previous: the leftover goes.
    await ladder(path.join(hls, 'local-b'), 'new');
    await ladder(path.join(hls, '.local-b.previous'), 'old');
    await recoverInterruptedPublishes(hls, log);
    assert.deepEqual((await readdir(hls)).sort(), ['local-a', 'local-b']);
    assert.equal(await readFile(path.join(hls, 'local-a', 'master.m3u8'), 'utf8'), 'old');
    assert.equal(await readFile(path.join(hls, 'local-b', 'master.m3u8'), 'utf8'), 'new');
  });
});

describe('workspace', () => {
  it('creates a clean per-job directory and disposes of it', async () => {
    const temp = await mkdtemp(path.join(tmpdir(), 'vc-ws-'));
    await mkdir(path.join(temp, 'local-a'));
    await writeFile(path.join(temp, 'local-a', 'leftover'), 'x');
    const ws = await createWorkspace(temp, 'local-a');
    assert.deepEqual(await readdir(ws.dir), ['.owner']);
    await ws.dispose();
    assert.equal(existsSync(ws.dir), false);
  });

  it('sweeps directories of dead processes and stale foreign ones, keeps live ones', async () => {
    const temp = await mkdtemp(path.join(tmpdir(), 'vc-ws-'));
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      const dead = spawn(process.execPath, ['-e', '']);
      await new Promise((resolve) => dead.once('exit', resolve));
      await createWorkspace(temp, 'live', `${hostname()}:${child.pid}`);
      await createWorkspace(temp, 'dead', `${hostname()}:${dead.pid}`);
      await createWorkspace(temp, 'foreign-fresh', 'other-host:1');
      await createWorkspace(temp, 'foreign-stale', 'other-host:2');
      const old = new Date(Date.now() - 48 * 3600_000);
      await utimes(path.join(temp, 'foreign-stale'), old, old);
      await mkdir(path.join(temp, 'ownerless'));
      const removed = await sweepTemp(temp, log, { staleAfterMs: 24 * 3600_000, now: () => new Date() });
      assert.equal(removed, 3);
      assert.deepEqual((await readdir(temp)).sort(), ['foreign-fresh', 'live']);
    } finally {
      child.kill();
    }
  });

  it('refuses a job when free space is short', async () => {
    const temp = await mkdtemp(path.join(tmpdir(), 'vc-ws-'));
    await assertFreeSpace(temp, 1);
    await assert.rejects(assertFreeSpace(temp, Number.MAX_SAFE_INTEGER), (err) => isAppError(err, 'insufficient_disk') && !err.retryable);
  });
});
