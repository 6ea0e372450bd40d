/** Parsers for the human-friendly value formats used in `.env` (durations, byte sizes, the ladder, SOURCES). */
import { isSourceKind, type SourceKind } from '../domain/record.js';

/** `SOURCES`: "local, appwrite" → the known kinds (deduplicated) and any unknown names. */
export function parseSourceList(text: string): { kinds: SourceKind[]; unknown: string[] } {
  const names = [
    ...new Set(
      text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  return { kinds: names.filter(isSourceKind), unknown: names.filter((name) => !isSourceKind(name)) };
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90" (seconds), "30s", "5m", "1h", "2d", "250ms" → milliseconds. Returns null when malformed. */
export function parseDurationMs(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!match) return null;
  const unit = (match[2] ?? 's').toLowerCase();
  const factor = DURATION_UNITS[unit];
  return factor === undefined ? null : Math.round(Number(match[1]) * factor);
}

const BYTE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** "1048576", "500MB", "10GiB" → bytes. Returns null when malformed. */
export function parseBytes(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(text);
  if (!match) return null;
  const factor = BYTE_UNITS[(match[2] ?? 'b').toLowerCase()];
  return factor === undefined ? null : Math.round(Number(match[1]) * factor);
}

export interface LadderRungSpec {
  /** Rung name: directory and variant name, e.g. "high". */
  readonly name: string;
  /** Target size of the frame's shorter side (1080 for 1920x1080 and for 1080x1920). */
  readonly height: number;
  readonly crf: number;
  /** Bitrate cap in kb/s; 0 = derived from the frame size. */
  readonly maxrateKbps: number;
}

/**
 * "high:1080:23,medium:720:28,low:480:32" with an optional fourth field, the cap in kb/s
 * ("high:1080:23:6000"). Returns a list of problems instead of throwing, so config validation
 * can report them with the others.
 */
export function parseLadder(text: string): { rungs: LadderRungSpec[]; problems: string[] } {
  const rungs: LadderRungSpec[] = [];
  const problems: string[] = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name = '', height = '', crf = '', maxrate = '0'] = part.split(':');
    if (!/^[a-z0-9_-]{1,16}$/i.test(name)) problems.push(`rung "${part}": name must be 1-16 letters, digits, _ or -`);
    const h = Number(height);
    const c = Number(crf);
    const m = Number(maxrate);
    if (!Number.isInteger(h) || h < 144 || h > 4320 || h % 2 !== 0)
      problems.push(`rung "${part}": height must be an even number from 144 to 4320`);
    if (!Number.isInteger(c) || c < 0 || c > 51) problems.push(`rung "${part}": CRF must be an integer from 0 to 51`);
    if (!Number.isInteger(m) || m < 0) problems.push(`rung "${part}": max rate must be a whole number of kb/s`);
    rungs.push({ name, height: h, crf: c, maxrateKbps: m });
  }
  if (rungs.length === 0) problems.push('at least one rung is required');
  const names = new Set(rungs.map((r) => r.name));
  if (names.size !== rungs.length) problems.push('rung names must be unique');
  const heights = new Set(rungs.map((r) => r.height));
  if (heights.size !== rungs.length) problems.push('rung heights must be unique');
  rungs.sort((a, b) => b.height - a.height);
  return { rungs, problems };
}
