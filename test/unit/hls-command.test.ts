import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildHlsCommand, commandToArgs, fpsExpression, h264ProfileLevel, keyframeInterval } from '../../src/media/hls-command.js';
import { PLAIN_PICTURE } from '../../src/media/picture.js';
import type { FfmpegCommand, LadderPlan, PlannedRung } from '../../src/media/types.js';

const OUT = '/tmp/ladder out';

function rung(name: string, width: number, height: number, crf: number, maxrateKbps: number, fps = 30): PlannedRung {
  return { name, width, height, crf, maxrateKbps, bufsizeKbps: 2 * maxrateKbps, fps };
}

const PLAN: LadderPlan = {
  rungs: [rung('high', 1920, 1080, 23, 6000), rung('medium', 1280, 720, 28, 3000), rung('low', 854, 480, 32, 1500)],
  poster: { width: 1920, height: 1080, atSeconds: 0.6 },
  segmentSeconds: 2,
  audioBitrateKbps: 128,
  picture: PLAIN_PICTURE,
  audio: { index: 0, channels: 2, mix: 'none' },
};

function build(plan: LadderPlan = PLAN, threads = 0): FfmpegCommand {
  return buildHlsCommand({ input: '/in/source file.mp4', outDir: OUT, plan, preset: 'fast', threads });
}

/** Values that follow `flag` in an option list. */
function valuesOf(options: readonly string[], flag: string): string[] {
  return options.flatMap((o, i) => (o === flag ? [options[i + 1] ?? ''] : []));
}

function hlsOutput(cmd: FfmpegCommand): { path: string; options: readonly string[] } {
  const out = cmd.outputs.find((o) => o.path.endsWith('playlist.m3u8'));
  assert.ok(out, 'no HLS output');
  return out;
}

describe('buildHlsCommand', () => {
  it('splits the decoded video once into one branch per rung plus the poster', () => {
    const graph = build().filterComplex ?? '';
    const chains = graph.split(';');
    assert.equal(chains[0], '[0:v]split=4[r0][r1][r2][rp]');
    assert.equal(chains[1], '[r0]fps=30,scale=1920:1080,format=yuv420p,setsar=1[v0]');
    assert.equal(chains[2], '[r1]fps=30,scale=1280:720,format=yuv420p,setsar=1[v1]');
    assert.equal(chains[3], '[r2]fps=30,scale=854:480,format=yuv420p,setsar=1[v2]');
    assert.match(chains[4] ?? '', /^\[rp\]trim=start=0\.6,.*trim=end_frame=1,scale=1920:1080.*\[vp\]$/);
  });

  it('maps one video and one audio stream per variant and names them in var_stream_map', () => {
    const { options } = hlsOutput(build());
    assert.deepEqual(valuesOf(options, '-map'), ['[v0]', '[a0]', '[v1]', '[a1]', '[v2]', '[a2]']);
    assert.deepEqual(valuesOf(options, '-var_stream_map'), ['v:0,a:0,name:high v:1,a:1,name:medium v:2,a:2,name:low']);
    assert.deepEqual(valuesOf(options, '-c:a'), ['aac']);
    assert.deepEqual(valuesOf(options, '-b:a'), ['128k']);
    assert.deepEqual(valuesOf(options, '-ac'), ['2']);
  });

  it('caps every rung: CRF, maxrate, bufsize, profile and level per stream', () => {
    const { options } = hlsOutput(build());
    assert.deepEqual(valuesOf(options, '-c:v'), ['libx264']);
    assert.deepEqual(valuesOf(options, '-preset'), ['fast']);
    assert.deepEqual(
      [0, 1, 2].map((i) => valuesOf(options, `-crf:v:${i}`)[0]),
      ['23', '28', '32'],
    );
    assert.deepEqual(
      [0, 1, 2].map((i) => valuesOf(options, `-maxrate:v:${i}`)[0]),
      ['6000k', '3000k', '1500k'],
    );
    assert.deepEqual(
      [0, 1, 2].map((i) => valuesOf(options, `-bufsize:v:${i}`)[0]),
      ['12000k', '6000k', '3000k'],
    );
    assert.deepEqual(
      [0, 1, 2].map((i) => valuesOf(options, `-profile:v:${i}`)[0]),
      ['high', 'high', 'main'],
    );
    assert.deepEqual(
      [0, 1, 2].map((i) => valuesOf(options, `-level:v:${i}`)[0]),
      ['4.0', '3.1', '3.1'],
    );
  });

  it('forces key frames at exact multiples of the segment length, with no scene-cut key frames', () => {
    const { options } = hlsOutput(build());
    assert.deepEqual(valuesOf(options, '-force_key_frames'), ['expr:gte(t,n_forced*2)']);
    assert.deepEqual(valuesOf(options, '-sc_threshold'), ['0']);
    assert.deepEqual(valuesOf(options, '-g'), ['60']);
    assert.deepEqual(valuesOf(options, '-keyint_min'), ['60']);
  });

  it('writes VOD HLS in MPEG-TS per variant directory, without an FFmpeg master playlist', () => {
    const { path, options } = hlsOutput(build());
    assert.equal(path, `${OUT}/%v/playlist.m3u8`);
    assert.deepEqual(valuesOf(options, '-f'), ['hls']);
    assert.deepEqual(valuesOf(options, '-hls_time'), ['2']);
    assert.deepEqual(valuesOf(options, '-hls_playlist_type'), ['vod']);
    assert.deepEqual(valuesOf(options, '-hls_flags'), ['independent_segments']);
    assert.deepEqual(valuesOf(options, '-hls_segment_type'), ['mpegts']);
    assert.deepEqual(valuesOf(options, '-hls_segment_filename'), [`${OUT}/%v/segment%03d.ts`]);
    assert.ok(!options.includes('-master_pl_name'));
  });

  it('writes the poster as a second output of the same process: one JPEG frame', () => {
    const cmd = build();
    assert.equal(cmd.outputs.length, 2);
    const poster = cmd.outputs.find((o) => o.path === `${OUT}/poster.jpg`);
    assert.ok(poster);
    assert.deepEqual(valuesOf(poster.options, '-map'), ['[vp]']);
    assert.deepEqual(valuesOf(poster.options, '-frames:v'), ['1']);
    assert.deepEqual(valuesOf(poster.options, '-c:v'), ['mjpeg']);
  });

  it('leaves audio out entirely for a silent source', () => {
    const { options } = hlsOutput(build({ ...PLAN, audio: null }));
    assert.deepEqual(valuesOf(options, '-map'), ['[v0]', '[v1]', '[v2]']);
    assert.deepEqual(valuesOf(options, '-var_stream_map'), ['v:0,name:high v:1,name:medium v:2,name:low']);
    assert.ok(!options.includes('-c:a'));
  });

  it('passes -threads only when a limit is configured', () => {
    assert.ok(!commandToArgs(build(PLAN, 0)).includes('-threads'));
    assert.deepEqual(valuesOf(hlsOutput(build(PLAN, 2)).options, '-threads'), ['2']);
  });

  it('builds a single-rung ladder', () => {
    const plan: LadderPlan = { ...PLAN, rungs: [rung('low', 320, 240, 32, 350)], poster: { width: 320, height: 240, atSeconds: 0.5 } };
    const cmd = build(plan);
    assert.match(cmd.filterComplex ?? '', /^\[0:v\]split=2\[r0\]\[rp\];/);
    assert.deepEqual(valuesOf(hlsOutput(cmd).options, '-var_stream_map'), ['v:0,a:0,name:low']);
  });

  it('flattens to an argv with the input first and each output path after its options', () => {
    const args = commandToArgs(build());
    assert.equal(args[args.indexOf('-i') + 1], '/in/source file.mp4');
    assert.ok(args.indexOf('-i') < args.indexOf('-filter_complex'));
    assert.ok(args.indexOf(`${OUT}/%v/playlist.m3u8`) < args.indexOf('[vp]'));
    assert.equal(args[args.length - 1], `${OUT}/poster.jpg`);
  });
});

