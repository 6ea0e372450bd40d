import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors.js';
import { probeStreams } from './ffprobe.js';
import { LADDER_FILES } from './hls-command.js';
import { parseMediaPlaylist } from './master-playlist.js';
import { checkPreviews } from './previews/verify-previews.js';
import type { PreviewExpectations } from './previews/types.js';
import type { MeasuredRendition } from './types.js';

/** What a ladder must contain to be published. */
export interface VerifyOptions {
  readonly expectedDurationSeconds: number;
  readonly renditions: ReadonlyArray<Pick<MeasuredRendition, 'name' | 'playlistPath'>>;
  readonly ffprobePath: string;
  readonly signal?: AbortSignal;
  /** Allowed difference between a rung's total duration and the source; 1 s by default. */
  readonly toleranceSeconds?: number;
  /** What the previews step made (thumbnails, storyboard, preview, metadata.json); unchecked when absent. */
  readonly previews?: PreviewExpectations;
}

/**
 * Checks a finished ladder before it is published: the master lists every rung; each media
 * playlist is complete (#EXT-X-ENDLIST), its segments exist and are non-empty, its total duration
 * is within ±1 s of the source and #EXT-X-TARGETDURATION covers every EXTINF (rounded); the poster
 * decodes; with `previews`, every thumbnail, sprite sheet and cue, the preview and metadata.json
 * (src/media/previews/verify-previews.ts). Every problem is collected, then one
 * AppError('verification_failed') lists them.
 */
export async function verifyLadder(outDir: string, options: VerifyOptions): Promise<void> {
  const problems: string[] = [];
  await checkMaster(outDir, options, problems);
  for (const rendition of options.renditions) await checkRendition(outDir, rendition, options, problems);
  await checkPoster(outDir, options, problems);
  if (options.previews) await checkPreviews(options.previews, { ...options, outDir }, problems);
  if (problems.length > 0) {
    throw new AppError('verification_failed', `The ladder did not verify: ${problems.join('; ')}`, { context: { outDir, problems } });
  }
}

async function checkMaster(outDir: string, options: VerifyOptions, problems: string[]): Promise<void> {
  const text = await readText(path.join(outDir, LADDER_FILES.master));
  if (text === null) {
    problems.push(`${LADDER_FILES.master} is missing`);
    return;
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines[0] !== '#EXTM3U') problems.push(`${LADDER_FILES.master} does not start with #EXTM3U`);
  for (const { name, playlistPath } of options.renditions) {
    if (!lines.includes(playlistPath)) problems.push(`${LADDER_FILES.master} does not list rung ${name} (${playlistPath})`);
  }
}

async function checkRendition(
  outDir: string,
  rendition: Pick<MeasuredRendition, 'name' | 'playlistPath'>,
  options: VerifyOptions,
  problems: string[],
): Promise<void> {
  const file = path.join(outDir, rendition.playlistPath);
  const text = await readText(file);
  if (text === null) {
    problems.push(`${rendition.playlistPath} is missing`);
    return;
  }
  const playlist = parseMediaPlaylist(text);
  const where = rendition.name;
  if (!playlist.endList) problems.push(`${where}: playlist has no #EXT-X-ENDLIST`);
  if (playlist.segments.length === 0) problems.push(`${where}: playlist lists no segments`);
  const target = playlist.targetDuration;
  if (target === null) problems.push(`${where}: playlist has no #EXT-X-TARGETDURATION`);
  let total = 0;
  for (const segment of playlist.segments) {
    total += segment.durationSeconds;
    if (target !== null && Math.round(segment.durationSeconds) > target) {
      problems.push(`${where}: ${segment.uri} lasts ${segment.durationSeconds} s, over the target duration ${target} s`);
    }
    const size = await fileSize(path.join(path.dirname(file), segment.uri));
    if (size === null) problems.push(`${where}: ${segment.uri} is missing`);
    else if (size === 0) problems.push(`${where}: ${segment.uri} is empty`);
  }
  const tolerance = options.toleranceSeconds ?? 1;
  if (Math.abs(total - options.expectedDurationSeconds) > tolerance) {
    problems.push(
      `${where}: segments last ${total.toFixed(3)} s, the source ${options.expectedDurationSeconds.toFixed(3)} s (±${tolerance} s allowed)`,
    );
  }
}

async function checkPoster(outDir: string, options: VerifyOptions, problems: string[]): Promise<void> {
  const poster = path.join(outDir, LADDER_FILES.poster);
  if ((await fileSize(poster)) === null) {
    problems.push(`${LADDER_FILES.poster} is missing`);
    return;
  }
  try {
    const streams = await probeStreams(poster, { ffprobePath: options.ffprobePath, signal: options.signal, countFrames: true });
    const video = streams.filter((s) => s.type === 'video');
    const first = video[0];
    if (video.length !== 1 || !first || first.width <= 0 || (first.decodedFrames ?? 0) < 1) {
      problems.push(`${LADDER_FILES.poster} does not decode to one picture`);
    }
  } catch (err) {
    if (options.signal?.aborted === true) throw err;
    problems.push(`${LADDER_FILES.poster} does not decode (${(err as Error).message})`);
  }
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

async function fileSize(file: string): Promise<number | null> {
  try {
    return (await stat(file)).size;
  } catch {
    return null;
  }
}
