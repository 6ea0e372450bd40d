/**
 * Independent readings of the previews step's outputs (no code under test): picture sizes and
 * durations with ffprobe, the storyboard VTT with its own small parser, an MP4's top-level box
 * order from its bytes, a rung's segments from its playlist and the disk.
 */
import { ssim } from './viewer-measures.js';
import { execFile } from 'node:child_process';
import { readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { FFMPEG, ffprobeJson } from './media-fixtures.js';

const run = promisify(execFile);

interface Probed {
  streams?: Array<{
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    pix_fmt?: string;
    sample_aspect_ratio?: string;
  }>;
  format?: { duration?: string; format_name?: string };
}

/** Streams and format of a file as ffprobe reports them. */
export async function probeFile(file: string): Promise<Required<Probed>> {
  const probed = (await ffprobeJson(['-show_streams', '-show_format', file])) as Probed;
  return { streams: probed.streams ?? [], format: probed.format ?? {} };
}

/** Width and height of the (single) picture of an image file; its decoded frame count too. */
export async function imageSize(file: string): Promise<{ width: number; height: number; sar: string; frames: number }> {
  const probed = (await ffprobeJson(['-count_frames', '-show_streams', file])) as {
    streams?: Array<{ width?: number; height?: number; sample_aspect_ratio?: string; nb_read_frames?: string }>;
  };
  const s = probed.streams?.[0] ?? {};
  return { width: s.width ?? 0, height: s.height ?? 0, sar: s.sample_aspect_ratio ?? '1:1', frames: Number(s.nb_read_frames ?? 0) };
}

export interface Cue {
  readonly start: number;
  readonly end: number;
  readonly file: string;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

function seconds(stamp: string): number {
  const parts = stamp.split(':').map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

/** Cues of a WebVTT thumbnail track; throws on anything else. */
export function readVtt(text: string): Cue[] {
  const [header, ...blocks] = text.trim().split(/\n\s*\n/);
  if (!header?.startsWith('WEBVTT')) throw new Error('not WebVTT');
  return blocks.map((block) => {
    const m = /([\d:.]+) --> ([\d:.]+)\n(.+)#xywh=(\d+),(\d+),(\d+),(\d+)/.exec(block);
    if (!m) throw new Error(`not a thumbnail cue: ${block}`);
    const [, a = '', b = '', file = '', x, y, w, h] = m;
    return { start: seconds(a), end: seconds(b), file, x: Number(x), y: Number(y), w: Number(w), h: Number(h) };
  });
}

/** Top-level box types of an ISO BMFF file, read from its bytes. */
export async function boxOrder(file: string): Promise<string[]> {
  const bytes = await readFile(file);
  const types: string[] = [];
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    let size = bytes.readUInt32BE(offset);
    types.push(bytes.toString('latin1', offset + 4, offset + 8));
    if (size === 1) size = Number(bytes.readBigUInt64BE(offset + 8));
    if (size === 0) break;
    offset += size;
  }
  return types;
}

/** A rung's segments as its playlist lists them, with their sizes on disk. */
export async function rungSegments(dir: string, playlist: string): Promise<{ count: number; bytes: number; seconds: number }> {
  const file = path.join(dir, playlist);
  const lines = (await readFile(file, 'utf8')).split('\n').map((l) => l.trim());
  const uris = lines.filter((l) => l !== '' && !l.startsWith('#'));
  const durations = lines.filter((l) => l.startsWith('#EXTINF:')).map((l) => parseFloat(l.slice(8)));
  let bytes = 0;
  for (const uri of uris) bytes += (await stat(path.join(path.dirname(file), uri))).size;
  return { count: uris.length, bytes, seconds: durations.reduce((a, b) => a + b, 0) };
}

/**
 * SSIM of a still (or a `size` crop of it) against the frame of `video` at `atSeconds` (decoded
 * from the start, trimmed there), both scaled to `size` in limited-range 4:2:0.
 */
export async function stillSimilarity(
  still: string,
  video: string,
  atSeconds: number,
  size: { width: number; height: number },
  /** Compares only this part of the still (a storyboard tile of a sprite sheet). */
  crop?: { x: number; y: number },
): Promise<number> {
  const scale = `scale=${size.width}:${size.height},format=yuv420p`;
  const cut = crop === undefined ? '' : `crop=${size.width}:${size.height}:${crop.x}:${crop.y},`;
  const reference = { file: video, filter: `trim=start=${Math.max(0, atSeconds).toFixed(3)},${scale}` };
  return ssim({ file: still, filter: `${cut}${scale}` }, reference, { shortest: true });
}

/** Writes the frame of `video` at `atSeconds` (decoded from the start) to `png`. */
export async function frameAt(video: string, atSeconds: number, png: string): Promise<string> {
  const args = [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-y',
    '-i',
    video,
    '-vf',
    `trim=start=${atSeconds.toFixed(3)}`,
    '-frames:v',
    '1',
    png,
  ];
  await run(FFMPEG, args);
  return png;
}

let statsCounter = 0;

/**
 * Which frame of `video` between `fromSeconds` and `toSeconds` (decoded from the start) a still is
 * most like: SSIM of the still against every frame of the window (both scaled to `size`), the
 * best frame's time (from its index at `fps`), and the worst score for contrast.
 */
export async function bestMatch(
  still: string,
  video: string,
  window: { fromSeconds: number; toSeconds: number },
  size: { width: number; height: number },
  fps: number,
): Promise<{ atSeconds: number; ssim: number; worst: number }> {
  const stats = path.join(os.tmpdir(), `vc-ssim-${process.pid}-${statsCounter++}.log`);
  const from = Math.max(0, window.fromSeconds);
  const scale = `scale=${size.width}:${size.height},format=yuv420p,setpts=PTS-STARTPTS`;
  const trim = `trim=start=${from.toFixed(3)}:end=${window.toSeconds.toFixed(3)}`;
  const graph = `[0:v]${scale}[d];[1:v]${trim},${scale}[r];[d][r]ssim=stats_file=${stats}`;
  try {
    await run(FFMPEG, ['-hide_banner', '-nostdin', '-v', 'error', '-i', still, '-i', video, '-lavfi', graph, '-f', 'null', '-']);
    const scores = (await readFile(stats, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => Number(/All:([\d.]+)/.exec(line)?.[1]));
    const ssim = Math.max(...scores);
    return { atSeconds: from + scores.indexOf(ssim) / fps, ssim, worst: Math.min(...scores) };
  } finally {
    await rm(stats, { force: true });
  }
}
