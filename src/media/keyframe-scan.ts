import { AppError } from '../errors.js';
import type { VideoPacket } from './passthrough.js';
import { describeExit, runProcess, succeeded } from './process-runner.js';

/** How the scan runs ffprobe. */
export interface KeyframeScanOptions {
  readonly ffprobePath: string;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** Demuxing only reads the container: a 2-hour file scans in seconds. */
const DEFAULT_TIMEOUT_MS = 120_000;
/** Roughly 60 bytes a packet: room for ~4 million packets (a day at 30 fps). */
const MAX_BUFFER = 256 * 1024 * 1024;

/** The packets, and the container's start time: FFmpeg's output timeline starts there, not at the first video pts. */
export interface PacketScan {
  readonly packets: VideoPacket[];
  readonly startTime: number | null;
}

/**
 * The first video stream's packets in decode order (pts, size, key flag), read by demuxing only:
 * no frame is decoded, so this costs a fraction of a decode even for long sources.
 */
export async function scanVideoPackets(file: string, options: KeyframeScanOptions): Promise<PacketScan> {
  const result = await runProcess({
    binary: options.ffprobePath,
    args: [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'packet=pts_time,size,flags:format=start_time',
      '-of',
      'compact=p=1',
      file,
    ],
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxStdoutBytes: MAX_BUFFER,
  });
  if (!succeeded(result)) {
    const detail = [describeExit(result), result.stderrTail.at(-1)].filter(Boolean).join(': ');
    throw new AppError('ffmpeg_failed', `ffprobe could not list the video packets: ${detail}`, {
      context: { stderrTail: result.stderrTail.slice(-10) },
    });
  }
  return parsePacketLines(result.stdout);
}

/** Parses `packet|pts_time=0.033|size=123|flags=K_` and `format|start_time=0.0` lines (any field order). Pure. */
export function parsePacketLines(text: string): PacketScan {
  const packets: VideoPacket[] = [];
  let startTime: number | null = null;
  for (const line of text.split('\n')) {
    const [section, ...pairs] = line.trim().split('|');
    const fields = new Map(pairs.map((kv) => kv.split('=', 2) as [string, string]));
    if (section === 'format') {
      const start = Number(fields.get('start_time'));
      startTime = fields.has('start_time') && Number.isFinite(start) ? start : null;
      continue;
    }
    if (section !== 'packet') continue;
    const pts = Number(fields.get('pts_time'));
    packets.push({
      pts: Number.isFinite(pts) ? pts : Number.NaN,
      size: Number(fields.get('size') ?? 0) || 0,
      key: (fields.get('flags') ?? '').includes('K'),
    });
  }
  return { packets, startTime };
}
