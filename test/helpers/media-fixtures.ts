/**
 * Synthetic media for tests, generated with FFmpeg's lavfi sources into one temp directory per
 * process (removed at exit). Nothing here is ever committed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { MediaConfig } from '../../src/config/config.js';

const run = promisify(execFile);

export const FFMPEG = 'ffmpeg';
export const FFPROBE = 'ffprobe';

/** A MediaConfig for tests: the default ladder, short segments, a fast preset. */
export function testMediaConfig(overrides: Partial<MediaConfig> = {}): MediaConfig {
  return {
    ffmpegPath: FFMPEG,
    ffprobePath: FFPROBE,
    ladder: [
      { name: 'high', height: 1080, crf: 23, maxrateKbps: 0 },
      { name: 'medium', height: 720, crf: 28, maxrateKbps: 0 },
      { name: 'low', height: 480, crf: 32, maxrateKbps: 0 },
    ],
    x264Preset: 'veryfast',
    threads: 0,
    videoEncoder: 'libx264',
    vaapiDevice: '/dev/dri/renderD128',
    nice: 0,
    passthrough: 'auto',
    segmentSeconds: 2,
    audioBitrateKbps: 96,
    minDurationSeconds: 1,
    maxDurationSeconds: 86_400,
    maxPixels: 8192 * 4320,
    maxFps: 60,
    watchdog: { stallSeconds: 300, timeoutFactor: 10 },
    previews: { enabled: true, thumbnailCount: 5, thumbnailWidth: 640, storyboardIntervalSeconds: 4 },
    qualityMetrics: false,
    ...overrides,
  };
}

export interface ClipSpec {
  /** Coded size; with rotate 90/270 the display size is height x width. */
  readonly width: number;
  readonly height: number;
  readonly fps?: number;
  readonly seconds?: number;
  readonly codec?: 'h264' | 'hevc';
  readonly audio?: boolean;
  /** Clockwise display rotation written as container metadata (0, 90, 180, 270). */
  readonly rotate?: number;
  /** H.264 only: key-frame interval in frames (closed GOPs, no scene cuts); x264's default when absent. */
  readonly gop?: number;
  /** H.264 only: extra -x264-params, e.g. "open-gop=1". */
  readonly x264Params?: string;
  /** Pixel format; yuv420p when absent. */
  readonly pixFmt?: string;
  /** H.264 only: caps the bit rate (maxrate, bufsize 2×); the noisy pattern otherwise needs ~10 Mb/s at 720p. */
  readonly maxrateKbps?: number;
}

let dir: string | null = null;
const cache = new Map<string, Promise<string>>();

/** The per-process fixture directory, created on first use and removed when the process exits. */
export function fixtureDir(): string {
  if (dir === null) {
    const created = mkdtempSync(path.join(os.tmpdir(), 'vc-media-'));
    dir = created;
    process.once('exit', () => rmSync(created, { recursive: true, force: true }));
  }
  return dir;
}

export function once(key: string, make: () => Promise<string>): Promise<string> {
  let pending = cache.get(key);
  if (!pending) {
    pending = make();
    cache.set(key, pending);
  }
  return pending;
}

export async function ffmpeg(args: string[]): Promise<void> {
  await run(FFMPEG, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], { maxBuffer: 8 * 1024 * 1024 });
}

/**
 * A clip from testsrc2 (moving pattern) with light temporal noise, so encoders work as on real
 * footage, and a 440 Hz stereo tone. Cached per process by its parameters.
 */
