/**
 * What the picture and sound steps cost. One 1080p25 picture (a moving pattern) in four shapes,
 * each alternated with the plain one: plain progressive BT.709 H.264 (no step: its graph is the one
 * it always had), 25i MPEG-2 (deinterlaced), HLG HEVC Main 10 (tone-mapped) and 5.1 AC-3 (folded
 * down). The ratio is each shape's ladder time over the plain source's, measured side by side.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { AppConfig } from '../src/config/config.js';
import { silentLogger } from '../src/logging/logger.js';
import { createFfmpegRunner } from '../src/media/ffmpeg-runner.js';
import { transcodeLadder } from '../src/media/transcode.js';
import type { TranscodeOutput } from '../src/media/types.js';
import { alternate, fmt, median, QUICK, sh } from './measure.js';
import { benchDir } from './sources.js';

const SECONDS = QUICK ? 2 : 10;
const PICTURE = `testsrc2=size=1920x1080:rate=50:duration=${SECONDS},noise=alls=4:allf=t`;
const AS_709 = 'setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv';
/** Graded as a camera grades HLG: diffuse white at 203 cd/m², BT.2020, 10-bit. */
const HLG_GRADE =
  'zscale=t=linear:npl=203,format=gbrpf32le,zscale=p=bt2020,zscale=t=arib-std-b67:m=bt2020nc:r=tv:npl=203,format=yuv420p10le';
const TONE = `aevalsrc=0.5*sin(2*PI*440*t):s=48000:d=${SECONDS}`;

interface Shape {
  readonly name: string;
  readonly file: string;
  readonly args: readonly string[];
}

/** The four shapes of one picture; the 50p pattern becomes 25p (plain) or 25i (woven fields). */
function shapes(dir: string): Shape[] {
  const x264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p'];
  const stereo = ['-f', 'lavfi', '-i', `${TONE}:c=stereo`];
  const x265 = [
    '-c:v',
    'libx265',
    '-preset',
    'ultrafast',
    '-x265-params',
    'log-level=error:colorprim=bt2020:transfer=arib-std-b67:colormatrix=bt2020nc',
  ];
  return [
    { name: 'plain 1080p25 H.264, stereo', file: 'plain.mp4', args: [...stereo, '-vf', `fps=25,${AS_709}`, ...x264, '-c:a', 'aac'] },
    {
      name: '1080i25 MPEG-2 (tt)',
      file: 'interlaced.mpg',
      args: [
        ...stereo,
        '-vf',
        'tinterlace=mode=interleave_top,setfield=tff',
        '-c:v',
        'mpeg2video',
        '-flags',
        '+ilme+ildct',
        '-top',
        '1',
      ].concat(['-b:v', '25M', '-c:a', 'mp2', '-f', 'mpeg']),
    },
    {
      name: 'HLG 1080p25 HEVC Main 10',
      file: 'hlg.mp4',
      args: [...stereo, '-vf', `fps=25,${AS_709},${HLG_GRADE}`, ...x265, '-c:a', 'aac'],
    },
    {
      name: '1080p25 H.264, 5.1 AC-3',
      file: 'surround.mp4',
      args: ['-f', 'lavfi', '-i', `${TONE}:c=5.1(side)`, '-vf', `fps=25,${AS_709}`, ...x264, '-c:a', 'ac3'],
    },
  ].map((s) => ({ ...s, file: path.join(dir, s.file) }));
}

export interface PictureRow {
  readonly name: string;
  readonly conversions: readonly string[];
  readonly ms: number;
  readonly plainMs: number;
}

/** Each shape alternated with the plain source. */
export async function benchPicture(config: AppConfig): Promise<PictureRow[]> {
  const dir = benchDir();
  const list = shapes(dir);
  for (const shape of list)
    await sh('ffmpeg', ['-hide_banner', '-v', 'error', '-y', '-f', 'lavfi', '-i', PICTURE, ...shape.args, '-shortest', shape.file]);
  const runner = createFfmpegRunner({ ffmpegPath: config.media.ffmpegPath, watchdog: config.media.watchdog, log: silentLogger() });
  const ladder = async (input: string): Promise<TranscodeOutput> => {
    const outDir = path.join(dir, 'picture-out');
    await rm(outDir, { recursive: true, force: true });
    return transcodeLadder({ input, outDir, media: config.media, runner, log: silentLogger() });
  };
  const [plain, ...others] = list;
  if (!plain) return [];
  const rows: PictureRow[] = [];
  for (const shape of others) {
    console.log(`picture steps: ${shape.name}…`);
    const runs = await alternate(
      () => ladder(shape.file),
      () => ladder(plain.file),
    );
    if (rows.length === 0)
      rows.push({ name: plain.name, conversions: runs.lastB.conversions, ms: median(runs.b), plainMs: median(runs.b) });
    rows.push({ name: shape.name, conversions: runs.lastA.conversions, ms: median(runs.a), plainMs: median(runs.b) });
  }
  return rows;
}

export function pictureTable(rows: readonly PictureRow[]): string[] {
  return [
    `A ${SECONDS} s 1080p picture in several shapes; each alternated with the plain one, median per side.`,
    '',
    '| source | conversions | ladder | plain source, same run | ratio |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.conversions.length > 0 ? r.conversions.join(', ') : 'none (graph unchanged)'} | ${fmt(r.ms / 1000, 1)} s | ${fmt(r.plainMs / 1000, 1)} s | ${fmt(r.ms / r.plainMs)} |`,
    ),
  ];
}
