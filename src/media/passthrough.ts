import { pictureConversions, pictureIsPlain } from './picture.js';
import type { LadderPlan, TopRungDecision, VideoInfo } from './types.js';

/** One video packet in decode order, as the key-frame scan reads it. */
export interface VideoPacket {
  /** Presentation time, seconds; NaN when the container gives none. */
  readonly pts: number;
  readonly size: number;
  /** The container's key (sync sample) flag. */
  readonly key: boolean;
}

/** What the packets tell about the source's GOP structure and rate. Pure data. */
export interface PacketAnalysis {
  /** Presentation times of the key packets, ascending, on FFmpeg's output timeline (from `origin`). */
  readonly keyframeTimes: readonly number[];
  /** A frame decoded after a key frame is shown before it: that key frame cannot start a segment. */
  readonly openGop: boolean;
  readonly firstIsKey: boolean;
  /** Longest distance between key frames, the end of the stream included, seconds. */
  readonly maxKeyframeGapSeconds: number;
  readonly averageBps: number;
  /** Highest bit rate over one key-frame interval (what one HLS segment would carry at most). */
  readonly peakBps: number;
}

/** Profiles whose streams every HLS player decodes; High 10, 4:2:2 and 4:4:4 variants are not among them. */
const PLAIN_PROFILES = new Set(['Constrained Baseline', 'Baseline', 'Main', 'High']);
/** Peak over one GOP may exceed the cap by this much: our own capped encodes burst to bufsize (2× maxrate) too. */
const PEAK_ALLOWANCE = 1.5;
const EPSILON = 1e-3;
const MAX_FORCED_KEYFRAMES = 10_000;

/**
 * Reads the GOP structure from packets in decode order. Pure. `origin`: the container's start time.
 * Open GOP is detected structurally: if any packet after a key packet (in decode order) has an
 * earlier pts, that key frame has leading pictures referring to the previous GOP, so a segment
 * starting there would not begin with a self-contained IDR.
 */
export function analyzePackets(packets: readonly VideoPacket[], durationSeconds: number, origin: number | null = null): PacketAnalysis {
  const withPts = packets.filter((p) => Number.isFinite(p.pts));
  // FFmpeg shifts every output stream by the container's start time (the earliest stream), so
  // forced key-frame times must count from there; the first video pts when it is unknown.
  const firstPts = withPts.reduce((min, p) => Math.min(min, p.pts), Number.POSITIVE_INFINITY);
  const start = origin !== null && Number.isFinite(origin) && origin <= firstPts ? origin : firstPts;
  const suffixMin = new Array<number>(withPts.length + 1).fill(Number.POSITIVE_INFINITY);
  for (let i = withPts.length - 1; i >= 0; i -= 1) suffixMin[i] = Math.min(withPts[i]?.pts ?? Infinity, suffixMin[i + 1] ?? Infinity);
  let openGop = false;
  const keyframeTimes: number[] = [];
  withPts.forEach((p, i) => {
    if (!p.key) return;
    if ((suffixMin[i + 1] ?? Infinity) < p.pts - EPSILON) openGop = true;
    keyframeTimes.push(round6(p.pts - start));
  });
  keyframeTimes.sort((a, b) => a - b);
  const end = Number.isFinite(durationSeconds) && durationSeconds > 0 ? durationSeconds : (keyframeTimes.at(-1) ?? 0);
  const { maxGap, peakBps } = gopRates(withPts, start, keyframeTimes, end);
  const bytes = withPts.reduce((sum, p) => sum + p.size, 0);
  return {
    keyframeTimes,
    openGop,
    firstIsKey: withPts[0]?.key === true,
    maxKeyframeGapSeconds: maxGap,
    averageBps: end > 0 ? (bytes * 8) / end : 0,
    peakBps,
  };
}

function gopRates(
  packets: readonly VideoPacket[],
  start: number,
  keys: readonly number[],
  end: number,
): { maxGap: number; peakBps: number } {
  const bounds = [...keys, end];
  const bytes = new Array<number>(keys.length).fill(0);
  for (const p of packets) {
    const t = p.pts - start;
    const gop = lastAtOrBefore(keys, t + EPSILON);
    bytes[gop] = (bytes[gop] ?? 0) + p.size;
  }
  let maxGap = keys.length === 0 ? Infinity : 0;
  let peakBps = 0;
  keys.forEach((k, i) => {
    const gap = (bounds[i + 1] ?? end) - k;
    maxGap = Math.max(maxGap, gap);
    // A one-frame tail GOP would show an absurd rate; rate it over at least one second.
    peakBps = Math.max(peakBps, ((bytes[i] ?? 0) * 8) / Math.max(gap, 1));
  });
  return { maxGap, peakBps };
}

