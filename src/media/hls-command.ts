import path from 'node:path';
import { audioFilterGraph } from './audio-plan.js';
import { BT709_COPY_BSF, BT709_OUTPUT_OPTIONS } from './colour.js';
import { forcedKeyframeList } from './passthrough.js';
import { pictureFilters } from './picture.js';
import type { FfmpegCommand, LadderPlan, PlannedRung, TopRungDecision } from './types.js';
import {
  encoderBranchTail,
  encoderGopOptions,
  encoderInputOptions,
  encoderRungOptions,
  encoderSelectOptions,
  type EncoderSettings,
  type VideoEncoderName,
} from './video-encoder.js';

/** File names inside a ladder directory (the storage layout of src/domain/storage-layout.ts). */
export const LADDER_FILES = {
  master: 'master.m3u8',
  poster: 'poster.jpg',
  playlist: 'playlist.m3u8',
  segmentPattern: 'segment%03d.ts',
} as const;

/** What buildHlsCommand needs: the source, the ladder directory, the plan and encoder knobs. */
export interface HlsCommandInput {
  readonly input: string;
  readonly outDir: string;
  readonly plan: LadderPlan;
  /** x264 preset, e.g. "fast". */
  readonly preset: string;
  /** 0 = let FFmpeg decide. */
  readonly threads: number;
  /** libx264 when absent. */
  readonly encoder?: VideoEncoderName;
  /** For h264_vaapi. */
  readonly vaapiDevice?: string;
  /** Copied: stream-copy the top rung, the others take their key frames at its times. Absent: encode every rung. */
  readonly topRung?: TopRungDecision;
}

/**
 * One FFmpeg process for the whole ladder: the source is decoded once and split into one branch per
 * rung plus a poster branch. Pure: returns plain argument data for ffmpeg-runner.ts.
 */
export function buildHlsCommand(input: HlsCommandInput): FfmpegCommand {
  const { outDir, plan, threads } = input;
  const settings: EncoderSettings = { encoder: input.encoder ?? 'libx264', preset: input.preset, vaapiDevice: input.vaapiDevice ?? '' };
  const copy = input.topRung?.copied === true ? input.topRung : null;
  const threadOptions = threads > 0 ? ['-threads', String(threads)] : [];
  return {
    input: input.input,
    // -loglevel warning keeps the stderr tail to problems; -stats still prints progress lines.
    inputOptions: [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'warning',
      '-stats',
      ...encoderInputOptions(settings),
      ...(threads > 0 ? ['-filter_complex_threads', String(threads)] : []),
      ...threadOptions,
    ],
    filterComplex: buildFilterGraph(plan, { encoder: settings.encoder, copyTopRung: copy !== null }),
    outputs: [
      {
        path: path.join(outDir, '%v', LADDER_FILES.playlist),
        options: [...hlsVideoOptions(plan, settings, copy), ...threadOptions, ...hlsMuxerOptions(plan, outDir)],
      },
      {
        path: path.join(outDir, LADDER_FILES.poster),
        options: ['-map', '[vp]', '-an', '-frames:v', '1', '-c:v', 'mjpeg', '-q:v', '2', '-f', 'image2', '-update', '1'],
      },
    ],
  };
}

/**
 * `[0:v]`, through the picture steps (deinterlace, colour; none for a plain source), split into
 * `[v0]..[vN-1]` (fps, scale, 8-bit 4:2:0, square pixels; none for a copied top rung) and `[vp]`,
 * the poster: the first frame at or after `poster.atSeconds`; the second trim ends that branch
 * after one frame so the split stops feeding it. With audio, `[a0]..[aN-1]` (see audioFilterGraph).
 */
