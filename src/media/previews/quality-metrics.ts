/**
 * QUALITY_METRICS=on: the SSIM and PSNR of every rung against the source, for metadata.json.
 *
 * One FFmpeg run after the ladder. Input 0 is the source, decoded once more and prepared as the
 * ladder prepared it (autorotation, then pictureFilters: deinterlace, colour step), split into one
 * reference per rung, each brought to its rung's frame rate and size by the ladder's own filters
 * (a stream-copied top rung gets neither, as in the ladder). Input k + 1 is rung k's playlist.
 * Both sides of a comparison are 8-bit 4:2:0, square pixels, start at 0 and count in frames
 * (setpts, then settb to one frame: the rung's MPEG-TS timestamps, rounded to 90 kHz and shifted
 * by the muxer's start, land on the same frame numbers as the reference's), so frame n of the rung
 * meets frame n of its reference. `ssim@qK` then `psnr@qK` (the rung passes through ssim
 * unchanged) compare rung K; FFmpeg prints their summaries, named so, as the run ends.
 */
import path from 'node:path';
import type { MediaConfig } from '../../config/config.js';
import { AppError } from '../../errors.js';
import { fpsExpression } from '../hls-command.js';
import { pictureFilters } from '../picture.js';
import type { LadderPlan, MeasuredRendition, TopRungDecision, VideoInfo } from '../types.js';
import { runFfmpegStep, type StepRunOptions } from './run-step.js';

/** One rendition's scores against the source. */
export interface RenditionQuality {
  readonly name: string;
  /** FFmpeg's SSIM "All" (Y, U and V weighted by their areas), 0-1. */
  readonly ssim: number;
  /** FFmpeg's PSNR "average" over every frame and plane, dB; identical pictures are capped at PSNR_CAP_DB. */
  readonly psnrDb: number;
}

/** What the metrics run measured: every rendition, in the ladder's order, and how long it took. */
export interface QualityMeasurement {
  readonly renditions: readonly RenditionQuality[];
  readonly ms: number;
}

/**
 * Identical pictures (a stream-copied top rung) have no error: FFmpeg prints `inf`, which JSON
 * cannot hold. 100 dB stands for it, above anything an encode reaches (8-bit encodes stay under 60).
 */
export const PSNR_CAP_DB = 100;

/** What the metrics run compares: the source against each measured rung of the ladder in `outDir`. */
export interface QualityInput {
  /** The source file, as the ladder read it. */
  readonly source: string;
  readonly outDir: string;
  readonly plan: LadderPlan;
  readonly topRung: TopRungDecision;
  /** Highest first; each is matched to its planned rung by name. */
  readonly renditions: readonly MeasuredRendition[];
  /** 0 = let FFmpeg decide. */
  readonly threads: number;
}

/** The one time base of a rung: one tick per frame (the inverse of fpsExpression). */
export function frameTimeBase(fps: number): string {
  const rate = fpsExpression(fps);
  const [num, den] = rate.split('/');
  return den === undefined ? `1/${rate}` : `${den}/${num ?? ''}`;
}

/** The filter graph (see the module comment): `[q0]..[qN-1]` are the rungs after both filters. Pure. */
export function qualityGraph(input: Pick<QualityInput, 'plan' | 'topRung' | 'renditions'>): string {
  const { plan, renditions } = input;
  const labels = renditions.map((_, k) => `[s${k}]`).join('');
  const prepared = [...pictureFilters(plan.picture, plan.poster), `split=${renditions.length}`].join(',');
  const comparisons = renditions.map((rendition, k) => {
    const index = plan.rungs.findIndex((rung) => rung.name === rendition.name);
    const fps = plan.rungs[index]?.fps ?? rendition.fps;
    const align = `format=yuv420p,setsar=1,setpts=PTS-STARTPTS,settb=${frameTimeBase(fps)}`;
    // A copied top rung is the source's own frames: no fps, no scaler (hls-command.ts maps 0:v:0).
    const copied = input.topRung.copied && index === 0;
    const reference = copied ? align : `fps=${fpsExpression(fps)},scale=${rendition.width}:${rendition.height},${align}`;
    return [
      `[s${k}]${reference},split[ra${k}][rb${k}]`,
      `[${k + 1}:v:0]${align}[d${k}]`,
      `[d${k}][ra${k}]ssim@q${k}[m${k}]`,
      `[m${k}][rb${k}]psnr@q${k}[q${k}]`,
    ].join(';');
  });
  return [`[0:v]${prepared}${labels}`, ...comparisons].join(';');
}

