import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { isFaststart, parseBoxHeader, topLevelBoxes } from '../../src/media/previews/mp4-boxes.js';
import {
  fitWidth,
  planPreviews,
  previewMoments,
  sheetGrid,
  storyboardInterval,
  thumbnailFile,
  thumbnailTimes,
  windowCount,
} from '../../src/media/previews/plan.js';
import { passArgs } from '../../src/media/previews/pass-branch.js';
import { previewBranch } from '../../src/media/previews/preview-clip.js';
import { showinfoTime, storyboardBranch } from '../../src/media/previews/storyboard.js';
import { spanInput, spanOf, spanTrim, timeline } from '../../src/media/previews/segments.js';
import { thumbnailBranches } from '../../src/media/previews/thumbnails.js';
import { coverageProblems, parseStoryboardVtt, renderVtt, storyboardCues, vttTimestamp } from '../../src/media/previews/vtt.js';
import { measuredRendition } from '../helpers/measured-rendition.js';

const rendition = measuredRendition;

const LADDER = [rendition('high', 1920, 1080), rendition('medium', 1280, 720), rendition('low', 854, 480)];
const CONFIG = { enabled: true, thumbnailCount: 5, thumbnailWidth: 640, storyboardIntervalSeconds: 4 };

describe('previews plan', () => {
  it('thumbnail times are evenly spaced inside the middle 90 %', () => {
    assert.deepEqual(thumbnailTimes(100, 5), [14, 32, 50, 68, 86]);
    assert.deepEqual(thumbnailTimes(10, 1), [5]);
    const times = thumbnailTimes(2, 50);
    assert.ok(times.every((t) => t >= 0.1 && t <= 1.9));
  });

  it('thumbnail names have two digits', () => {
    assert.equal(thumbnailFile(0), 'thumbnails/thumb-01.jpg');
    assert.equal(thumbnailFile(11), 'thumbnails/thumb-12.jpg');
  });

  it('fitWidth keeps the aspect with even sides and never widens', () => {
    assert.deepEqual(fitWidth({ width: 1920, height: 1080 }, 640), { width: 640, height: 360 });
    assert.deepEqual(fitWidth({ width: 720, height: 1280 }, 640), { width: 640, height: 1138 });
    assert.deepEqual(fitWidth({ width: 320, height: 240 }, 640), { width: 320, height: 240 });
    assert.deepEqual(fitWidth({ width: 854, height: 480 }, 480), { width: 480, height: 270 });
  });

  it('the interval is raised so that a long video has at most 500 tiles', () => {
    assert.equal(storyboardInterval(600, 4), 4);
    assert.equal(storyboardInterval(600, 1), 1.2);
    assert.equal(storyboardInterval(4 * 3600, 4), 28.8);
    assert.ok(windowCount(600, storyboardInterval(600, 1)) <= 500);
    assert.ok(windowCount(4 * 3600 + 0.37, storyboardInterval(4 * 3600 + 0.37, 4)) <= 500);
    assert.equal(windowCount(10, 4), 3);
    assert.equal(windowCount(8, 4), 2);
  });

  it('sheets are up to 10×10, smaller for short videos', () => {
    assert.deepEqual(sheetGrid(3), { columns: 3, rows: 1 });
    assert.deepEqual(sheetGrid(25), { columns: 10, rows: 3 });
    assert.deepEqual(sheetGrid(500), { columns: 10, rows: 10 });
  });

  it('the preview is the whole clip up to 6 s, else 4 moments of 1.25 s that never overlap', () => {
    assert.deepEqual(previewMoments(2), [{ startSeconds: 0, seconds: 2 }]);
    const moments = previewMoments(100);
    assert.deepEqual(
      moments.map((m) => m.startSeconds),
      [19.375, 39.375, 59.375, 79.375],
    );
    assert.ok(moments.every((m) => m.seconds === 1.25));
    const short = previewMoments(6.1);
    const total = short.reduce((s, m) => s + m.seconds, 0);
    assert.ok(total >= 3 && total <= 6, `total ${total}`);
    short.slice(1).forEach((m, i) => assert.ok(m.startSeconds >= (short[i]?.startSeconds ?? 0) + (short[i]?.seconds ?? 0) - 0.001));
  });

  it('decodes one rung for all but the poster: the smallest at least as wide as the thumbnails and the preview', () => {
    const plan = planPreviews(LADDER, 60, CONFIG);
    assert.equal(plan.from.name, 'low');
    assert.equal(plan.poster.from.name, 'high');
    assert.deepEqual(plan.thumbnails.size, { width: 640, height: 360 });
    assert.deepEqual(plan.storyboard.tile, { width: 160, height: 90 });
    assert.deepEqual(plan.preview.size, { width: 480, height: 270 });
    // Thumbnails 1000 wide need a wider rung than the low one (854).
    assert.equal(planPreviews(LADDER, 60, { ...CONFIG, thumbnailWidth: 1000 }).from.name, 'medium');
    const tiny = planPreviews([rendition('low', 320, 240)], 60, CONFIG);
    assert.equal(tiny.from.name, 'low');
    assert.deepEqual(tiny.preview.size, { width: 320, height: 240 });
    assert.deepEqual(tiny.thumbnails.size, { width: 320, height: 240 });
  });
});

