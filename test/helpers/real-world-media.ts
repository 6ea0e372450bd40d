/**
 * Sources shaped like what people upload, generated with FFmpeg (nothing committed): anamorphic
 * DVD/HDV pictures, interlaced 25i with motion between fields, phone HDR (HLG/PQ HEVC Main 10),
 * 10-bit 4:2:2, surround, mono, late and multiple audio tracks; each with the reference a viewer
 * would compare it to. Cached per process.
 */
import path from 'node:path';
import { ffmpeg, fixtureDir, once } from './media-fixtures.js';

const out = (name: string): string => path.join(fixtureDir(), name);

/** A 50p progressive pan (8 px per field), the truth the interlaced sources are woven from. Lossless. */
export function makePan50p(seconds = 3): Promise<string> {
  return once(`pan50p-${seconds}`, async () => {
    const file = out(`pan50p-${seconds}s.mkv`);
    const pan = `testsrc2=size=1000x576:rate=50:duration=${seconds},crop=720:576:x='mod(n*8\\,280)':y=0`;
    await ffmpeg(['-f', 'lavfi', '-i', pan, '-c:v', 'ffv1', file]);
    return file;
  });
}

/**
 * 25i from the 50p pan: each frame holds two fields 20 ms apart. `tagged`: MPEG-2 that says so
 * (field_order tt), in a PAL DVD's 16:9 shape (720x576, SAR 64:45). Untagged: H.264 in MPEG-TS
 * flagged progressive, as broadcast captures often are.
 */
export function makeInterlaced({ tagged }: { tagged: boolean }): Promise<string> {
  return once(`interlaced-${tagged}`, async () => {
    const pan = await makePan50p();
    const weave = 'tinterlace=mode=interleave_top';
    if (tagged) {
      const file = out('interlaced-tagged.mpg');
      const video = ['-vf', `${weave},setfield=tff,setsar=64/45`, '-c:v', 'mpeg2video', '-flags', '+ilme+ildct', '-top', '1', '-b:v', '8M'];
      await ffmpeg(['-i', pan, ...video, '-f', 'mpeg', file]);
      return file;
    }
    const file = out('interlaced-untagged.ts');
    await ffmpeg([
      '-i',
      pan,
      '-vf',
      `${weave},setfield=prog`,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-qp',
      '10',
      '-f',
      'mpegts',
      file,
    ]);
    return file;
  });
}

