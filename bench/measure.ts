/** Measuring for the bench files: running commands, timing, alternating A/B runs, statistics, formatting, ladder figures. */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** BENCH_QUICK=1: tiny sources, one run each, a 200 MB download: proves the bench works, measures nothing. */
export const QUICK = process.env.BENCH_QUICK === '1';
/** A and B alternate this many times each (the issue asks for at least 3). */
export const RUNS = QUICK ? 1 : Math.max(3, Number(process.env.BENCH_RUNS ?? 3));

/** Runs a binary to completion; returns stdout+stderr. Throws with the stderr tail on failure. */
export async function sh(cmd: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  try {
    const { stdout, stderr } = await execFileAsync(cmd, [...args], { maxBuffer: 64 * 1024 * 1024, ...options });
    return `${stdout}${stderr}`;
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? '').slice(-2000);
    throw new Error(`${cmd} ${args.slice(0, 6).join(' ')}… failed: ${stderr}`, { cause: err });
  }
}

/** Wall time of `fn` in milliseconds, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

/**
 * Alternates A and B `RUNS` times each (A B A B …) so drift in machine load hits both alike;
 * returns both lists of wall times and the last results.
 */
export async function alternate<A, B>(a: () => Promise<A>, b: () => Promise<B>): Promise<{ a: number[]; b: number[]; lastA: A; lastB: B }> {
  const times = { a: [] as number[], b: [] as number[] };
  let lastA: A | undefined;
  let lastB: B | undefined;
  for (let i = 0; i < RUNS; i += 1) {
    const ra = await timed(a);
    times.a.push(ra.ms);
    lastA = ra.value;
    const rb = await timed(b);
    times.b.push(rb.ms);
    lastB = rb.value;
  }
  return { ...times, lastA: lastA as A, lastB: lastB as B };
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export const fmt = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
export const mbps = (bps: number): string => fmt(bps / 1e6, 2);
export const seconds = (ms: number): string => `${fmt(ms / 1000, 1)} s`;

/** A rendition as the bench compares it: HLS segments on disk. */
export interface RenditionFigures {
  readonly bytes: number;
  readonly averageBps: number;
  /** Highest segment bit rate (bytes × 8 / EXTINF). */
  readonly peakBps: number;
  /** Each segment's EXTINF, in order: equal lists across rungs mean aligned segments. */
  readonly durations: readonly number[];
}

/** Whether every rendition is cut at the same instants (EXTINF lists equal within 1 ms). */
export function segmentsAligned(renditions: readonly RenditionFigures[]): boolean {
  const [first, ...rest] = renditions;
  if (!first) return false;
  return rest.every(
    (r) => r.durations.length === first.durations.length && r.durations.every((d, i) => Math.abs(d - (first.durations[i] ?? NaN)) < 1e-3),
  );
}

/** Reads a media playlist and its segment sizes. */
export async function renditionFigures(playlist: string): Promise<RenditionFigures> {
  const lines = (await readFile(playlist, 'utf8')).split('\n').map((l) => l.trim());
  const segments: Array<{ duration: number; file: string }> = [];
  lines.forEach((line, i) => {
    if (!line.startsWith('#EXTINF:')) return;
    const uri = lines.slice(i + 1).find((l) => l !== '' && !l.startsWith('#')) ?? '';
    segments.push({ duration: parseFloat(line.slice(8)), file: path.join(path.dirname(playlist), uri) });
  });
  let bytes = 0;
  let total = 0;
  let peakBps = 0;
  for (const segment of segments) {
    const size = (await stat(segment.file)).size;
    bytes += size;
    total += segment.duration;
    if (segment.duration > 0) peakBps = Math.max(peakBps, (size * 8) / segment.duration);
  }
  return { bytes, averageBps: total > 0 ? (bytes * 8) / total : 0, peakBps, durations: segments.map((s) => s.duration) };
}

/** Total size of the files under a directory (the daemon's own count). */
export { directoryBytes as treeBytes } from '../src/media/directory-size.js';
