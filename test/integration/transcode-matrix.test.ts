/**
 * Real FFmpeg: every source shape through transcodeLadder, then the output is checked with ffprobe
 * and file sizes directly (no code under test is used to compute the expectations).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/logging/logger.js';
import { createFfmpegRunner } from '../../src/media/ffmpeg-runner.js';
import { transcodeLadder } from '../../src/media/transcode.js';
import { firstStream } from '../helpers/viewer-measures.js';
import { FFMPEG, ffprobeJson, makeClip, sizeOf, testMediaConfig, type ClipSpec } from '../helpers/media-fixtures.js';

const SEGMENT = 2;
const SECONDS = 5;

const TEST_MEDIA = testMediaConfig({ segmentSeconds: SEGMENT, x264Preset: 'veryfast' });

type Rung = readonly [name: string, width: number, height: number];
const LANDSCAPE_720: Rung[] = [
  ['medium', 1280, 720],
  ['low', 854, 480],
];

const CASES: Array<{ label: string; clip: ClipSpec; rungs: Rung[]; fps?: number }> = [
  { label: '1080p', clip: { width: 1920, height: 1080 }, rungs: [['high', 1920, 1080], ...LANDSCAPE_720] },
  { label: '720p', clip: { width: 1280, height: 720 }, rungs: LANDSCAPE_720 },
  { label: '1366x768', clip: { width: 1366, height: 768 }, rungs: LANDSCAPE_720 },
  {
    label: 'portrait 1080x1920 (phone clip rotated 90°)',
    clip: { width: 1920, height: 1080, rotate: 90 },
    rungs: [
      ['high', 1080, 1920],
      ['medium', 720, 1280],
      ['low', 480, 854],
    ],
  },
  { label: '320x240, below the lowest rung', clip: { width: 320, height: 240 }, rungs: [['low', 320, 240]] },
  { label: 'no audio', clip: { width: 1280, height: 720, audio: false }, rungs: LANDSCAPE_720 },
  { label: '60 fps', clip: { width: 1280, height: 720, fps: 60 }, rungs: LANDSCAPE_720, fps: 60 },
  { label: 'HEVC source', clip: { width: 1280, height: 720, codec: 'hevc' }, rungs: LANDSCAPE_720 },
];

interface Variant {
  readonly uri: string;
  readonly attrs: Record<string, string>;
}

function parseMaster(text: string): Variant[] {
  const lines = text.split('\n');
  const variants: Variant[] = [];
  lines.forEach((line, i) => {
    const m = /^#EXT-X-STREAM-INF:(.*)$/.exec(line);
    if (!m?.[1]) return;
    const attrs: Record<string, string> = {};
    for (const a of m[1].matchAll(/([A-Z-]+)=("[^"]*"|[^,]*)/g)) attrs[a[1] ?? ''] = (a[2] ?? '').replace(/^"|"$/g, '');
    variants.push({ uri: lines[i + 1] ?? '', attrs });
  });
  return variants;
}

function parsePlaylist(text: string): { target: number; extinf: number[]; uris: string[]; ended: boolean } {
  const lines = text.split('\n').map((l) => l.trim());
  const target = Number(/^#EXT-X-TARGETDURATION:(\d+)$/m.exec(text)?.[1]);
  const extinf = lines.filter((l) => l.startsWith('#EXTINF:')).map((l) => parseFloat(l.slice(8)));
  const uris = lines.filter((l) => l !== '' && !l.startsWith('#'));
  return { target, extinf, uris, ended: lines.includes('#EXT-X-ENDLIST') };
}

interface SegmentFacts {
  width: number;
  height: number;
  profile: string;
  keyFirst: boolean;
  firstPts: number;
  hasAudio: boolean;
}

async function segmentFacts(file: string): Promise<SegmentFacts> {
  const probe = (await ffprobeJson(['-show_streams', '-show_packets', '-select_streams', 'v', '-read_intervals', '%+#1', file])) as {
    streams: Array<{ width: number; height: number; profile: string }>;
    packets: Array<{ flags: string; pts_time: string }>;
  };
  const all = (await ffprobeJson(['-show_streams', file])) as { streams: Array<{ codec_type: string }> };
  const video = probe.streams[0];
  const packet = probe.packets[0];
  assert.ok(video && packet, `${file}: no video stream or packet`);
  return {
    width: video.width,
    height: video.height,
    profile: video.profile,
    keyFirst: packet.flags.includes('K'),
    firstPts: Number(packet.pts_time),
    hasAudio: all.streams.some((s) => s.codec_type === 'audio'),
  };
}

const PROFILE_HEX: Record<string, string> = { High: '64', Main: '4d', 'Constrained Baseline': '42', Baseline: '42' };

describe('transcodeLadder with real FFmpeg (segment 2 s)', () => {
  let root = '';
  const runner = createFfmpegRunner({ ffmpegPath: FFMPEG, log: silentLogger() });
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'vc-matrix-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(c.label, async () => {
      const fps = c.fps ?? 30;
      const audio = c.clip.audio !== false;
      const input = await makeClip({ ...c.clip, seconds: SECONDS });
      const outDir = path.join(root, c.label.replace(/[^a-z0-9]+/gi, '-'));
      const result = await transcodeLadder({ input, outDir, media: TEST_MEDIA, runner, log: silentLogger() });

      const variants = parseMaster(await readFile(path.join(outDir, 'master.m3u8'), 'utf8'));
      assert.deepEqual(
        variants.map((v) => v.uri),
        c.rungs.map(([name]) => `${name}/playlist.m3u8`),
        'rungs in the master, highest first',
      );
      assert.deepEqual(
        result.renditions.map((r) => r.name),
        c.rungs.map(([name]) => name),
      );

      const extinfs: number[][] = [];
      const firstPts: number[][] = [];
      for (const [i, [name, width, height]] of c.rungs.entries()) {
        const variant = variants[i];
        assert.ok(variant);
        const playlist = parsePlaylist(await readFile(path.join(outDir, name, 'playlist.m3u8'), 'utf8'));
        assert.ok(playlist.ended, `${name}: #EXT-X-ENDLIST`);
        assert.equal(playlist.extinf.length, playlist.uris.length);
        assert.equal(playlist.extinf.length, Math.ceil(SECONDS / SEGMENT), `${name}: segment count`);
        for (const d of playlist.extinf) assert.ok(Math.round(d) <= playlist.target, `${name}: EXTINF ${d} over target ${playlist.target}`);
        const total = playlist.extinf.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(total - SECONDS) <= 1, `${name}: total ${total} s vs ${SECONDS} s`);
        extinfs.push(playlist.extinf);

        let peak = 0;
        const pts: number[] = [];
        for (const [k, uri] of playlist.uris.entries()) {
          const file = path.join(outDir, name, uri);
          peak = Math.max(peak, ((await sizeOf(file)) * 8) / (playlist.extinf[k] ?? 1));
          const facts = await segmentFacts(file);
          assert.ok(facts.keyFirst, `${name}/${uri} does not start with a key frame`);
          assert.deepEqual([facts.width, facts.height], [width, height], `${name}/${uri} size`);
          assert.equal(facts.hasAudio, audio, `${name}/${uri} audio`);
          pts.push(facts.firstPts);
          if (k === 0) {
            const codecs: string = variant.attrs.CODECS ?? '';
            assert.match(
              codecs,
              new RegExp(`^avc1\\.${PROFILE_HEX[facts.profile] ?? 'xx'}[0-9a-f]{4}`),
              `${name} CODECS ${codecs} vs ${facts.profile}`,
            );
            assert.equal(codecs.includes('mp4a.40.2'), audio, `${name} CODECS audio`);
            const v = await firstStream(file, 'video');
            assert.deepEqual([v.pix_fmt, v.color_primaries, v.color_transfer, v.color_space], ['yuv420p', 'bt709', 'bt709', 'bt709'], name);
          }
        }
        firstPts.push(pts);
        assert.ok(Number(variant.attrs.BANDWIDTH) >= peak, `${name}: BANDWIDTH ${variant.attrs.BANDWIDTH} < measured peak ${peak}`);
        assert.ok(Number(variant.attrs['AVERAGE-BANDWIDTH']) <= Number(variant.attrs.BANDWIDTH));
        assert.equal(variant.attrs.RESOLUTION, `${width}x${height}`);
        assert.equal(variant.attrs['FRAME-RATE'], fps.toFixed(3));
      }

      const frame = 1 / fps;
      for (const [i, list] of extinfs.entries()) {
        assert.equal(list.length, extinfs[0]?.length);
        list.forEach((d, k) =>
          assert.ok(Math.abs(d - (extinfs[0]?.[k] ?? 0)) <= frame + 1e-6, `rung ${i} segment ${k}: ${d} vs ${extinfs[0]?.[k]}`),
        );
        firstPts[i]?.forEach((t, k) =>
          assert.ok(Math.abs(t - (firstPts[0]?.[k] ?? 0)) <= frame + 1e-6, `rung ${i} segment ${k} starts at ${t}`),
        );
      }

      const poster = (await ffprobeJson(['-count_frames', '-show_streams', path.join(outDir, 'poster.jpg')])) as {
        streams: Array<{ codec_type: string; width: number; height: number; nb_read_frames: string }>;
      };
      const [top] = c.rungs;
      assert.equal(poster.streams.length, 1);
      assert.deepEqual([poster.streams[0]?.width, poster.streams[0]?.height, poster.streams[0]?.nb_read_frames], [top?.[1], top?.[2], '1']);
      assert.ok(result.outputBytes > 0 && result.encodeMs > 0);
    });
  }
});