describe('storyboard cues', () => {
  const geometry = { tile: { width: 160, height: 90 }, columns: 10, rows: 10 };

  it('one cue per tile from window starts, the first at 0, the last ending at the duration', () => {
    const cues = storyboardCues([0.033, 4.0, 8.0], 4, 10, geometry);
    assert.deepEqual(
      cues.map((c) => [c.startMs, c.endMs, c.sprite, c.x, c.y]),
      [
        [0, 4000, 'sprite-1.jpg', 0, 0],
        [4000, 8000, 'sprite-1.jpg', 160, 0],
        [8000, 10000, 'sprite-1.jpg', 320, 0],
      ],
    );
    assert.deepEqual(coverageProblems(cues, 10_000), []);
  });

  it('a missing window is covered by the previous tile; tile 101 starts the second sheet', () => {
    const times = Array.from({ length: 120 }, (_, k) => (k === 5 ? 28 : k * 4));
    const cues = storyboardCues(times, 4, 480.5, geometry);
    assert.deepEqual(coverageProblems(cues, 480_500), []);
    const hundredth = cues.find((c) => c.startMs === 400_000);
    assert.deepEqual([hundredth?.sprite, hundredth?.x, hundredth?.y], ['sprite-2.jpg', 0, 0]);
    const ninetyNinth = cues.find((c) => c.startMs === 396_000);
    assert.deepEqual([ninetyNinth?.sprite, ninetyNinth?.x, ninetyNinth?.y], ['sprite-1.jpg', 1440, 810]);
  });

  it('round-trips through the VTT text and finds gaps and overlaps', () => {
    const cues = storyboardCues([0, 4, 8], 4, 10, geometry);
    const text = renderVtt(cues);
    assert.match(text, /^WEBVTT\n\n00:00:00\.000 --> 00:00:04\.000\nsprite-1\.jpg#xywh=0,0,160,90\n/);
    const parsed = parseStoryboardVtt(text);
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(parsed.cues, cues);
    const gap = parseStoryboardVtt(text.replace('00:00:04.000 --> 00:00:08.000', '00:00:04.500 --> 00:00:08.000'));
    assert.match(coverageProblems(gap.cues, 10_000).join(), /gap/);
    assert.match(coverageProblems(cues, 12_000).join(), /last cue ends/);
    assert.deepEqual(parseStoryboardVtt('hello').problems, ['does not start with WEBVTT']);
    assert.equal(vttTimestamp(3_723_004), '01:02:03.004');
  });
});

describe('previews FFmpeg arguments', () => {
  const plan = planPreviews(LADDER, 60, CONFIG);

  // 60 s in 10 s segments.
  const SEGMENTS = timeline({
    targetDuration: 10,
    endList: true,
    segments: Array.from({ length: 6 }, (_, i) => ({ uri: `segment00${i}.ts`, durationSeconds: 10 })),
  });

  it('the pass: one input, its clock restarted, split into one branch per output', () => {
    const branches = [storyboardBranch('/out', plan.storyboard), ...thumbnailBranches('/out', plan.thumbnails, 60)];
    const args = passArgs('/out/low/playlist.m3u8', branches);
    assert.deepEqual(
      args.filter((_, i) => args[i - 1] === '-i'),
      ['/out/low/playlist.m3u8'],
    );
    const graph = args[args.indexOf('-filter_complex') + 1] ?? '';
    assert.match(graph, /^\[0:v:0\]setpts=PTS-STARTPTS,split=6\[s0\]\[s1\]\[s2\]\[s3\]\[s4\]\[s5\];/);
    assert.deepEqual(
      args.filter((_, i) => args[i - 1] === '-map'),
      ['[o0]', '[o1]', '[o2]', '[o3]', '[o4]', '[o5]'],
    );
    assert.ok(!args.includes('-ss'), 'no demuxer seek');
  });

  it('thumbnails: the first frame at or after t_i, scaled, one JPEG each; t_i never past the rung', () => {
    const [first] = thumbnailBranches('/out', plan.thumbnails, 60);
    assert.equal(first?.graph('[a]', '[b]'), '[a]trim=start=8.400,trim=end_frame=1,scale=640:360:flags=lanczos,setsar=1[b]');
    assert.deepEqual(first?.output.slice(-3), ['-update', '1', '/out/thumbnails/thumb-01.jpg']);
    const short = thumbnailBranches('/out', plan.thumbnails, 50).at(-1);
    assert.match(short?.graph('[a]', '[b]') ?? '', /trim=start=49\.900,/);
  });

  it('segment spans: the segments holding a moment and its offset in the first', () => {
    assert.deepEqual(spanOf(SEGMENTS, 0), { uris: ['segment000.ts'], offsetSeconds: 0 });
    assert.deepEqual(spanOf(SEGMENTS, 19.375, 1.25), { uris: ['segment001.ts', 'segment002.ts'], offsetSeconds: 9.375 });
    assert.deepEqual(spanOf(SEGMENTS, 75), { uris: ['segment005.ts'], offsetSeconds: 25 });
    assert.equal(spanInput('/r', { uris: ['a.ts', 'b.ts'], offsetSeconds: 0 }), 'concat:/r/a.ts|/r/b.ts');
    assert.equal(
      spanTrim({ uris: [], offsetSeconds: 1.5 }, 1.25),
      'setpts=PTS-STARTPTS,trim=start=1.500:duration=1.250,setpts=PTS-STARTPTS',
    );
  });

  it('storyboard: first frame of each window, tiled, timestamps passed through', () => {
    const branch = storyboardBranch('/out', plan.storyboard);
    const graph = branch.graph('[a]', '[b]');
    assert.match(
      graph,
      /^\[a\]select='isnan\(prev_selected_t\)\+gte\(floor\(max\(t,0\)\/4\)-floor\(max\(prev_selected_t,0\)\/4\),1\)',showinfo,/,
    );
    assert.match(graph, /tile=10x2\[b\]$/);
    assert.equal(branch.output[branch.output.indexOf('-fps_mode') + 1], 'passthrough');
    assert.equal(showinfoTime('[Parsed_showinfo_1 @ 0x5] n:   1 pts: 360000 pts_time:4       pos: 1'), 4);
    assert.equal(showinfoTime('[Parsed_showinfo_1 @ 0x5] config in time_base: 1/90000'), null);
  });

  it('preview: the moments trimmed from the one decode, concatenated, silent, capped CRF, faststart', () => {
    const branch = previewBranch('/out', plan.preview, { preset: 'fast', threads: 0 });
    const graph = branch.graph('[a]', '[b]');
    assert.match(graph, /^\[a\]split=4\[p0\]\[p1\]\[p2\]\[p3\];\[p0\]trim=start=11\.375:duration=1\.250,setpts=PTS-STARTPTS\[m0\];/);
    assert.match(graph, /\[m0\]\[m1\]\[m2\]\[m3\]concat=n=4:v=1:a=0,scale=480:270.*\[b\]$/);
    for (const flag of ['+faststart', '1200k', '/out/preview.mp4']) assert.ok(branch.output.includes(flag), flag);
  });
});

describe('MP4 top-level boxes', () => {
  it('reads sizes (32- and 64-bit) and tells faststart', async () => {
    const box = (type: string, size: number): Buffer => {
      const b = Buffer.alloc(size);
      b.writeUInt32BE(size, 0);
      b.write(type, 4, 'latin1');
      return b;
    };
    const large = Buffer.alloc(24);
    large.writeUInt32BE(1, 0);
    large.write('mdat', 4, 'latin1');
    large.writeBigUInt64BE(24n, 8);
    assert.deepEqual(parseBoxHeader(large), { type: 'mdat', size: 24, headerBytes: 16 });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vc-boxes-'));
    try {
      const file = path.join(dir, 'a.mp4');
      await writeFile(file, Buffer.concat([box('ftyp', 16), box('moov', 40), large]));
      assert.deepEqual(await topLevelBoxes(file), ['ftyp', 'moov', 'mdat']);
      assert.equal(isFaststart(['ftyp', 'moov', 'mdat']), true);
      assert.equal(isFaststart(['ftyp', 'mdat', 'moov']), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('previews configuration', () => {
  it('defaults, and PREVIEWS=off', () => {
    const base = { API_KEY: 'k'.repeat(32) };
    const on = loadConfig({ env: base, cwd: '/srv/vc', envFile: false }).media.previews;
    assert.deepEqual(on, { enabled: true, thumbnailCount: 5, thumbnailWidth: 640, storyboardIntervalSeconds: 4 });
    const env = { ...base, PREVIEWS: 'off', THUMBNAIL_COUNT: '8', THUMBNAIL_WIDTH: '320', STORYBOARD_INTERVAL: '2.5' };
    const off = loadConfig({ env, cwd: '/srv/vc', envFile: false }).media.previews;
    assert.deepEqual(off, { enabled: false, thumbnailCount: 8, thumbnailWidth: 320, storyboardIntervalSeconds: 2.5 });
    assert.throws(() => loadConfig({ env: { ...base, THUMBNAIL_COUNT: '0' }, cwd: '/srv/vc', envFile: false }), /THUMBNAIL_COUNT/);
  });
});
