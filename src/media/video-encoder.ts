import type { PlannedRung } from './types.js';

/** The H.264 encoders the ladder can use; `auto` in the config resolves to one of these. */
export const VIDEO_ENCODERS = ['libx264', 'h264_nvenc', 'h264_qsv', 'h264_vaapi'] as const;
export type VideoEncoderName = (typeof VIDEO_ENCODERS)[number];
/** Tried by `auto`, in this order; libx264 is the fallback, so it is not in the list. */
export const HARDWARE_ENCODERS: readonly VideoEncoderName[] = ['h264_nvenc', 'h264_qsv', 'h264_vaapi'];

/** What an encoder needs besides the rung: the x264 preset and the VAAPI render node. */
export interface EncoderSettings {
  readonly encoder: VideoEncoderName;
  readonly preset: string;
  readonly vaapiDevice: string;
}

/** Profile/level per rung: chosen by hls-command (H.264 Annex A), passed in to keep one source of truth. */
export interface RungProfile {
  readonly profile: 'high' | 'main';
  readonly level: string;
}

/** `-c:v[:i] encoder` and its speed/quality preset. `spec` is '' (all video streams) or ':i'. */
export function encoderSelectOptions(settings: EncoderSettings, spec: string): string[] {
  switch (settings.encoder) {
    case 'libx264':
      return [`-c:v${spec}`, 'libx264', `-preset${spec}`, settings.preset];
    case 'h264_nvenc':
      // p4 is NVENC's balanced preset (p1 fastest … p7 best).
      return [`-c:v${spec}`, 'h264_nvenc', `-preset${spec}`, 'p4'];
    case 'h264_qsv':
      return [`-c:v${spec}`, 'h264_qsv', `-preset${spec}`, 'medium'];
    case 'h264_vaapi':
      return [`-c:v${spec}`, 'h264_vaapi'];
  }
}

/**
 * Rate control of one rung (stream index i): the CRF-like quality target of each encoder, capped
 * by the rung's maxrate/bufsize where the encoder honours a cap.
 */
export function encoderRungOptions(encoder: VideoEncoderName, rung: PlannedRung, i: number, pl: RungProfile): string[] {
  const cap = [`-maxrate:v:${i}`, `${rung.maxrateKbps}k`, `-bufsize:v:${i}`, `${rung.bufsizeKbps}k`];
  const profile = [`-profile:v:${i}`, pl.profile];
  const q = String(rung.crf);
  switch (encoder) {
    case 'libx264':
      return [`-crf:v:${i}`, q, ...cap, ...profile, `-level:v:${i}`, pl.level];
    case 'h264_nvenc':
      // VBR with a constant-quality target is NVENC's analogue of capped CRF; -b:v 0 lets -cq rule.
      return [`-rc:v:${i}`, 'vbr', `-cq:v:${i}`, q, `-b:v:${i}`, '0', ...cap, ...profile, `-level:v:${i}`, pl.level];
    case 'h264_qsv':
      // ICQ quality (1-51, like CRF); QSV ignores maxrate in ICQ, the master still declares the measured peak.
      return [`-global_quality:v:${i}`, q, ...cap, ...profile];
    case 'h264_vaapi':
      // Constant QP is the one mode every VAAPI driver implements; the measured peak goes in the master.
      return [`-rc_mode:v:${i}`, 'CQP', `-qp:v:${i}`, q, ...profile];
  }
}

/**
 * GOP options that make forced key frames IDRs (HLS segments must start with one). `spec` as above.
 * x264 turns a forced IDR closer than keyint_min to the previous one into a plain I frame, so
 * `keyintMin` must not exceed the shortest forced interval.
 */
export function encoderGopOptions(
  encoder: VideoEncoderName,
  spec: string,
  gop: { max: number; min: number },
  forceKeyFrames: string,
): string[] {
  const g = [`-g${spec}`, String(gop.max), `-force_key_frames${spec}`, forceKeyFrames];
  switch (encoder) {
    case 'libx264':
      return [
        `-g${spec}`,
        String(gop.max),
        `-keyint_min${spec}`,
        String(gop.min),
        `-sc_threshold${spec}`,
        '0',
        `-force_key_frames${spec}`,
        forceKeyFrames,
      ];
    case 'h264_nvenc':
      return [...g, `-forced-idr${spec}`, '1', `-no-scenecut${spec}`, '1'];
    case 'h264_qsv':
      return [...g, `-idr_interval${spec}`, '0'];
    case 'h264_vaapi':
      return [...g, `-idr_interval${spec}`, '0'];
  }
}

/** The end of each encoded branch of the filter graph (8-bit 4:2:0, square pixels); VAAPI encodes from GPU surfaces. */
export function encoderBranchTail(encoder: VideoEncoderName): string {
  return encoder === 'h264_vaapi' ? 'setsar=1,format=nv12,hwupload' : 'format=yuv420p,setsar=1';
}

/** Global input options an encoder needs (the VAAPI device must exist before the filter graph). */
export function encoderInputOptions(settings: EncoderSettings): string[] {
  return settings.encoder === 'h264_vaapi' ? ['-vaapi_device', settings.vaapiDevice] : [];
}

/**
 * A one-frame test encode (lavfi colour source → null muxer): what `auto` runs once per encoder
 * at start. The input options carry the lavfi source; pure argument data like every command.
 */
export function encoderProbeArgs(settings: EncoderSettings): string[] {
  const upload = settings.encoder === 'h264_vaapi' ? ['-vf', 'format=nv12,hwupload'] : [];
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...encoderInputOptions(settings),
    '-f',
    'lavfi',
    '-i',
    'color=c=black:s=256x144:r=30:d=0.1',
    '-frames:v',
    '1',
    ...upload,
    ...encoderSelectOptions(settings, ''),
    '-f',
    'null',
    '-',
  ];
}
