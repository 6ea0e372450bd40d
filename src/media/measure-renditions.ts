import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors.js';
import { probeStreams } from './ffprobe.js';
import { LADDER_FILES } from './hls-command.js';
import { avc1Codec, mp4aCodec, parseMediaPlaylist } from './master-playlist.js';
import type { MeasuredRendition, PlannedRung } from './types.js';

/** How measuring reaches ffprobe. */
export interface MeasureOptions {
  readonly ffprobePath: string;
  readonly signal?: AbortSignal;
}

/**
 * Measures one rendition from what is on disk: EXTINF durations and segment sizes give the peak
 * segment bit rate (BANDWIDTH) and the average; ffprobe of the first segment gives the real
 * resolution, frame rate and CODECS. Throws verification_failed when the rung's output is unusable.
 */
export async function measureRendition(outDir: string, rung: PlannedRung, options: MeasureOptions): Promise<MeasuredRendition> {
  const playlistPath = `${rung.name}/${LADDER_FILES.playlist}`;
  const rungDir = path.join(outDir, rung.name);
  const playlist = parseMediaPlaylist(await readOrFail(path.join(outDir, playlistPath), rung.name));
  if (playlist.segments.length === 0) throw failure(`The ${rung.name} playlist lists no segments.`, rung.name);
  const sizes = await Promise.all(playlist.segments.map((s) => segmentSize(path.join(rungDir, s.uri), rung.name)));
  let bytes = 0;
  let durationSeconds = 0;
  let peak = 0;
  playlist.segments.forEach((segment, i) => {
    const size = sizes[i] ?? 0;
    bytes += size;
    durationSeconds += segment.durationSeconds;
    if (segment.durationSeconds > 0) peak = Math.max(peak, (size * 8) / segment.durationSeconds);
  });
  const first = playlist.segments[0]?.uri ?? '';
  const streams = await probeStreams(path.join(rungDir, first), options);
  const video = streams.find((s) => s.type === 'video');
  if (!video || video.width <= 0) throw failure(`The first ${rung.name} segment has no decodable video stream.`, rung.name);
  const audio = streams.find((s) => s.type === 'audio');
  const codecs = [avc1Codec(video.profile, video.level), ...(audio ? [mp4aCodec(audio.profile)] : [])].join(',');
  return {
    name: rung.name,
    width: video.width,
    height: video.height,
    fps: video.fps > 0 ? video.fps : rung.fps,
    bandwidth: Math.ceil(peak),
    averageBandwidth: durationSeconds > 0 ? Math.ceil((bytes * 8) / durationSeconds) : 0,
    codecs,
    playlistPath,
    segmentCount: playlist.segments.length,
    durationSeconds,
    bytes,
  };
}

/** Measures every rung of a plan, in the plan's order (highest first). */
export async function measureRenditions(
  outDir: string,
  rungs: readonly PlannedRung[],
  options: MeasureOptions,
): Promise<MeasuredRendition[]> {
  const out: MeasuredRendition[] = [];
  // One at a time: each ffprobe is short, and the encode just used every core.
  for (const rung of rungs) out.push(await measureRendition(outDir, rung, options));
  return out;
}

async function readOrFail(file: string, rung: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw failure(`The ${rung} playlist cannot be read: ${(err as Error).message}`, rung, err);
  }
}

async function segmentSize(file: string, rung: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    throw failure(`A ${rung} segment is missing: ${path.basename(file)}`, rung, err);
  }
}

function failure(message: string, rung: string, cause?: unknown): AppError {
  return new AppError('verification_failed', message, { cause, context: { rung } });
}
