/**
 * Real FFmpeg: the poster is a representative frame, not a fixed offset. A video that opens on 3 s
 * of black gets a poster from its picture; measured with FFmpeg directly on poster.jpg.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../../src/logging/logger.js';
import { createFfmpegRunner } from '../../src/media/ffmpeg-runner.js';
import { bestStill, parseStillStats } from '../../src/media/previews/poster-choice.js';
import { transcodeLadder } from '../../src/media/transcode.js';
import { ffmpeg, fixtureDir, FFMPEG, once, testMediaConfig } from '../helpers/media-fixtures.js';
import { colourGrid, displayAspect } from '../helpers/viewer-measures.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** 10 s at 640x360: 3 s of black, then a moving pattern. */
function blackStart(): Promise<string> {
  return once('black-start', async () => {
    const file = path.join(fixtureDir(), 'black-start.mp4');
    const black = ['-f', 'lavfi', '-i', 'color=c=black:size=640x360:rate=30:duration=3'];
    const picture = ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=7'];
    await ffmpeg([
      ...black,
      ...picture,
      '-filter_complex',
      '[0:v][1:v]concat=n=2:v=1:a=0',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      file,
    ]);
    return file;
  });
}

async function ladder(input: string, previews: boolean): Promise<string> {
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'vc-poster-'));
  dirs.push(outDir);
  const media = testMediaConfig({ segmentSeconds: 2 });
  const runner = createFfmpegRunner({ ffmpegPath: FFMPEG, log: silentLogger() });
  await transcodeLadder({
    input,
    outDir,
    media: { ...media, previews: { ...media.previews, enabled: previews } },
    runner,
    log: silentLogger(),
  });
  return outDir;
}

/** Mean of the three channels over a coarse grid of the whole picture, 0–255. */
async function meanLevel(file: string): Promise<number> {
  const cells = await colourGrid(file, 16, 9, 0);
  return cells.reduce((sum, [r, g, b]) => sum + (r + g + b) / 3, 0) / cells.length;
}

describe('the poster', () => {
  it('of a video opening on 3 s of black is a frame of its picture, at the top rung size', async () => {
    const dir = await ladder(await blackStart(), true);
    const poster = path.join(dir, 'poster.jpg');
    assert.ok((await meanLevel(poster)) > 40, `poster mean level ${await meanLevel(poster)}: black`);
    assert.deepEqual([(await displayAspect(poster)).width, (await displayAspect(poster)).height], [640, 360]);
    const metadata = JSON.parse(await readFile(path.join(dir, 'metadata.json'), 'utf8')) as { poster_seconds: number | null };
    assert.ok(metadata.poster_seconds !== null && metadata.poster_seconds >= 3, `poster taken at ${String(metadata.poster_seconds)} s`);
  });

  it("of a plain video is the key frame that starts the chosen thumbnail's group of pictures", async () => {
    // Key frames every 2 s (60 frames at 30 fps): only those are decoded to reach the poster.
    const file = path.join(fixtureDir(), 'gop-2s.mp4');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=640x360:rate=30:duration=10',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-g',
      '60',
      file,
    ]);
    const dir = await ladder(file, true);
    const metadata = JSON.parse(await readFile(path.join(dir, 'metadata.json'), 'utf8')) as {
      poster_seconds: number;
      thumbnails: { times_seconds: number[] };
    };
    const at = metadata.poster_seconds;
    assert.ok(Math.abs(at / 2 - Math.round(at / 2)) < 0.02, `poster at ${at} s: not a key frame`);
    const times = metadata.thumbnails.times_seconds;
    assert.ok(
      times.some((t) => t >= at && t - at < 2),
      `poster at ${at} s, thumbnails at ${times.join(', ')}`,
    );
    assert.ok((await meanLevel(path.join(dir, 'poster.jpg'))) > 40);
  });

  it("with PREVIEWS=off stays the ladder's own (here the black opening: why it is chosen otherwise)", async () => {
    const dir = await ladder(await blackStart(), false);
    assert.ok((await meanLevel(path.join(dir, 'poster.jpg'))) < 20);
  });

  it('is chosen among the thumbnails: not black, not blown out, the most contrast', () => {
    const lines = [
      '[Parsed_metadata_1 @ 0x1] frame:0    pts:0       pts_time:0',
      '[Parsed_metadata_1 @ 0x1] lavfi.signalstats.YAVG=16.2',
      '[Parsed_metadata_1 @ 0x1] lavfi.signalstats.YLOW=16',
      '[Parsed_metadata_1 @ 0x1] lavfi.signalstats.YHIGH=17',
      '[Parsed_metadata_1 @ 0x1] frame:1    pts:1       pts_time:1',
      '[Parsed_metadata_1 @ 0x1] lavfi.signalstats.YAVG=120',
      '[Parsed_metadata_1 @ 0x1] lavfi.signalstats.YLOW=40',
      '[Parsed_metadata_1 @ 0x1] lavfi.signalstats.YHIGH=200',
      '[Parsed_metadata_1 @ 0x1] frame:2    pts:2       pts_time:2',
      '[Parsed_metadata_1 @ 0x1] lavfi.signalstats.YAVG=240',
      '[Parsed_metadata_1 @ 0x1] lavfi.signalstats.YLOW=10',
      '[Parsed_metadata_1 @ 0x1] lavfi.signalstats.YHIGH=255',
    ];
    const stats = parseStillStats(lines);
    assert.deepEqual(stats, [
      { meanLuma: 16.2, spread: 1, seconds: 0 },
      { meanLuma: 120, spread: 160, seconds: 1 },
      { meanLuma: 240, spread: 245, seconds: 2 },
    ]);
    assert.equal(bestStill(stats), 1, 'the blown-out one has more spread but is refused');
    assert.equal(bestStill([stats[0]!]), null, 'all black: keep the ladder poster');
  });
});
