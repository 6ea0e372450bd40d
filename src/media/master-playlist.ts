/** HLS playlist text, pure: the master playlist we write and the media playlists FFmpeg writes. */
import type { MeasuredRendition } from './types.js';

/** A media playlist as far as measuring and verifying need it. */
export interface MediaPlaylist {
  readonly targetDuration: number | null;
  readonly endList: boolean;
  readonly segments: ReadonlyArray<{ readonly uri: string; readonly durationSeconds: number }>;
}

/**
 * Renders master.m3u8 (RFC 8216 §4.3.4.2): one EXT-X-STREAM-INF per rendition, largest frame first,
 * with BANDWIDTH = measured peak segment bit rate and AVERAGE-BANDWIDTH, both rounded up.
 * Version 6 matches FFmpeg's media playlists (EXT-X-INDEPENDENT-SEGMENTS).
 */
export function renderMasterPlaylist(renditions: readonly MeasuredRendition[]): string {
  const ordered = [...renditions].sort((a, b) => b.width * b.height - a.width * a.height || b.bandwidth - a.bandwidth);
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-INDEPENDENT-SEGMENTS', ''];
  for (const r of ordered) {
    const attributes = [
      `BANDWIDTH=${Math.ceil(r.bandwidth)}`,
      `AVERAGE-BANDWIDTH=${Math.ceil(r.averageBandwidth)}`,
      `RESOLUTION=${r.width}x${r.height}`,
      `CODECS="${r.codecs}"`,
      `FRAME-RATE=${r.fps.toFixed(3)}`,
    ];
    lines.push(`#EXT-X-STREAM-INF:${attributes.join(',')}`, r.playlistPath);
  }
  return `${lines.join('\n')}\n`;
}

/** Parses the tags of a media playlist that matter here; unknown tags are ignored. */
export function parseMediaPlaylist(text: string): MediaPlaylist {
  let targetDuration: number | null = null;
  let endList = false;
  let pending: number | null = null;
  const segments: Array<{ uri: string; durationSeconds: number }> = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line.startsWith('#EXT-X-TARGETDURATION:')) targetDuration = Number(line.slice('#EXT-X-TARGETDURATION:'.length));
    else if (line === '#EXT-X-ENDLIST') endList = true;
    else if (line.startsWith('#EXTINF:')) pending = Number(line.slice('#EXTINF:'.length).split(',')[0]);
    else if (line !== '' && !line.startsWith('#') && pending !== null) {
      segments.push({ uri: line, durationSeconds: pending });
      pending = null;
    }
  }
  return { targetDuration: Number.isFinite(targetDuration) ? targetDuration : null, endList, segments };
}

/** profile_idc and constraint flags per H.264 profile name as ffprobe prints it (x264's flags for Main). */
const AVC_PROFILES: Record<string, string> = {
  'constrained baseline': '42e0',
  baseline: '42e0',
  main: '4d40',
  extended: '5800',
  high: '6400',
  'high 10': '6e00',
  'high 4:2:2': '7a00',
  'high 4:4:4 predictive': 'f400',
};

/** RFC 6381 "avc1.PPCCLL", e.g. High@4.0 → avc1.640028. Unknown profiles fall back to High. */
export function avc1Codec(profile: string | null, level: number | null): string {
  const pc = AVC_PROFILES[(profile ?? 'high').toLowerCase()] ?? '6400';
  const ll = Math.max(0, Math.min(255, Math.round(level ?? 40)))
    .toString(16)
    .padStart(2, '0');
  return `avc1.${pc}${ll}`;
}

/** RFC 6381 for AAC: LC → mp4a.40.2, HE-AAC → .5, HE-AACv2 → .29. */
export function mp4aCodec(profile: string | null): string {
  const p = (profile ?? 'LC').toLowerCase();
  if (p === 'he-aacv2') return 'mp4a.40.29';
  if (p === 'he-aac') return 'mp4a.40.5';
  return 'mp4a.40.2';
}
