/**
 * Reaching a moment of a rung through its segments. FFmpeg 5.1's HLS demuxer cannot be trusted to
 * seek (on a rung without B-frames it drops everything up to the next segment's key frame, and it
 * cannot seek into the first ~0.1 s), so a moment is read from the segment files that hold it,
 * decoded from the first one's key frame (every segment starts with one) and trimmed. Pure.
 */
import path from 'node:path';
import type { MediaPlaylist } from '../master-playlist.js';

/** One segment on the rung's timeline (the sum of the EXTINF durations before it). */
export interface TimedSegment {
  readonly uri: string;
  readonly startSeconds: number;
  readonly durationSeconds: number;
}

/** Where a moment is: the segments to read and how far into the first one it starts. */
export interface SegmentSpan {
  /** Relative to the rung's playlist. */
  readonly uris: readonly string[];
  readonly offsetSeconds: number;
}

export function timeline(playlist: MediaPlaylist): TimedSegment[] {
  let start = 0;
  return playlist.segments.map((s) => {
    const timed = { uri: s.uri, startSeconds: start, durationSeconds: s.durationSeconds };
    start += s.durationSeconds;
    return timed;
  });
}

/**
 * The segments holding [at, at + seconds] (at least the one holding `at`; the last one for a time
 * past the end) and the offset of `at` in the first of them.
 */
export function spanOf(segments: readonly TimedSegment[], at: number, seconds = 0): SegmentSpan {
  const last = segments.length - 1;
  if (last < 0) throw new RangeError('a rung has at least one segment');
  let first = segments.findIndex((s) => at < s.startSeconds + s.durationSeconds);
  if (first < 0) first = last;
  let end = first;
  while (end < last && at + seconds > (segments[end + 1]?.startSeconds ?? Infinity)) end += 1;
  const chosen = segments.slice(first, end + 1);
  const offset = Math.max(0, at - (chosen[0]?.startSeconds ?? 0));
  return { uris: chosen.map((s) => s.uri), offsetSeconds: Math.round(offset * 1000) / 1000 };
}

/** An FFmpeg input for a span: the segment file, or the `concat:` protocol over several (MPEG-TS joins byte-wise). */
export function spanInput(rungDir: string, span: SegmentSpan): string {
  const files = span.uris.map((uri) => path.join(rungDir, uri));
  return files.length === 1 ? (files[0] ?? '') : `concat:${files.join('|')}`;
}

/**
 * The filters that make a span's input start at the moment: the first video frame (the segment's
 * key frame, where the playlist's timeline puts the segment) becomes 0, then everything before the
 * offset is dropped.
 */
export function spanTrim(span: SegmentSpan, seconds?: number): string {
  const duration = seconds === undefined ? '' : `:duration=${seconds.toFixed(3)}`;
  return `setpts=PTS-STARTPTS,trim=start=${span.offsetSeconds.toFixed(3)}${duration},setpts=PTS-STARTPTS`;
}
