/**
 * Publishing to an S3-compatible server (s3rver on loopback, through the AWS SDK, as the daemon
 * publishes: a version prefix, HEAD of every object, the master last) against `cp -r` of the same
 * ladder-shaped directory on the same disk. On loopback the network costs nothing: the ratio is
 * the SDK's and the store's overhead per byte and per object.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { silentLogger } from '../src/logging/logger.js';
import { S3LadderTarget } from '../src/publish/s3-target.js';
import { startS3 } from '../test/helpers/s3-server.js';
import { alternate, fmt, median, QUICK, sh } from './measure.js';

export interface S3Figures {
  readonly files: number;
  readonly bytes: number;
  readonly s3Ms: number;
  readonly cpMs: number;
}

/** A ladder's shape: three rungs of 2 s segments (about 1.5, 0.75 and 0.3 MB), playlists and a master. */
async function makeLadderDir(dir: string, segments: number): Promise<{ files: number; bytes: number }> {
  let [files, bytes] = [0, 0];
  for (const [rung, size] of [
    ['high', 1_500_000],
    ['medium', 750_000],
    ['low', 300_000],
  ] as const) {
    await mkdir(path.join(dir, rung), { recursive: true });
    for (let i = 0; i < segments; i += 1) {
      await writeFile(path.join(dir, rung, `segment${String(i).padStart(3, '0')}.ts`), randomBytes(size));
      [files, bytes] = [files + 1, bytes + size];
    }
    await writeFile(path.join(dir, rung, 'playlist.m3u8'), '#EXTM3U\n');
  }
  await writeFile(path.join(dir, 'master.m3u8'), '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nlow/playlist.m3u8\n');
  return { files: files + 4, bytes };
}

export async function benchS3(): Promise<S3Figures> {
  const work = await mkdtemp(path.join(tmpdir(), 'vc-bench-s3-'));
  const s3 = await startS3('bench');
  try {
    const ladder = path.join(work, 'ladder');
    const shape = await makeLadderDir(ladder, QUICK ? 5 : 60);
    const target = new S3LadderTarget({ config: s3.config, client: s3.client });
    let run = 0;
    const times = await alternate(
      async () => target.publish({ key: `local-bench-${(run += 1)}`, outDir: ladder, log: silentLogger() }),
      async () => sh('cp', ['-r', ladder, path.join(work, `copy-${run}`)]),
    );
    return { ...shape, s3Ms: median(times.a), cpMs: median(times.b) };
  } finally {
    await s3.close();
    await rm(work, { recursive: true, force: true });
  }
}

export function s3Table(f: S3Figures): string[] {
  const mb = f.bytes / 1e6;
  return [
    `A ladder-shaped directory of ${f.files} files, ${mb.toFixed(0)} MB.`,
    '',
    '| | time | throughput | files/s |',
    '| --- | ---: | ---: | ---: |',
    `| publish to s3rver (AWS SDK, HEAD checks, master last) | ${fmt(f.s3Ms / 1000)} s | ${fmt(mb / (f.s3Ms / 1000))} MB/s | ${fmt(f.files / (f.s3Ms / 1000))} |`,
    `| cp -r, same disk | ${fmt(f.cpMs / 1000)} s | ${fmt(mb / (f.cpMs / 1000))} MB/s | ${fmt(f.files / (f.cpMs / 1000))} |`,
    '',
    `Ratio: publishing takes ${fmt(f.s3Ms / f.cpMs)}× the time of cp.`,
  ];
}
