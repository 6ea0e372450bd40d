import { AppError } from '../errors.js';
import type { VideoInfo } from './types.js';

/** The limits a source must respect; MediaConfig satisfies this shape. */
export interface SourceLimits {
  readonly minDurationSeconds: number;
  readonly maxDurationSeconds: number;
  readonly maxPixels: number;
}

/** Codecs that, inside an image container, mean "a picture" rather than a video (GIF is left out: it animates). */
const IMAGE_CODECS = new Set([
  'mjpeg',
  'png',
  'apng',
  'bmp',
  'webp',
  'tiff',
  'jpeg2000',
  'jpegls',
  'ppm',
  'pgm',
  'pam',
  'qoi',
  'jpegxl',
  'heif',
  'avif',
]);

/** Demuxers that read single pictures: image2 and the *_pipe family (png_pipe, jpeg_pipe, webp_pipe...). */
function isImageContainer(formatName: string): boolean {
  return formatName.split(',').some((f) => f === 'image2' || f.endsWith('_pipe'));
}

/**
 * Rejects sources the ladder cannot be made from. Throws AppError:
 * unsupported_source (Dolby Vision without a compatible base layer, i.e. profile 5: its pictures are in Dolby's own colour space, and
 * without a standard base layer they would come out green and purple),
 * no_video_stream (an image or a single frame), duration_out_of_range (unknown, too short, too long),
 * dimensions_out_of_range (a 0 side, or more pixels than allowed).
 * Audio-only files are already rejected by probe() with no_video_stream.
 */
export function validateSource(info: VideoInfo, limits: SourceLimits): void {
  const { video } = info;
  const frames = video.frameCount ?? null;
  if ((IMAGE_CODECS.has(video.codec) && isImageContainer(info.formatName)) || frames === 1) {
    throw new AppError('no_video_stream', `The file is a still image (${video.codec} in ${info.formatName}), not a video.`, {
      context: { codec: video.codec, formatName: info.formatName, frameCount: frames },
    });
  }
  const dv = video.dolbyVision;
  if (dv !== null && dv.compatibilityId === 0) {
    throw new AppError(
      'unsupported_source',
      `The video is Dolby Vision profile ${dv.profile} with no HDR10/HLG base layer; export it as HDR10, HLG or SDR.`,
      { context: { dolbyVision: dv } },
    );
  }
  const duration = info.durationSeconds;
  if (!Number.isFinite(duration) || duration < limits.minDurationSeconds || duration > limits.maxDurationSeconds) {
    const shown = Number.isFinite(duration) ? `${duration.toFixed(2)} s` : 'unknown';
    throw new AppError(
      'duration_out_of_range',
      `The duration is ${shown}; allowed is ${limits.minDurationSeconds} s to ${limits.maxDurationSeconds} s.`,
      {
        context: {
          durationSeconds: Number.isFinite(duration) ? duration : null,
          min: limits.minDurationSeconds,
          max: limits.maxDurationSeconds,
        },
      },
    );
  }
  const pixels = video.width * video.height;
  if (video.width <= 0 || video.height <= 0 || pixels > limits.maxPixels) {
    throw new AppError(
      'dimensions_out_of_range',
      `The frame is ${video.width}x${video.height} (${pixels} pixels); allowed is 1 to ${limits.maxPixels} pixels.`,
      { context: { width: video.width, height: video.height, maxPixels: limits.maxPixels } },
    );
  }
}
