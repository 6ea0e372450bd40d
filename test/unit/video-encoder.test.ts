import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../src/logging/logger.js';
import { createEncoderResolver, type EncoderProber } from '../../src/media/encoder-select.js';
import { buildHlsCommand, commandToArgs } from '../../src/media/hls-command.js';
import { PLAIN_PICTURE } from '../../src/media/picture.js';
import type { LadderPlan, PlannedRung, TopRungDecision } from '../../src/media/types.js';
import { encoderProbeArgs, type VideoEncoderName } from '../../src/media/video-encoder.js';

const rung = (name: string, width: number, height: number, crf: number, maxrateKbps: number): PlannedRung => ({
  name,
  width,
  height,
  crf,
  maxrateKbps,
  bufsizeKbps: 2 * maxrateKbps,
  fps: 30,
});
const PLAN: LadderPlan = {
  rungs: [rung('high', 1920, 1080, 23, 6000), rung('medium', 1280, 720, 28, 3000), rung('low', 854, 480, 32, 1500)],
  poster: { width: 1920, height: 1080, atSeconds: 1 },
  segmentSeconds: 2,
  audioBitrateKbps: 128,
  picture: PLAIN_PICTURE,
  audio: { index: 0, channels: 2, mix: 'none' },
};

function args(encoder: VideoEncoderName, topRung?: TopRungDecision): string[] {
  return commandToArgs(
    buildHlsCommand({
      input: '/in.mp4',
      outDir: '/out',
      plan: PLAN,
      preset: 'fast',
      threads: 0,
      encoder,
      vaapiDevice: '/dev/dri/renderD129',
      topRung,
    }),
  );
}
function valuesOf(list: readonly string[], flag: string): string[] {
  return list.flatMap((a, i) => (a === flag ? [list[i + 1] ?? ''] : []));
}

describe('encoder argument builders', () => {
  it('libx264: capped CRF per rung, global preset', () => {
    const a = args('libx264');
    assert.deepEqual(valuesOf(a, '-c:v'), ['libx264', 'mjpeg']);
    assert.deepEqual(valuesOf(a, '-crf:v:1'), ['28']);
    assert.deepEqual(valuesOf(a, '-maxrate:v:2'), ['1500k']);
  });

  it('h264_nvenc: preset p4, VBR with -cq, caps, forced IDRs', () => {
    const a = args('h264_nvenc');
    assert.deepEqual(valuesOf(a, '-c:v'), ['h264_nvenc', 'mjpeg']);
    assert.deepEqual(valuesOf(a, '-preset'), ['p4']);
    assert.deepEqual([valuesOf(a, '-rc:v:0'), valuesOf(a, '-cq:v:0'), valuesOf(a, '-b:v:0')], [['vbr'], ['23'], ['0']]);
    assert.deepEqual([valuesOf(a, '-maxrate:v:1'), valuesOf(a, '-bufsize:v:1')], [['3000k'], ['6000k']]);
    assert.deepEqual(valuesOf(a, '-forced-idr'), ['1']);
    assert.ok(!a.includes('-crf:v:0'));
  });

  it('h264_qsv: -global_quality per rung', () => {
    const a = args('h264_qsv');
    assert.deepEqual(valuesOf(a, '-c:v'), ['h264_qsv', 'mjpeg']);
    assert.deepEqual(valuesOf(a, '-global_quality:v:2'), ['32']);
    assert.deepEqual(valuesOf(a, '-maxrate:v:0'), ['6000k']);
  });

  it('h264_vaapi: device before the input, nv12 + hwupload in each branch, CQP', () => {
    const a = args('h264_vaapi');
    assert.ok(a.indexOf('-vaapi_device') < a.indexOf('-i'));
    assert.deepEqual(valuesOf(a, '-vaapi_device'), ['/dev/dri/renderD129']);
    const graph = valuesOf(a, '-filter_complex')[0] ?? '';
    assert.equal(graph.match(/format=nv12,hwupload\[v\d\]/g)?.length, 3);
    assert.ok(!/hwupload\[vp\]/.test(graph), 'the JPEG poster stays in system memory');
    assert.deepEqual([valuesOf(a, '-rc_mode:v:0'), valuesOf(a, '-qp:v:1')], [['CQP'], ['28']]);
  });

  it('one-frame probe: lavfi colour source into the null muxer', () => {
    const a = encoderProbeArgs({ encoder: 'h264_vaapi', preset: 'fast', vaapiDevice: '/dev/dri/renderD128' });
    assert.deepEqual(valuesOf(a, '-f'), ['lavfi', 'null']);
    assert.deepEqual(valuesOf(a, '-frames:v'), ['1']);
    assert.deepEqual(valuesOf(a, '-c:v'), ['h264_vaapi']);
    assert.equal(a.at(-1), '-');
  });
});

