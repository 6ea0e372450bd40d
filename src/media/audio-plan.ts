import type { AudioPlan, AudioStreamInfo, Conversion, VideoInfo } from './types.js';

/** The plan for a chosen track (see chooseAudioTrack), or null without audio. Pure. */
export function planAudio(track: AudioStreamInfo | null): AudioPlan | null {
  if (track === null) return null;
  const mix = track.channels === 1 ? 'mono' : track.channels > 2 ? 'surround' : 'none';
  return { index: track.index, channels: track.channels, mix };
}

/**
 * The audio part of the filter graph: `[0:a:i]` … `asplit` into `[a0]..[aN-1]`, one per rung.
 *
 * - `aresample=async=1:first_pts=0` fills with silence from 0 s: a track that starts after the
 *   video stays where it is (padded, not shifted), and gaps are filled, so every segment has audio.
 * - Mono is copied to both channels at full level.
 * - Surround folds down with the ITU/ATSC coefficients (centre and surrounds at −3 dB, LFE
 *   dropped), normalised so no sum can clip: swresample only normalises integer output by
 *   itself, and the AAC encoder takes floats.
 */
export function audioFilterGraph(plan: AudioPlan, outputs: number): string {
  const steps = ['aresample=async=1:first_pts=0'];
  if (plan.mix === 'mono') steps.push('pan=stereo|c0=c0|c1=c0');
  if (plan.mix === 'surround') {
    steps.push('aresample=ochl=stereo:center_mix_level=0.7071:surround_mix_level=0.7071:lfe_mix_level=0:rematrix_maxval=1');
  }
  const labels = Array.from({ length: outputs }, (_, i) => `[a${i}]`).join('');
  return `[0:a:${plan.index}]${steps.join(',')},asplit=${outputs}${labels}`;
}

/** Padding is reported when the track starts more than a frame's worth of audio after the video. */
const PAD_REPORT_SECONDS = 0.05;

/** What the audio step does, by the names the job reports. Pure. */
export function audioConversions(info: VideoInfo, plan: AudioPlan | null): Conversion[] {
  const track = info.audio;
  if (plan === null || track === null) return [];
  const list: Conversion[] = [];
  if (plan.mix === 'surround') list.push('downmixed');
  if (plan.mix === 'mono') list.push('mono_to_stereo');
  const videoStart = info.video.startTime ?? 0;
  if (track.startTime !== null && track.startTime - videoStart > PAD_REPORT_SECONDS) list.push('audio_padded');
  return list;
}