export function makeClip(spec: ClipSpec): Promise<string> {
  const {
    width,
    height,
    fps = 30,
    seconds = 5,
    codec = 'h264',
    audio = true,
    rotate = 0,
    gop,
    x264Params,
    pixFmt = 'yuv420p',
    maxrateKbps,
  } = spec;
  const extra = `${gop === undefined ? '' : `-g${gop}`}${x264Params === undefined ? '' : `-${x264Params.replace(/[^a-z0-9]/gi, '')}`}${pixFmt === 'yuv420p' ? '' : `-${pixFmt}`}${maxrateKbps === undefined ? '' : `-max${maxrateKbps}`}`;
  const name = `clip-${width}x${height}-${fps}fps-${seconds}s-${codec}-${audio ? 'a' : 'na'}-r${rotate}${extra}.mp4`;
  return once(name, async () => {
    const out = path.join(fixtureDir(), name);
    const encoded = rotate === 0 ? out : `${out}.norot.mp4`;
    const video = ['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds},noise=alls=4:allf=t`];
    const sound = audio ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`] : [];
    const vcodec =
      codec === 'hevc'
        ? ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-tag:v', 'hvc1']
        : ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '20', ...gopOptions(gop, x264Params), ...capOptions(maxrateKbps)];
    const acodec = audio ? ['-c:a', 'aac', '-b:a', '96k', '-ac', '2'] : [];
    await ffmpeg([...video, ...sound, ...vcodec, '-pix_fmt', pixFmt, ...acodec, '-shortest', encoded]);
    if (rotate !== 0) {
      // FFmpeg 5.1 only writes the rotate tag (as a display matrix) when stream-copying.
      await ffmpeg(['-i', encoded, '-map', '0', '-c', 'copy', '-metadata:s:v:0', `rotate=${rotate}`, out]);
    }
    return out;
  });
}

function capOptions(maxrateKbps: number | undefined): string[] {
  return maxrateKbps === undefined ? [] : ['-maxrate', `${maxrateKbps}k`, '-bufsize', `${2 * maxrateKbps}k`];
}

function gopOptions(gop: number | undefined, x264Params: string | undefined): string[] {
  const g = gop === undefined ? [] : ['-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0'];
  return [...g, ...(x264Params === undefined ? [] : ['-x264-params', x264Params])];
}

/** An AAC-only .m4a: a real media file with no video stream. */
export function makeAudioOnly(seconds = 3): Promise<string> {
  return once(`audio-${seconds}`, async () => {
    const out = path.join(fixtureDir(), `audio-${seconds}s.m4a`);
    await ffmpeg(['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`, '-c:a', 'aac', out]);
    return out;
  });
}

/** A single picture (PNG or JPEG). */
export function makeImage(format: 'png' | 'jpg' = 'png'): Promise<string> {
  return once(`image-${format}`, async () => {
    const out = path.join(fixtureDir(), `image.${format}`);
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=1', '-frames:v', '1', out]);
    return out;
  });
}

/**
 * An MP4 cut in half. By default its moov atom sits at the end (no faststart), so the index is gone
 * and nothing can be read; with `indexFirst` the index survives and only the second half of the
 * media is missing, which FFmpeg decodes up to the cut and reports as a partial file.
 */
export function makeTruncatedMp4({ indexFirst = false }: { indexFirst?: boolean } = {}): Promise<string> {
  const label = indexFirst ? 'index-first' : 'index-last';
  return once(`truncated-${label}`, async () => {
    const full = path.join(fixtureDir(), `whole-${label}.mp4`);
    const faststart = indexFirst ? ['-movflags', '+faststart'] : [];
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=640x360:rate=30:duration=6',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      ...faststart,
      full,
    ]);
    const bytes = await readFile(full);
    const out = path.join(fixtureDir(), `truncated-${label}.mp4`);
    await writeFile(out, bytes.subarray(0, Math.floor(bytes.length / 2)));
    return out;
  });
}

/** An empty file with a video extension. */
export function makeZeroByte(): Promise<string> {
  return once('zero', async () => {
    const out = path.join(fixtureDir(), 'zero.mp4');
    await writeFile(out, '');
    return out;
  });
}

/** A web page saved under a video name, as a misconfigured CMS might hand over. */
export function makeHtmlFile(): Promise<string> {
  return once('html', async () => {
    const out = path.join(fixtureDir(), 'page.mp4');
    await writeFile(out, '<!doctype html><html><head><title>Not found</title></head><body><h1>404</h1></body></html>\n');
    return out;
  });
}

/** Runs ffprobe with JSON output: for tests that check outputs independently of src/media. */
export async function ffprobeJson(args: string[]): Promise<unknown> {
  const { stdout } = await run(FFPROBE, ['-v', 'error', '-print_format', 'json', ...args], { maxBuffer: 32 * 1024 * 1024 });
  return JSON.parse(stdout) as unknown;
}

/** Size of a file in bytes. */
export async function sizeOf(file: string): Promise<number> {
  return (await stat(file)).size;
}
