/** The bench's sources, generated with FFmpeg once per run into a temp directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QUICK, sh } from './measure.js';

export interface BenchSource {
  readonly name: string;
  readonly file: string;
  readonly durationSeconds: number;
}

interface SourceSpec {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** Video encoder arguments. */
  readonly video: readonly string[];
}

/** H.264 at a fixed average rate with 2 s closed GOPs, as a camera or a web export writes it. */
const h264 = (kbps: number): string[] => [
  '-c:v',
  'libx264',
  '-preset',
  'veryfast',
  '-b:v',
  `${kbps}k`,
  '-maxrate',
  `${kbps}k`,
  '-bufsize',
  `${2 * kbps}k`,
  '-g',
  '60',
  '-keyint_min',
  '60',
  '-sc_threshold',
  '0',
  '-pix_fmt',
  'yuv420p',
];

const SPECS: readonly SourceSpec[] = [
  { name: '1080p30 H.264 8 Mb/s', width: 1920, height: 1080, video: h264(8000) },
  { name: '720p30 H.264 4 Mb/s', width: 1280, height: 720, video: h264(4000) },
  {
    name: '1080p30 HEVC',
    width: 1920,
    height: 1080,
    video: [
      '-c:v',
      'libx265',
      '-preset',
      'ultrafast',
      '-crf',
      '24',
      '-x265-params',
      'log-level=error',
      '-tag:v',
      'hvc1',
      '-pix_fmt',
      'yuv420p',
    ],
  },
  { name: '480p30 H.264 1.5 Mb/s', width: 854, height: 480, video: h264(1500) },
];

let dir: string | null = null;

/** The temp directory of this bench run, removed at exit. */
export function benchDir(): string {
  if (dir === null) {
    const created = mkdtempSync(path.join(tmpdir(), 'vc-bench-'));
    dir = created;
    process.once('exit', () => rmSync(created, { recursive: true, force: true }));
  }
  return dir;
}

/** Detail and motion: testsrc2's moving pattern with strong temporal grain (encoders work as on real footage), a stereo tone. */
async function generate(spec: SourceSpec, seconds: number): Promise<BenchSource> {
  const file = path.join(benchDir(), `${spec.name.replace(/[^a-z0-9]+/gi, '-')}.mp4`);
  await sh('ffmpeg', [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${spec.width}x${spec.height}:rate=30:duration=${seconds},noise=alls=8:allf=t+u`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    ...spec.video,
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-ac',
    '2',
    '-shortest',
    '-movflags',
    '+faststart',
    file,
  ]);
  return { name: spec.name, file, durationSeconds: seconds };
}

/** All four sources: 60 s each, or 4 s in quick mode. */
export async function makeSources(): Promise<BenchSource[]> {
  const seconds = QUICK ? 4 : 60;
  const sources: BenchSource[] = [];
  for (const spec of SPECS) sources.push(await generate(spec, seconds));
  return sources;
}