export function buildFilterGraph(plan: LadderPlan, options: { encoder?: VideoEncoderName; copyTopRung?: boolean } = {}): string {
  const tail = encoderBranchTail(options.encoder ?? 'libx264');
  // A copied top rung takes the source's packets (-map 0:v:0): no branch, no decode for it.
  const encoded = plan.rungs.map((rung, i) => ({ rung, i })).filter(({ i }) => !(options.copyTopRung === true && i === 0));
  const labels = encoded.map(({ i }) => `[r${i}]`).join('');
  const branches = encoded.map(({ rung, i }) => `[r${i}]fps=${fpsExpression(rung.fps)},scale=${rung.width}:${rung.height},${tail}[v${i}]`);
  const { width, height, atSeconds } = plan.poster;
  const poster = `[rp]trim=start=${atSeconds},setpts=PTS-STARTPTS,trim=end_frame=1,scale=${width}:${height},setsar=1[vp]`;
  const steps = [...pictureFilters(plan.picture, plan.poster), `split=${encoded.length + 1}`];
  const audio = plan.audio === null ? [] : [audioFilterGraph(plan.audio, plan.rungs.length)];
  return [`[0:v]${steps.join(',')}${labels}[rp]`, ...branches, poster, ...audio].join(';');
}

function hlsVideoOptions(plan: LadderPlan, settings: EncoderSettings, copy: { keyframeTimes: readonly number[] } | null): string[] {
  const opts: string[] = [];
  plan.rungs.forEach((_, i) => {
    opts.push('-map', copy !== null && i === 0 ? '0:v:0' : `[v${i}]`);
    if (plan.audio !== null) opts.push('-map', `[a${i}]`);
  });
  // One encoder for every stream: global -c:v; with a copied top rung each stream gets its own.
  if (copy === null) opts.push(...encoderSelectOptions(settings, ''));
  else opts.push('-c:v:0', 'copy', '-bsf:v:0', BT709_COPY_BSF);
  // Encoders write the tags into each rung's VUI; the copied rung gets them from the bitstream filter.
  opts.push(...BT709_OUTPUT_OPTIONS);
  plan.rungs.forEach((rung, i) => {
    if (copy !== null && i === 0) return;
    if (copy !== null) opts.push(...encoderSelectOptions(settings, `:${i}`));
    opts.push(...encoderRungOptions(settings.encoder, rung, i, h264ProfileLevel(rung)));
  });
  opts.push(...gopOptions(plan, settings.encoder, copy));
  if (plan.audio !== null) opts.push('-c:a', 'aac', '-b:a', `${plan.audioBitrateKbps}k`, '-ac', '2');
  return opts;
}

/**
 * Same fps in every rung, so one GOP length fits all; forced key frames at exact multiples of the
 * segment length make every rung cut at the same instants. -g is only a ceiling here. With a copied
 * top rung the key frames are the source's, so the encoded rungs are forced to the same times and
 * -g is doubled: an unforced key frame would let the muxer cut one rung where the others cannot.
 */
function gopOptions(plan: LadderPlan, encoder: VideoEncoderName, copy: { keyframeTimes: readonly number[] } | null): string[] {
  const fps = plan.rungs[0]?.fps ?? 30;
  const gop = keyframeInterval(fps, plan.segmentSeconds);
  if (copy === null) return encoderGopOptions(encoder, '', { max: gop, min: gop }, `expr:gte(t,n_forced*${plan.segmentSeconds})`);
  // The source's key frames may be closer together than a segment: keyint_min 1 lets each be an IDR.
  const list = forcedKeyframeList(copy.keyframeTimes, fps);
  return plan.rungs.flatMap((_, i) => (i === 0 ? [] : encoderGopOptions(encoder, `:v:${i}`, { max: 2 * gop + 1, min: 1 }, list)));
}

function hlsMuxerOptions(plan: LadderPlan, outDir: string): string[] {
  const streamMap = plan.rungs
    .map((rung, i) => (plan.audio !== null ? `v:${i},a:${i},name:${rung.name}` : `v:${i},name:${rung.name}`))
    .join(' ');
  return [
    // Audio packets wait for x264's look-ahead in every rung; a larger queue avoids spurious aborts.
    '-max_muxing_queue_size',
    '4096',
    '-f',
    'hls',
    '-hls_time',
    String(plan.segmentSeconds),
    '-hls_playlist_type',
    'vod',
    '-hls_flags',
    'independent_segments',
    '-hls_segment_type',
    'mpegts',
    '-hls_segment_filename',
    path.join(outDir, '%v', LADDER_FILES.segmentPattern),
    // No -master_pl_name: FFmpeg's master would declare CRF rungs at the audio bitrate; ours is measured.
    '-var_stream_map',
    streamMap,
  ];
}

