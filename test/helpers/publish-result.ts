import type { PublishResult, Rendition } from '../../src/domain/rendition.js';

const RUNGS: Record<string, Omit<Rendition, 'playlistUrl'>> = {
  low: { name: 'low', width: 854, height: 480, bandwidth: 900_000, averageBandwidth: 700_000, codecs: 'avc1.64001e,mp4a.40.2' },
  high: { name: 'high', width: 1280, height: 720, bandwidth: 2_500_000, averageBandwidth: 2_000_000, codecs: 'avc1.64001f,mp4a.40.2' },
};

/**
 * The result of a finished job whose ladder is published under `<base>/storage/hls/<key>/`, with
 * the given rungs (low, high). The figures are ones a CMS column could mangle: a fractional
 * processing time, more than 2³¹ output bytes.
 */
export function publishResultFor(key: string, options: { base?: string; rungs?: ReadonlyArray<'low' | 'high'> } = {}): PublishResult {
  const dir = `${options.base ?? 'https://media.test'}/storage/hls/${key}`;
  return {
    hlsUrl: `${dir}/master.m3u8`,
    posterUrl: `${dir}/poster.jpg`,
    renditions: (options.rungs ?? ['low']).map((name) => ({ ...RUNGS[name]!, playlistUrl: `${dir}/${name}/playlist.m3u8` })),
    thumbnailUrls: [1, 2, 3].map((n) => `${dir}/thumbnails/thumb-0${n}.jpg`),
    storyboardUrl: `${dir}/storyboard/storyboard.vtt`,
    previewUrl: `${dir}/preview.mp4`,
    metadataUrl: `${dir}/metadata.json`,
    duration: 5.02,
    width: 1280,
    height: 720,
    processingMs: 1234.4,
    outputBytes: 3_000_000_000,
    completedAt: '2026-01-02T03:04:05.000Z',
  };
}
