import type { Logger } from '../logging/logger.js';
import { runProcess, succeeded } from './process-runner.js';
import { encoderProbeArgs, HARDWARE_ENCODERS, type VideoEncoderName } from './video-encoder.js';

/** Answers whether an encoder works on this machine (true) or not; never throws. */
export type EncoderProber = (encoder: VideoEncoderName) => Promise<boolean>;

/** The configured choice, `auto` included. */
export type EncoderChoice = VideoEncoderName | 'auto';

/** A hardware probe that hangs (a wedged driver) counts as a failure after this long. */
const PROBE_TIMEOUT_MS = 15_000;

/** Runs the one-frame test encode with the real ffmpeg binary. */
export function ffmpegEncoderProber({ ffmpegPath, vaapiDevice }: { ffmpegPath: string; vaapiDevice: string }): EncoderProber {
  return (encoder) => {
    const args = encoderProbeArgs({ encoder, preset: 'fast', vaapiDevice });
    return runProcess({ binary: ffmpegPath, args, timeoutMs: PROBE_TIMEOUT_MS }).then(succeeded, () => false);
  };
}

/**
 * Resolves the configured encoder once: a fixed choice as is; `auto` tries each hardware encoder
 * in turn (nvenc, qsv, vaapi) and keeps the first whose test encode succeeds, else libx264. The
 * result is memoised, so the probes run once per process however many jobs ask.
 */
export function createEncoderResolver({
  choice,
  prober,
  log,
}: {
  choice: EncoderChoice;
  prober: EncoderProber;
  log: Logger;
}): () => Promise<VideoEncoderName> {
  let resolved: Promise<VideoEncoderName> | null = null;
  return () => {
    resolved ??= choice === 'auto' ? probeFirstWorking(prober, log) : Promise.resolve(choice);
    return resolved;
  };
}

async function probeFirstWorking(prober: EncoderProber, log: Logger): Promise<VideoEncoderName> {
  const failed: VideoEncoderName[] = [];
  for (const encoder of HARDWARE_ENCODERS) {
    const works = await prober(encoder).catch(() => false);
    if (works) {
      log.info({ encoder, unavailable: failed }, 'video encoder chosen by probe');
      return encoder;
    }
    failed.push(encoder);
  }
  log.info({ encoder: 'libx264', unavailable: failed }, 'no hardware encoder works; using libx264');
  return 'libx264';
}