/**
 * Whether the top rung can be the source's own video, stream-copied. Pure; conservative: any doubt
 * means encode. The lower rungs then take their key frames from `keyframeTimes`.
 */
export function decidePassthrough(info: VideoInfo, plan: LadderPlan, scan: PacketAnalysis): TopRungDecision {
  const reason = ineligibility(info, plan, scan);
  return reason === null ? { copied: true, reason: 'eligible', keyframeTimes: scan.keyframeTimes } : { copied: false, reason };
}

/** Why the stream itself (codec, format, size, rate) rules out a copy, or null. Needs no packet scan. */
export function streamIneligibility(info: VideoInfo, plan: LadderPlan): string | null {
  const v = info.video;
  const top = plan.rungs[0];
  if (!top) return 'no rung';
  if (v.codec !== 'h264') return `codec ${v.codec}`;
  if (v.pixFmt !== 'yuv420p') return `pixel format ${String(v.pixFmt)}`;
  if (v.profile === null || !PLAIN_PROFILES.has(v.profile)) return `profile ${String(v.profile)}`;
  // MPEG-TS has no display matrix: a rotated source must be turned upright by the encoder.
  if (v.rotation !== 0) return `rotated ${v.rotation}°`;
  // Interlaced, anamorphic, HDR or non-BT.709 pictures must be converted, hence encoded.
  if (!pictureIsPlain(plan.picture)) return pictureConversions(plan.picture).join(', ');
  if (top.width !== v.width || top.height !== v.height)
    return `source ${v.width}x${v.height} is not the top rung's ${top.width}x${top.height}`;
  if (Math.abs(top.fps - v.fps) > EPSILON) return `frame rate ${v.fps.toFixed(3)} above MAX_FPS`;
  return null;
}

function ineligibility(info: VideoInfo, plan: LadderPlan, scan: PacketAnalysis): string | null {
  const early = streamIneligibility(info, plan);
  if (early !== null) return early;
  const top = plan.rungs[0];
  if (!top) return 'no rung';
  // The list goes on FFmpeg's command line (one argument is limited to 128 KiB on Linux).
  if (scan.keyframeTimes.length > MAX_FORCED_KEYFRAMES) return `${scan.keyframeTimes.length} key frames`;
  if (!scan.firstIsKey) return 'the stream does not start with a key frame';
  if (scan.openGop) return 'open GOP (leading pictures after key frames)';
  if (scan.maxKeyframeGapSeconds > plan.segmentSeconds + EPSILON)
    return `key frames up to ${scan.maxKeyframeGapSeconds.toFixed(2)} s apart (segment ${plan.segmentSeconds} s)`;
  const cap = top.maxrateKbps * 1000;
  if (scan.averageBps > cap) return `average ${(scan.averageBps / 1000).toFixed(0)} kb/s over the cap ${top.maxrateKbps} kb/s`;
  if (scan.peakBps > cap * PEAK_ALLOWANCE) return `peak ${(scan.peakBps / 1000).toFixed(0)} kb/s over ${PEAK_ALLOWANCE}× the cap`;
  return null;
}

/**
 * `-force_key_frames` value for the encoded rungs: the source's key-frame times, each a quarter
 * frame early. FFmpeg rounds each time to the nearest tick of the encoder's time base (1/fps), so
 * the time must round to the key frame's own tick: half a frame early would round down to the
 * frame before, and exactly on time is at the mercy of the source's timestamp jitter.
 */
export function forcedKeyframeList(keyframeTimes: readonly number[], fps: number): string {
  const quarter = fps > 0 ? 0.25 / fps : 0.005;
  return keyframeTimes.map((t) => Math.max(0, t - quarter).toFixed(6)).join(',');
}

/** Index of the last value ≤ t in an ascending list (0 when none): binary search, as sources can have 100k+ packets. */
function lastAtOrBefore(sorted: readonly number[], t: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if ((sorted[mid] ?? Infinity) <= t) lo = mid;
    else hi = mid - 1;
  }
  return Math.max(0, lo);
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
