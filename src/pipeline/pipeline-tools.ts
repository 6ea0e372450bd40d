import type { AppConfig } from '../config/config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { createEncoderResolver, ffmpegEncoderProber } from '../media/encoder-select.js';
import { createFfmpegRunner } from '../media/ffmpeg-runner.js';
import { probe } from '../media/ffprobe.js';
import { selectRungs } from '../media/ladder.js';
import { transcodeLadder } from '../media/transcode.js';
import { validateSource } from '../media/validate-source.js';
import { downloadInChild } from './download-child.js';
import type { PipelineTools } from './process-video.js';

/** Binds the download and media steps to their config slices: what processVideo and the CLI run. */
export function createPipelineTools({ config, log }: { config: Pick<AppConfig, 'download' | 'media'>; log: Logger }): PipelineTools {
  const { media } = config;
  const runner = createFfmpegRunner({
    ffmpegPath: media.ffmpegPath,
    nice: media.nice,
    watchdog: media.watchdog,
    log: log.child({ module: 'ffmpeg' }),
  });
  const prober = ffmpegEncoderProber({ ffmpegPath: media.ffmpegPath, vaapiDevice: media.vaapiDevice });
  const resolveEncoder = createEncoderResolver({ choice: media.videoEncoder, prober, log: log.child({ module: 'ffmpeg' }) });
  // VIDEO_ENCODER=auto: probe at start, not in the first job's time.
  if (media.videoEncoder === 'auto') void resolveEncoder();
  return {
    // In a short-lived child process: a long-lived one downloads at a fraction of the speed (docs/performance.md).
    download: async ({ url, access, destPath, signal, log: jobLog, onProgress }) => {
      // A source the CMS names but that cannot be fetched (a Storage file without a bucket): for good.
      if (access?.problem) throw new AppError('source_url_invalid', access.problem);
      return downloadInChild({
        url,
        headers: access?.headers,
        trustedHost: access?.trustedHost,
        destPath,
        config: config.download,
        signal,
        log: jobLog,
        onProgress: (p) => onProgress(p.bytes, p.totalBytes),
      });
    },
    probe: async (file, signal) => {
      const info = await probe(file, { ffprobePath: config.media.ffprobePath, signal });
      validateSource(info, config.media);
      return info;
    },
    transcode: async ({ input, outDir, info, ladder = [], signal, log: jobLog, onProgress, onWarning }) => {
      const jobMedia = ladder.length === 0 ? media : { ...media, ladder: selectRungs(media.ladder, ladder) };
      const encoder = await resolveEncoder();
      return transcodeLadder({ input, outDir, info, media: jobMedia, runner, log: jobLog, signal, onProgress, onWarning, encoder });
    },
  };
}
