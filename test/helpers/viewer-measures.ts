/**
 * What a viewer sees and hears in an output, measured with FFmpeg/ffprobe directly (no code
 * under test): display aspect, colour tags, mean colours of a grid, SSIM, channel levels, onsets.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FFMPEG, ffprobeJson } from './media-fixtures.js';

const run = promisify(execFile);

interface ProbedStream {
  codec_type?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  pix_fmt?: string;
  color_primaries?: string;
  color_transfer?: string;
  color_space?: string;
  color_range?: string;
  channels?: number;
  start_time?: string;
}

/** The first stream of a type in a file, as ffprobe reports it. */
export async function firstStream(file: string, type: 'video' | 'audio'): Promise<ProbedStream> {
  const { streams = [] } = (await ffprobeJson(['-show_streams', file])) as { streams?: ProbedStream[] };
  const stream = streams.find((s) => s.codec_type === type);
  if (!stream) throw new Error(`${file} has no ${type} stream`);
  return stream;
}

/** Width × SAR / height of the first video stream. */
export async function displayAspect(file: string): Promise<{ aspect: number; width: number; height: number; sar: string }> {
  const v = await firstStream(file, 'video');
  const sar = v.sample_aspect_ratio ?? '1:1';
  const [num = 1, den = 1] = sar.split(':').map(Number);
  const ratio = num > 0 && den > 0 ? num / den : 1;
  return { aspect: ((v.width ?? 0) * ratio) / (v.height ?? 1), width: v.width ?? 0, height: v.height ?? 0, sar };
}

/** stderr of an ffmpeg run whose output is discarded (filters report there). */
async function ffmpegReport(args: string[]): Promise<string> {
  const { stderr } = await run(FFMPEG, ['-hide_banner', '-nostdin', ...args, '-f', 'null', '-'], { maxBuffer: 64 * 1024 * 1024 });
  return stderr;
}

/**
 * Mean RGB of each cell of a `cols`×`rows` grid over the frame at `atSeconds`, converted to RGB by
 * FFmpeg from the file's own colour tags (as a player would).
 */
export async function colourGrid(file: string, cols: number, rows: number, atSeconds = 0.5): Promise<Array<[number, number, number]>> {
  // Output-side seek: decodes from the start, so a segment's frames are found whatever its key frames.
  const args = ['-v', 'error', '-i', file, '-ss', String(atSeconds), '-frames:v', '1'];
  const filter = `scale=${cols}:${rows}:flags=area,format=rgb24`;
  const { stdout } = await run(FFMPEG, [...args, '-vf', filter, '-f', 'rawvideo', '-'], { encoding: 'buffer', maxBuffer: 1 << 24 });
  const cells: Array<[number, number, number]> = [];
  for (let i = 0; i + 2 < stdout.length; i += 3) cells.push([stdout[i] ?? 0, stdout[i + 1] ?? 0, stdout[i + 2] ?? 0]);
  return cells;
}

/** SSIM ("All") of `distorted` against `reference`, each through its own filter chain first (same size, same rate). */
export async function ssim(
  distorted: { file: string; filter: string },
  reference: { file: string; filter: string },
  /** Stop at the shorter input (a still against a video) instead of repeating its last frame. */
  options: { shortest?: boolean } = {},
): Promise<number> {
  const compare = options.shortest === true ? 'ssim=shortest=1' : 'ssim';
  const graph = `[0:v]${distorted.filter},setpts=PTS-STARTPTS[d];[1:v]${reference.filter},setpts=PTS-STARTPTS[r];[d][r]${compare}`;
  const stderr = await ffmpegReport(['-i', distorted.file, '-i', reference.file, '-lavfi', graph]);
  const all = /SSIM .*All:([\d.]+)/.exec(stderr)?.[1];
  if (all === undefined) throw new Error(`no SSIM in ffmpeg's report:\n${stderr.slice(-2000)}`);
  return Number(all);
}

/** Peak and RMS level (dBFS) of each channel of the first audio stream. */
export async function channelLevels(file: string): Promise<Array<{ peakDb: number; rmsDb: number }>> {
  const stderr = await ffmpegReport(['-i', file, '-map', '0:a:0', '-af', 'astats=measure_overall=none']);
  const channels = stderr.split(/Channel: \d+/).slice(1);
  const level = (block: string, label: string): number => {
    const text = new RegExp(`${label} level dB: (-?inf|-?[\\d.]+)`).exec(block)?.[1];
    // Digital silence reads -inf.
    return text === undefined ? Number.NaN : text.endsWith('inf') ? -Infinity : Number(text);
  };
  return channels.map((block) => ({ peakDb: level(block, 'Peak'), rmsDb: level(block, 'RMS') }));
}

/** When the first sound louder than −30 dBFS starts, in seconds on the file's own clock (from its first packet). */
export async function firstSoundAt(file: string): Promise<number | null> {
  const stderr = await ffmpegReport(['-i', file, '-map', '0:a:0', '-af', 'silencedetect=n=-30dB:d=0.1']);
  const end = /silence_end: ([\d.]+)/.exec(stderr)?.[1];
  return end === undefined ? null : Number(end);
}

/** start_time of the first video and first audio stream (seconds, the container's clock). */
export async function startTimes(file: string): Promise<{ video: number; audio: number }> {
  const [video, audio] = await Promise.all([firstStream(file, 'video'), firstStream(file, 'audio')]);
  return { video: Number(video.start_time), audio: Number(audio.start_time) };
}
