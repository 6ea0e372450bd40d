import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TranscodeOutput, VideoInfo } from '../../src/media/types.js';
import { videoInfo, videoStream } from './video-info.js';

/** The source the pipeline tests pretend to have probed: 6 s of 1280x720, no audio. */
export const FAKE_SOURCE_INFO: VideoInfo = videoInfo(videoStream(1280, 720), { durationSeconds: 6, audio: null, formatName: 'mov,mp4' });

/** Writes what transcodeLadder would leave in `outDir`, in miniature (one rung, a master, a poster), and returns its summary. */
export async function fakeLadder(outDir: string): Promise<TranscodeOutput> {
  await mkdir(path.join(outDir, 'medium'), { recursive: true });
  await writeFile(path.join(outDir, 'master.m3u8'), '#EXTM3U\n');
  await writeFile(path.join(outDir, 'poster.jpg'), 'jpg');
  return {
    info: FAKE_SOURCE_INFO,
    plan: {} as never,
    conversions: [],
    renditions: [
      {
        name: 'medium',
        width: 1280,
        height: 720,
        fps: 30,
        bandwidth: 2e6,
        averageBandwidth: 1e6,
        codecs: 'avc1.64001f',
        playlistPath: 'medium/playlist.m3u8',
        segmentCount: 1,
        durationSeconds: 6,
        bytes: 10,
      },
    ],
    masterPath: 'master.m3u8',
    posterPath: 'poster.jpg',
    outputBytes: 1234,
    topRung: { copied: false, reason: 'codec hevc' },
    encodeMs: 5,
    logTail: ['frame=1'],
    previews: { thumbnails: [], storyboard: null, preview: null, metadata: 'metadata.json' },
    previewsMs: 0,
  };
}