describe('top-rung passthrough command', () => {
  const a = args('libx264', { copied: true, reason: 'eligible', keyframeTimes: [0, 2, 4] });
  it('maps the source video as rung 0 and stream-copies it', () => {
    assert.deepEqual(valuesOf(a, '-map').slice(0, 2), ['0:v:0', '[a0]']);
    assert.deepEqual(valuesOf(a, '-c:v:0'), ['copy']);
    assert.ok(!a.includes('-crf:v:0'), 'no rate option for the copied stream');
    assert.deepEqual(valuesOf(a, '-c:v'), ['mjpeg'], 'no global video encoder, only the poster');
  });
  it('filters only the encoded rungs and the poster', () => {
    const graph = valuesOf(a, '-filter_complex')[0] ?? '';
    assert.match(graph, /^\[0:v\]split=3\[r1\]\[r2\]\[rp\];/);
    assert.ok(!graph.includes('[v0]'));
  });
  it('an encode decision builds the same command as no decision at all', () => {
    assert.deepEqual(args('libx264', { copied: false, reason: 'codec hevc' }), args('libx264'));
  });
  it('forces the encoded rungs key frames at the source key-frame times, IDR-capable', () => {
    for (const i of [1, 2]) {
      assert.deepEqual(valuesOf(a, `-c:v:${i}`), ['libx264']);
      assert.deepEqual(valuesOf(a, `-force_key_frames:v:${i}`), ['0.000000,1.991667,3.991667']);
      assert.deepEqual(valuesOf(a, `-keyint_min:v:${i}`), ['1']);
      assert.deepEqual(valuesOf(a, `-g:v:${i}`), ['121']);
    }
    assert.ok(!a.includes('-force_key_frames:v:0'));
  });
});

describe('createEncoderResolver', () => {
  function recordingProber(works: readonly VideoEncoderName[]): { prober: EncoderProber; calls: VideoEncoderName[] } {
    const calls: VideoEncoderName[] = [];
    return {
      calls,
      prober: (encoder) => {
        calls.push(encoder);
        return Promise.resolve(works.includes(encoder));
      },
    };
  }

  it('auto: first working hardware encoder in order nvenc, qsv, vaapi; probed once', async () => {
    const { prober, calls } = recordingProber(['h264_qsv', 'h264_vaapi']);
    const resolve = createEncoderResolver({ choice: 'auto', prober, log: silentLogger() });
    assert.equal(await resolve(), 'h264_qsv');
    assert.equal(await resolve(), 'h264_qsv');
    assert.deepEqual(calls, ['h264_nvenc', 'h264_qsv']);
  });

  it('auto: libx264 when no hardware works (a throwing prober counts as not working)', async () => {
    const calls: string[] = [];
    const prober: EncoderProber = (encoder) => {
      calls.push(encoder);
      return encoder === 'h264_nvenc' ? Promise.reject(new Error('boom')) : Promise.resolve(false);
    };
    assert.equal(await createEncoderResolver({ choice: 'auto', prober, log: silentLogger() })(), 'libx264');
    assert.deepEqual(calls, ['h264_nvenc', 'h264_qsv', 'h264_vaapi']);
  });

  it('a fixed choice is used as is, without probing', async () => {
    const { prober, calls } = recordingProber([]);
    assert.equal(await createEncoderResolver({ choice: 'h264_nvenc', prober, log: silentLogger() })(), 'h264_nvenc');
    assert.deepEqual(calls, []);
  });
});
