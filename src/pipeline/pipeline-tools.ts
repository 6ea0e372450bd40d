import type { AppConfig } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import { createFfmpegRunner } from '../media/ffmpeg-runner.js';
import { probe } from '../media/ffprobe.js';
import { transcodeLadder } from '../media/transcode.js';
import { validateSource } from '../media/validate-source.js';
import { downloadSource } from './download.js';
import type { PipelineTools } from './process-video.js';

/** Binds the download and media steps to their config slices: what processVideo and the CLI run. */
export function createPipelineTools({ config, log }: { config: Pick<AppConfig, 'download' | 'media'>; log: Logger }): PipelineTools {
  const runner = createFfmpegRunner({ ffmpegPath: config.media.ffmpegPath, log: log.child({ module: 'ffmpeg' }) });
  return {
    download: ({ url, destPath, signal, log: jobLog, onProgress }) =>
      downloadSource({ url, destPath, config: config.download, signal, log: jobLog, onProgress: (p) => onProgress(p.bytes, p.totalBytes) }),
    probe: async (file, signal) => {
      const info = await probe(file, { ffprobePath: config.media.ffprobePath, signal });
      validateSource(info, config.media);
      return info;
    },
    transcode: ({ input, outDir, info, signal, log: jobLog, onProgress }) =>
      transcodeLadder({ input, outDir, info, media: config.media, runner, log: jobLog, signal, onProgress }),
  };
}