/** Frames per GOP: enough that x264's own key frames never come before the forced ones. */
export function keyframeInterval(fps: number, segmentSeconds: number): number {
  return Math.max(1, Math.ceil(fps * segmentSeconds - 1e-6));
}

/** The fps filter's rate: integers as is, NTSC rates as exact fractions (29.97 → 30000/1001). */
export function fpsExpression(fps: number): string {
  const whole = Math.round(fps);
  if (Math.abs(fps - whole) < 1e-3) return String(whole);
  const ntsc = Math.round(fps * 1.001);
  if (Math.abs(fps - ntsc / 1.001) < 1e-3) return `${ntsc * 1000}/1001`;
  return fps.toFixed(3);
}

/** H.264 Annex A limits: [level, max macroblocks/s, max frame size in macroblocks, max bit rate kb/s, max CPB kbit] (Main; High allows 1.25×). */
const H264_LEVELS: ReadonlyArray<readonly [string, number, number, number, number]> = [
  ['3.0', 40_500, 1_620, 10_000, 10_000],
  ['3.1', 108_000, 3_600, 14_000, 14_000],
  ['3.2', 216_000, 5_120, 20_000, 20_000],
  ['4.0', 245_760, 8_192, 20_000, 25_000],
  ['4.1', 245_760, 8_192, 50_000, 62_500],
  ['4.2', 522_240, 8_704, 50_000, 62_500],
  ['5.0', 589_824, 22_080, 135_000, 135_000],
  ['5.1', 983_040, 36_864, 240_000, 240_000],
  ['5.2', 2_073_600, 36_864, 240_000, 240_000],
  ['6.0', 4_177_920, 139_264, 240_000, 240_000],
  ['6.1', 8_355_840, 139_264, 480_000, 480_000],
  ['6.2', 16_711_680, 139_264, 800_000, 800_000],
];

/**
 * Profile and the lowest level that fits the rung (frame size, macroblock rate, VBV caps), from 3.0
 * up so CODECS strings stay common. High above 480 lines; Main for small rungs, which old
 * low-end decoders play.
 */
export function h264ProfileLevel(rung: Pick<PlannedRung, 'width' | 'height' | 'fps' | 'maxrateKbps' | 'bufsizeKbps'>): {
  profile: 'high' | 'main';
  level: string;
} {
  const profile = Math.min(rung.width, rung.height) > 480 ? 'high' : 'main';
  const brFactor = profile === 'high' ? 1.25 : 1;
  const mbW = Math.ceil(rung.width / 16);
  const mbH = Math.ceil(rung.height / 16);
  const frameMbs = mbW * mbH;
  const mbps = frameMbs * Math.ceil(rung.fps);
  const fits = ([, maxMbps, maxFs, maxBr, maxCpb]: readonly [string, number, number, number, number]): boolean =>
    mbps <= maxMbps &&
    frameMbs <= maxFs &&
    Math.max(mbW, mbH) <= Math.sqrt(8 * maxFs) &&
    rung.maxrateKbps <= maxBr * brFactor &&
    rung.bufsizeKbps <= maxCpb * brFactor;
  const level = H264_LEVELS.find(fits) ?? H264_LEVELS[H264_LEVELS.length - 1];
  return { profile, level: level?.[0] ?? '6.2' };
}

/** The full argv (without the binary) of a command, as FFmpeg receives it: for logs and tests. */
export function commandToArgs(cmd: FfmpegCommand): string[] {
  const args = [...cmd.inputOptions, '-i', cmd.input, '-y'];
  if (cmd.filterComplex !== null) args.push('-filter_complex', cmd.filterComplex);
  for (const output of cmd.outputs) args.push(...output.options, output.path);
  return args;
}