describe('h264ProfileLevel', () => {
  it('picks the lowest level that fits size, rate and caps', () => {
    assert.deepEqual(h264ProfileLevel(rung('h', 1920, 1080, 23, 6000)), { profile: 'high', level: '4.0' });
    assert.deepEqual(h264ProfileLevel(rung('h', 1080, 1920, 23, 6000)), { profile: 'high', level: '4.0' });
    assert.deepEqual(h264ProfileLevel(rung('h', 1920, 1080, 23, 8500, 60)), { profile: 'high', level: '4.2' });
    assert.deepEqual(h264ProfileLevel(rung('m', 1280, 720, 28, 3000)), { profile: 'high', level: '3.1' });
    assert.deepEqual(h264ProfileLevel(rung('m', 1280, 720, 28, 4250, 60)), { profile: 'high', level: '3.2' });
    assert.deepEqual(h264ProfileLevel(rung('l', 854, 480, 32, 1500)), { profile: 'main', level: '3.1' });
    assert.deepEqual(h264ProfileLevel(rung('l', 320, 240, 32, 350)), { profile: 'main', level: '3.0' });
    assert.deepEqual(h264ProfileLevel(rung('u', 3840, 2160, 23, 20000)), { profile: 'high', level: '5.1' });
  });

  it('raises the level when a large cap needs it', () => {
    assert.deepEqual(h264ProfileLevel(rung('h', 1920, 1080, 18, 30000)), { profile: 'high', level: '4.1' });
  });
});

describe('fpsExpression and keyframeInterval', () => {
  it('writes integer and NTSC rates exactly', () => {
    assert.equal(fpsExpression(30), '30');
    assert.equal(fpsExpression(30000 / 1001), '30000/1001');
    assert.equal(fpsExpression(24000 / 1001), '24000/1001');
    assert.equal(fpsExpression(60000 / 1001), '60000/1001');
    assert.equal(fpsExpression(12.5), '12.500');
  });

  it('sizes the GOP so x264 never places a key frame before a forced one', () => {
    assert.equal(keyframeInterval(30, 2), 60);
    assert.equal(keyframeInterval(30000 / 1001, 2), 60);
    assert.equal(keyframeInterval(60, 2), 120);
    assert.equal(keyframeInterval(25, 10), 250);
  });
});