/** Progressive H.264 in MPEG-TS with the same pan: the interlace sample must leave it alone. */
export function makeProgressiveTs(): Promise<string> {
  return once('progressive-ts', async () => {
    const file = out('progressive.ts');
    await ffmpeg(['-i', await makePan50p(), '-vf', 'fps=25', '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'mpegts', file]);
    return file;
  });
}

/** Anamorphic, progressive: a PAL DVD (MPEG-2 720x576, SAR 64:45) or an HDV camcorder (H.264 1440x1080, SAR 4:3); both 16:9. */
export function makeAnamorphic(kind: 'pal' | 'hdv'): Promise<string> {
  return once(`anamorphic-${kind}`, async () => {
    const [size, sar, codec, file] =
      kind === 'pal'
        ? ['720x576', '64/45', ['-c:v', 'mpeg2video', '-b:v', '6M', '-f', 'mpeg'], out('anamorphic-pal.mpg')]
        : ['1440x1080', '4/3', ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '20'], out('anamorphic-hdv.mp4')];
    await ffmpeg(['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25:duration=2`, '-vf', `setsar=${sar}`, ...codec, file]);
    return file;
  });
}

const BARS = ['-f', 'lavfi', '-i', 'smptehdbars=size=1280x720:rate=30:duration=2'];
/** Tags lavfi's BT.709 bars so every conversion reads them as BT.709. */
const AS_709 = 'setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv';

/**
 * The SDR bar chart as a viewer should see it: BT.709, lossless 4:4:4, with the same display
 * rotation as the HDR source made from it, so FFmpeg turns both the same way when decoding.
 */
export function makeSdrBars(rotate = 0): Promise<string> {
  return once(`sdr-bars-${rotate}`, async () => {
    const plain = out('sdr-bars.mp4');
    const args = [...BARS, '-vf', AS_709, '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv444p'];
    await ffmpeg([...args, '-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709', plain]);
    return rotate === 0 ? plain : withRotation(plain, rotate, out(`sdr-bars-r${rotate}.mp4`));
  });
}

/**
 * The bar chart graded as HDR the way cameras grade it (diffuse white at 203 cd/m², BT.2408), in
 * BT.2020, HEVC Main 10, tagged PQ or HLG like a phone's recording; optionally rotated.
 */
export function makeHdrBars(kind: 'pq' | 'hlg', rotate = 0): Promise<string> {
  return once(`hdr-${kind}-${rotate}`, async () => {
    const transfer = kind === 'pq' ? 'smpte2084' : 'arib-std-b67';
    const grade = `${AS_709},zscale=t=linear:npl=203,format=gbrpf32le,zscale=p=bt2020,zscale=t=${transfer}:m=bt2020nc:r=tv:npl=203,format=yuv420p10le`;
    const x265 = `log-level=error:colorprim=bt2020:transfer=${transfer}:colormatrix=bt2020nc:range=limited`;
    const plain = out(`hdr-${kind}.mp4`);
    await ffmpeg([...BARS, '-vf', grade, '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', x265, '-tag:v', 'hvc1', plain]);
    return rotate === 0 ? plain : withRotation(plain, rotate, out(`hdr-${kind}-r${rotate}.mp4`));
  });
}

/** SDR BT.709 bars as a camera's 10-bit 4:2:2 H.264 (High 4:2:2). */
export function make422TenBit(): Promise<string> {
  return once('422-10', async () => {
    const file = out('bars-422p10.mp4');
    const tags = ['-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709'];
    const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv422p10le'];
    await ffmpeg([...BARS, '-vf', AS_709, ...x264, ...tags, file]);
    return file;
  });
}

async function withRotation(input: string, rotate: number, file: string): Promise<string> {
  // FFmpeg 5.1 writes the rotate tag (as a display matrix) only when stream-copying.
  await ffmpeg(['-i', input, '-map', '0', '-c', 'copy', '-metadata:s:v:0', `rotate=${rotate}`, file]);
  return file;
}

const SMALL_VIDEO = ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=4'];
const VIDEO_CODEC = ['-c:v', 'libx264', '-preset', 'ultrafast'];

/**
 * Sound shapes, each with a 320x240 picture, 4 s:
 * - `surround`: 5.1 AC-3, every channel a 0.7-amplitude tone (a plain `-ac 2` fold-down reaches +4.6 dBFS);
 * - `centre`: 5.1 AC-3 with a tone in the centre channel only (dialogue);
 * - `mono`: one channel at 0.5 amplitude;
 * - `late`: stereo starting 2 s after the video, a tone burst 1 s into it (so at 3 s on the video's clock);
 * - `two-tracks`: a silent first track and a tone on the second, which is marked default.
 */
export type SoundShape = 'surround' | 'centre' | 'mono' | 'late' | 'two-tracks';

export function makeSound(shape: SoundShape): Promise<string> {
  return once(`sound-${shape}`, async () => {
    const file = out(`sound-${shape}.${shape === 'late' || shape === 'two-tracks' ? 'mkv' : 'mp4'}`);
    await ffmpeg([...SMALL_VIDEO, ...SOUND_ARGS[shape], '-shortest', file]);
    return file;
  });
}

const tone = (hz: number, amplitude: number): string => `${amplitude}*sin(2*PI*${hz}*t)`;
const SOUND_ARGS: Record<SoundShape, string[]> = {
  surround: [
    ...['-f', 'lavfi', '-i', `aevalsrc=${[300, 500, 700, 60, 900, 1100].map((hz) => tone(hz, 0.7)).join('|')}:s=48000:d=4:c=5.1(side)`],
    ...[...VIDEO_CODEC, '-c:a', 'ac3', '-b:a', '448k'],
  ],
  centre: [
    ...['-f', 'lavfi', '-i', `aevalsrc=0|0|${tone(1000, 0.5)}|0|0|0:s=48000:d=4:c=5.1(side)`],
    ...[...VIDEO_CODEC, '-c:a', 'ac3', '-b:a', '448k'],
  ],
  mono: [...['-f', 'lavfi', '-i', `aevalsrc=${tone(440, 0.5)}:s=48000:d=4:c=mono`], ...VIDEO_CODEC, '-c:a', 'aac'],
  late: [
    ...['-itsoffset', '2', '-f', 'lavfi', '-i', `aevalsrc='if(between(t,1,1.5),${tone(1000, 0.5)},0)':s=48000:d=2:c=stereo`],
    ...[...VIDEO_CODEC, '-c:a', 'aac'],
  ],
  'two-tracks': [
    ...['-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=stereo', '-f', 'lavfi', '-i', `aevalsrc=${tone(1000, 0.5)}:s=48000:d=4:c=stereo`],
    ...['-map', '0:v', '-map', '1:a', '-map', '2:a', ...VIDEO_CODEC, '-c:a', 'aac'],
    ...['-disposition:a:0', '0', '-disposition:a:1', 'default'],
  ],
};