/** The whole argv after `ffmpeg -hide_banner -nostdin -y` (run-step.ts adds those). Pure; paths absolute. */
export function qualityArgs(input: QualityInput): string[] {
  const threads = input.threads > 0 ? ['-threads', String(input.threads)] : [];
  const playlists = input.renditions.map((r) => path.join(input.outDir, r.playlistPath));
  return [
    // info: the summaries are printed at that level; -nostats keeps the progress lines out.
    ['-loglevel', 'info', '-nostats', ...(input.threads > 0 ? ['-filter_complex_threads', String(input.threads)] : [])],
    [input.source, ...playlists].flatMap((file) => [...threads, '-i', file]),
    ['-filter_complex', qualityGraph(input)],
    input.renditions.flatMap((_, k) => ['-map', `[q${k}]`]),
    ['-f', 'null', '-'],
  ].flat();
}

/** `[ssim@q0 @ 0x…] SSIM Y:… All:0.978834 (16.743643)` or `[psnr@q0 @ 0x…] PSNR y:… average:38.697863 min:…`. */
const SUMMARY = /^\[(ssim|psnr)@q(\d+) @ [^\]]*\] (?:SSIM .*\bAll:(\S+)|PSNR .*\baverage:(\S+))/;

/** A summary line's score, or null when the line is not one. */
export interface SummaryLine {
  readonly metric: 'ssim' | 'psnr';
  readonly index: number;
  readonly value: number;
}

/** Reads one stderr line; `inf` (identical pictures) is Infinity, anything unreadable NaN. Pure. */
export function parseSummaryLine(line: string): SummaryLine | null {
  const m = SUMMARY.exec(line.trim());
  if (m === null) return null;
  const text = m[3] ?? m[4] ?? '';
  return { metric: m[1] === 'ssim' ? 'ssim' : 'psnr', index: Number(m[2]), value: text === 'inf' ? Infinity : Number(text) };
}

/**
 * Each rendition's scores from the summary lines (rendition k is `@qK`). Pure.
 * @throws AppError('ffmpeg_failed') naming every rendition without a readable SSIM and PSNR.
 */
export function scoresFromSummaries(renditions: readonly Pick<MeasuredRendition, 'name'>[], lines: readonly string[]): RenditionQuality[] {
  const parsed = lines.map(parseSummaryLine).filter((s): s is SummaryLine => s !== null);
  const value = (metric: SummaryLine['metric'], k: number): number =>
    parsed.filter((s) => s.metric === metric && s.index === k).at(-1)?.value ?? Number.NaN;
  const scores = renditions.map(({ name }, k) => ({ name, ssim: value('ssim', k), psnrDb: Math.min(value('psnr', k), PSNR_CAP_DB) }));
  const missing = scores.filter((s) => !(s.ssim >= -1 && s.ssim <= 1) || Number.isNaN(s.psnrDb)).map((s) => s.name);
  if (missing.length > 0) {
    throw new AppError('ffmpeg_failed', `Measuring the quality metrics gave no SSIM and PSNR for ${missing.join(', ')}.`, {
      context: { step: 'quality metrics', missing, summaries: lines.slice(-2 * renditions.length) },
    });
  }
  return scores;
}

/** Everything measureQuality needs: what the previews step has, plus the source's path. */
export interface QualityStepInput extends Omit<QualityInput, 'threads'> {
  readonly info: Pick<VideoInfo, 'durationSeconds'>;
  readonly media: Pick<MediaConfig, 'ffmpegPath' | 'nice' | 'threads' | 'watchdog'>;
  readonly signal?: AbortSignal;
}

/**
 * Runs the comparison and reads its scores. The run decodes the source once more, and is bounded
 * like the ladder's encode (ENCODE_TIMEOUT_FACTOR × the duration + 60 s), which it costs less than.
 * @throws AppError('ffmpeg_failed') when FFmpeg fails or prints no score for a rung; the abort reason on abort.
 */
export async function measureQuality(input: QualityStepInput): Promise<QualityMeasurement> {
  const started = Date.now();
  const { media } = input;
  const run: StepRunOptions = {
    ffmpegPath: media.ffmpegPath,
    nice: media.nice,
    signal: input.signal,
    timeoutMs: Math.round((media.watchdog.timeoutFactor * input.info.durationSeconds + 60) * 1000),
  };
  const summaries: string[] = [];
  const onStderrLine = (line: string): void => {
    if (parseSummaryLine(line) !== null) summaries.push(line);
  };
  await runFfmpegStep('quality metrics', qualityArgs({ ...input, threads: media.threads }), { ...run, onStderrLine });
  return { renditions: scoresFromSummaries(input.renditions, summaries), ms: Date.now() - started };
}
