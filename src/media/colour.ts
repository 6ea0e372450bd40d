import type { ColourPlan, HdrKind, SourceColour, VideoStreamInfo } from './types.js';

const KNOWN_PRIMARIES = new Set([
  'bt709',
  'bt470m',
  'bt470bg',
  'smpte170m',
  'smpte240m',
  'film',
  'bt2020',
  'smpte428',
  'smpte431',
  'smpte432',
]);
const KNOWN_TRANSFERS = new Set([
  'bt709',
  'bt470m',
  'bt470bg',
  'smpte170m',
  'linear',
  'bt2020-10',
  'bt2020-12',
  'smpte2084',
  'iec61966-2-1',
  'iec61966-2-4',
  'arib-std-b67',
]);
const KNOWN_MATRICES = new Set(['bt709', 'fcc', 'bt470bg', 'smpte170m', 'ycgco', 'bt2020nc', 'bt2020c', 'gbr']);
/** Pixel formats that hold RGB (or grey) rather than YCbCr. */
const RGB_FORMAT = /^(rgb|bgr|gbr|argb|abgr|rgba|bgra|0rgb|rgb0|0bgr|bgr0|pal8|x2rgb|x2bgr)/;
/** The primaries that go with each matrix when only the matrix is tagged. */
const PRIMARIES_OF_MATRIX: Readonly<Record<string, string>> = {
  bt709: 'bt709',
  bt470bg: 'bt470bg',
  smpte170m: 'smpte170m',
  bt2020nc: 'bt2020',
  bt2020c: 'bt2020',
};

/** PQ (HDR10, Dolby Vision 8.1) or HLG (Dolby Vision 8.4), from the transfer or the Dolby Vision base layer; null for SDR. */
export function hdrKindOf(video: VideoStreamInfo): HdrKind | null {
  const transfer = video.colour.transfer;
  if (transfer === 'smpte2084') return 'pq';
  if (transfer === 'arib-std-b67') return 'hlg';
  const dv = video.dolbyVision;
  // Base-layer compatibility ids: 1 = HDR10 (PQ), 6 = Blu-ray HDR10, 4 = HLG, 2 = SDR; 0 (profile 5) has
  // no compatible base layer and is refused by validateSource.
  if (dv !== null && (dv.compatibilityId === 1 || dv.compatibilityId === 6)) return 'pq';
  if (dv !== null && dv.compatibilityId === 4) return 'hlg';
  return null;
}

/**
 * The source's colour, every untagged property assumed as players assume it: HDR in BT.2020;
 * SDR below 720 lines BT.601 (the PAL variant for 576-line or 25/50 fps sources), BT.709 from
 * 720 lines; RGB pixel formats `gbr`; limited range unless tagged full or a `yuvj` format.
 */
export function sourceColour(video: VideoStreamInfo): SourceColour {
  const tags = video.colour;
  const hdr = hdrKindOf(video);
  const known = (value: string | null, set: ReadonlySet<string>): string | null => (value !== null && set.has(value) ? value : null);
  const rgb = video.pixFmt !== null && RGB_FORMAT.test(video.pixFmt);
  const sd = Math.min(video.codedWidth, video.codedHeight) < 720;
  const pal = video.codedHeight === 576 || Math.abs(video.fps - 25) < 0.01 || Math.abs(video.fps - 50) < 0.01;
  const assumedMatrix = hdr !== null ? 'bt2020nc' : sd ? (pal ? 'bt470bg' : 'smpte170m') : 'bt709';
  const matrix = rgb ? 'gbr' : (known(tags.matrix, KNOWN_MATRICES) ?? assumedMatrix);
  const primaries = known(tags.primaries, KNOWN_PRIMARIES) ?? PRIMARIES_OF_MATRIX[matrix] ?? PRIMARIES_OF_MATRIX[assumedMatrix] ?? 'bt709';
  const transfer = hdr === 'pq' ? 'smpte2084' : hdr === 'hlg' ? 'arib-std-b67' : (known(tags.transfer, KNOWN_TRANSFERS) ?? 'bt709');
  const full = tags.range === 'pc' || (video.pixFmt?.startsWith('yuvj') ?? false) || rgb;
  const tagged = tags.matrix !== null && tags.primaries !== null && tags.transfer !== null;
  return { primaries, transfer, matrix, range: full ? 'pc' : 'tv', tagged };
}

/**
 * What the colour step does. SDR transfers are all shown with the BT.709 curve by players, so
 * only the matrix, the gamut and the range decide a conversion; bit depth and chroma
 * subsampling are the rung's own `format=yuv420p`.
 */
export function planColour(video: VideoStreamInfo): ColourPlan {
  const source = sourceColour(video);
  const hdr = hdrKindOf(video);
  if (hdr !== null) return { kind: 'tonemap', source, hdr };
  const plain = source.matrix === 'bt709' && source.primaries === 'bt709' && source.range === 'tv';
  return plain ? { kind: 'none', source } : { kind: 'convert', source };
}

/** The zscale input options that describe the source (all explicit, so untagged frames convert as assumed). */
function inputOptions(source: SourceColour): string {
  const matrix = source.matrix === 'gbr' ? '' : `:min=${source.matrix}`;
  return `pin=${source.primaries}:tin=${source.transfer}${matrix}:rin=${source.range}`;
}

/**
 * The filters of the colour step, resizing to `size` on the way (the conversion then runs on the
 * top rung's pixels, not the source's), ending in 8-bit YCbCr: zscale does the RGB → YCbCr step,
 * as the scaler after it would use the BT.601 matrix. Empty for `none`. Tone mapping: diffuse white at 203
 * cd/m² (BT.2408) becomes SDR white, Möbius keeps everything below half of it linear, so mid-grey
 * and hues stay where an SDR grade has them and only highlights are compressed.
 */
export function colourFilters(plan: ColourPlan, size: { width: number; height: number }): string[] {
  const resize = `w=${size.width}:h=${size.height}:f=bicubic`;
  switch (plan.kind) {
    case 'none':
      return [];
    case 'convert':
      return [`zscale=${resize}:${inputOptions(plan.source)}:p=bt709:t=bt709:m=bt709:r=tv`, 'format=yuv420p'];
    case 'tonemap':
      return [
        `zscale=${resize}:${inputOptions(plan.source)}:t=linear:npl=203`,
        'format=gbrpf32le',
        'zscale=p=bt709',
        'tonemap=tonemap=mobius:param=0.5:desat=0',
        'zscale=t=bt709:m=bt709:r=tv',
        'format=yuv420p',
      ];
  }
}

/** Output options that tag every encoded rung BT.709 limited range (x264 writes them into the VUI). */
export const BT709_OUTPUT_OPTIONS: readonly string[] = [
  '-color_primaries',
  'bt709',
  '-color_trc',
  'bt709',
  '-colorspace',
  'bt709',
  '-color_range',
  'tv',
];

/** The bitstream filter that writes the same tags into a stream-copied H.264 rung's SPS. */
export const BT709_COPY_BSF = 'h264_metadata=colour_primaries=1:transfer_characteristics=1:matrix_coefficients=1:video_full_range_flag=0';
