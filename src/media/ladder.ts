import type { LadderRungSpec } from '../config/parsers.js';
import { AppError } from '../errors.js';
import { planAudio } from './audio-plan.js';
import { PROGRESSIVE, type InterlaceVerdict } from './interlace.js';
import { planPicture } from './picture.js';
import type { LadderPlan, PlannedRung, VideoInfo } from './types.js';

/** The MediaConfig fields the planner needs. */
export interface LadderOptions {
  readonly ladder: readonly LadderRungSpec[];
  readonly segmentSeconds: number;
  readonly maxFps: number;
  readonly audioBitrateKbps: number;
}

/**
 * The rungs of LADDER a record asks for (`ladder: ["high","low"]`), in LADDER's order. Throws
 * `ladder_invalid` (permanent) for an unknown name or an empty selection.
 */
export function selectRungs(ladder: readonly LadderRungSpec[], names: readonly string[]): LadderRungSpec[] {
  const unknown = names.filter((name) => !ladder.some((rung) => rung.name === name));
  if (unknown.length > 0 || names.length === 0) {
    const known = ladder.map((rung) => rung.name).join(', ');
    throw new AppError(
      'ladder_invalid',
      `ladder ${JSON.stringify(names)}: unknown rung(s) ${unknown.join(', ') || '(none given)'}; LADDER defines ${known}`,
      {
        context: { ladder: names },
      },
    );
  }
  return ladder.filter((rung) => names.includes(rung.name));
}

/** Reference point of the derived caps: 1080p30 → 6000 kb/s, in line with common HLS ladders. */
const REFERENCE_KBPS = 6000;
const REFERENCE_PIXELS = 1920 * 1080;
/** Below 1, so smaller frames get relatively more bits per pixel (720p ≈ 3000k, 480p ≈ 1500k). */
const PIXEL_EXPONENT = 0.85;
const FALLBACK_FPS = 30;
/** The poster is taken at 10% of the duration, but no later than this, to skip intros yet stay early. */
const POSTER_MAX_SECONDS = 5;

/**
 * Plans the rungs for a source. Pure.
 * Sizes come from the display size (coded size × sample aspect ratio, then rotation), so
 * anamorphic sources keep their shape in square pixels.
 * A rung's height is the target of the frame's shorter side (portrait keeps its orientation).
 * Never upscales: rungs above the source's short side are dropped, a rung equal to it is kept, and
 * a source smaller than the lowest rung gets that rung's name and CRF at its own (even) size.
 * `interlace` is the source's verdict (detectInterlace); progressive when absent.
 */
export function planLadder(info: VideoInfo, options: LadderOptions, interlace: InterlaceVerdict = PROGRESSIVE): LadderPlan {
  const { width: srcW, height: srcH } = info.video;
  const srcShort = Math.min(srcW, srcH);
  const fps = rungFps(info.video.fps, options.maxFps);
  const specs = [...options.ladder].sort((a, b) => b.height - a.height);
  const kept = specs.filter((spec) => spec.height <= srcShort);
  const lowest = specs[specs.length - 1];
  const chosen: Array<{ spec: LadderRungSpec; short: number }> =
    kept.length > 0 ? kept.map((spec) => ({ spec, short: spec.height })) : lowest ? [{ spec: lowest, short: srcShort }] : [];
  const rungs = chosen.map(({ spec, short }) => planRung(spec, fitShortSide(srcW, srcH, short), fps));
  const top = rungs[0];
  return {
    rungs,
    poster: { width: top?.width ?? floorEven(srcW), height: top?.height ?? floorEven(srcH), atSeconds: posterTime(info) },
    segmentSeconds: options.segmentSeconds,
    audioBitrateKbps: options.audioBitrateKbps,
    picture: planPicture(info.video, interlace),
    audio: planAudio(info.audio),
  };
}

function planRung(spec: LadderRungSpec, size: { width: number; height: number }, fps: number): PlannedRung {
  const maxrateKbps = spec.maxrateKbps > 0 ? spec.maxrateKbps : deriveMaxrateKbps(size.width, size.height, fps);
  return { name: spec.name, width: size.width, height: size.height, crf: spec.crf, maxrateKbps, bufsizeKbps: 2 * maxrateKbps, fps };
}

/**
 * Scales the source so its shorter side becomes `targetShort`, keeping the aspect ratio with both
 * sides even (4:2:0 chroma needs it) and never exceeding the source on either side.
 */
export function fitShortSide(srcW: number, srcH: number, targetShort: number): { width: number; height: number } {
  const srcShort = Math.min(srcW, srcH);
  const srcLong = Math.max(srcW, srcH);
  const short = Math.max(2, Math.min(targetShort, floorEven(srcShort)));
  const long = Math.max(2, Math.min(roundEven((srcLong * short) / srcShort), floorEven(srcLong)));
  return srcH > srcW ? { width: short, height: long } : { width: long, height: short };
}

/**
 * A bitrate cap for capped CRF when the ladder gives none: scales sub-linearly with pixels and
 * mildly (square root, bounded) with frame rate. Rounded to 50 kb/s, at least 300.
 */
export function deriveMaxrateKbps(width: number, height: number, fps: number): number {
  const pixelFactor = ((width * height) / REFERENCE_PIXELS) ** PIXEL_EXPONENT;
  const fpsFactor = Math.min(2, Math.max(0.75, Math.sqrt((fps > 0 ? fps : FALLBACK_FPS) / 30)));
  return Math.max(300, Math.round((REFERENCE_KBPS * pixelFactor * fpsFactor) / 50) * 50);
}

function rungFps(sourceFps: number, maxFps: number): number {
  const fps = Number.isFinite(sourceFps) && sourceFps > 0 ? sourceFps : FALLBACK_FPS;
  return Math.min(fps, maxFps);
}

/** min(10% of the duration, 5 s), never past the last frame, in whole milliseconds. */
function posterTime(info: VideoInfo): number {
  const duration = info.durationSeconds;
  if (!Number.isFinite(duration) || duration <= 0) return 0;
  const frame = info.video.fps > 0 ? 1 / info.video.fps : 1 / FALLBACK_FPS;
  const at = Math.min(duration * 0.1, POSTER_MAX_SECONDS, Math.max(0, duration - frame));
  return Math.floor(at * 1000) / 1000;
}

function roundEven(value: number): number {
  return Math.round(value / 2) * 2;
}

function floorEven(value: number): number {
  return Math.floor(value / 2) * 2;
}
