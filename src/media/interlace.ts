import { AppError } from '../errors.js';
import { describeExit, runProcess, succeeded } from './process-runner.js';
import type { VideoInfo, VideoStreamInfo } from './types.js';

/** Whether the picture is interlaced, which field comes first, and how we know. */
export type InterlaceVerdict =
  | { readonly interlaced: false; readonly how: 'tagged' | 'sampled' | 'trusted' }
  | { readonly interlaced: true; readonly parity: 'tff' | 'bff' | 'auto'; readonly how: 'tagged' | 'sampled' };

/** The verdict for sources nobody looked at: progressive. */
export const PROGRESSIVE: InterlaceVerdict = { interlaced: false, how: 'trusted' };

/** Field counts of FFmpeg's idet filter ("Multi frame detection"). */
export interface IdetCounts {
  readonly tff: number;
  readonly bff: number;
  readonly progressive: number;
  readonly undetermined: number;
}

/** Codecs whose streams are often interlaced while saying nothing, or saying progressive. */
const DOUBTFUL_CODECS = new Set(['mpeg2video', 'dvvideo', 'vc1', 'mpeg1video', 'wmv3']);
/** Broadcast and camcorder containers, where H.264 is often PAFF/MBAFF without a field order. */
const BROADCAST_FORMATS = /(^|,)(mpegts|mxf|mpeg|dv|avi)(,|$)/;
const SAMPLE_FRAMES = 200;
const TIMEOUT_MS = 120_000;

/** The verdict the stream's own field order gives: interlaced when it says so, else null (look closer, or trust it). Pure. */
export function interlaceFromTags(video: VideoStreamInfo): InterlaceVerdict | null {
  switch (video.fieldOrder) {
    case 'tt':
      return { interlaced: true, parity: 'tff', how: 'tagged' };
    case 'bb':
      return { interlaced: true, parity: 'bff', how: 'tagged' };
    case 'tb':
    case 'bt':
      // Coded in one order, shown in the other: let the filter read each frame's own flag.
      return { interlaced: true, parity: 'auto', how: 'tagged' };
    default:
      return null;
  }
}

/**
 * Whether a progressive or unknown field order deserves a look at the pictures: MPEG-2, DV, VC-1
 * always; H.264/HEVC only in broadcast containers. An MP4 from a phone or an editor is trusted. Pure.
 */
export function needsInterlaceSample(info: VideoInfo): boolean {
  const { codec } = info.video;
  if (DOUBTFUL_CODECS.has(codec)) return true;
  return (codec === 'h264' || codec === 'hevc') && BROADCAST_FORMATS.test(info.formatName);
}

/** Reads the last "Multi frame detection" line of idet's report; null when there is none. Pure. */
export function parseIdet(lines: readonly string[]): IdetCounts | null {
  const line = [...lines].reverse().find((l) => l.includes('Multi frame detection'));
  if (line === undefined) return null;
  const count = (label: string): number => Number(new RegExp(`${label}:\\s*(\\d+)`).exec(line)?.[1] ?? 0);
  return { tff: count('TFF'), bff: count('BFF'), progressive: count('Progressive'), undetermined: count('Undetermined') };
}

/**
 * Interlaced when frames classified interlaced outnumber the progressive ones and are at least a
 * quarter of the sample (static pictures are "undetermined" and do not count either way). Pure.
 */
export function verdictFromIdet(counts: IdetCounts): InterlaceVerdict {
  const fields = counts.tff + counts.bff;
  const total = fields + counts.progressive + counts.undetermined;
  if (fields > counts.progressive && fields * 4 >= total && total > 0) {
    return { interlaced: true, parity: counts.tff >= counts.bff ? 'tff' : 'bff', how: 'sampled' };
  }
  return { interlaced: false, how: 'sampled' };
}

/** Where the sample starts: past an intro on long sources, from the start on short ones. Pure. */
export function sampleStart(durationSeconds: number): number {
  return Number.isFinite(durationSeconds) && durationSeconds > 20 ? Math.min(60, Math.round(durationSeconds * 0.1)) : 0;
}

/**
 * The interlace verdict of a source: its field order when it says interlaced, else a short idet
 * sample (about 200 frames, as decoded, before any rotation) when the codec and container are
 * known to under-report it, else progressive.
 * @throws AppError('ffmpeg_failed') when the sample cannot be run, or the abort reason.
 */
export async function detectInterlace(
  input: string,
  info: VideoInfo,
  options: { readonly ffmpegPath: string; readonly signal?: AbortSignal },
): Promise<InterlaceVerdict> {
  const tagged = interlaceFromTags(info.video);
  if (tagged !== null) return tagged;
  if (!needsInterlaceSample(info)) return info.video.fieldOrder === 'progressive' ? { interlaced: false, how: 'tagged' } : PROGRESSIVE;
  const start = sampleStart(info.durationSeconds);
  const result = await runProcess({
    binary: options.ffmpegPath,
    // -loglevel info: idet reports at that level. -noautorotate: fields are rows of the stored picture.
    args: ['-hide_banner', '-nostdin', '-loglevel', 'info', '-noautorotate', '-ss', String(start), '-i', input].concat([
      '-map',
      '0:v:0',
      '-an',
      '-sn',
      '-dn',
      '-vf',
      'idet',
      '-frames:v',
      String(SAMPLE_FRAMES),
      '-f',
      'null',
      '-',
    ]),
    signal: options.signal,
    timeoutMs: TIMEOUT_MS,
    stderrTailLines: 20,
  });
  const counts = parseIdet(result.stderrTail);
  if (!succeeded(result) || counts === null) {
    throw new AppError('ffmpeg_failed', `The interlace sample failed: ffmpeg ${describeExit(result)}.`, {
      context: { stderrTail: result.stderrTail.slice(-10) },
    });
  }
  return verdictFromIdet(counts);
}
