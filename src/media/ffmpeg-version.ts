import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface FfmpegBinaryInfo {
  /** e.g. "5.1.9-0+deb12u1", or null when the binary cannot be run. */
  readonly version: string | null;
  readonly error: string | null;
}

/** First line of `<binary> -version`: "ffmpeg version 5.1.9-0+deb12u1 Copyright…" → "5.1.9-0+deb12u1". */
export async function binaryVersion(binary: string): Promise<FfmpegBinaryInfo> {
  try {
    const { stdout } = await run(binary, ['-hide_banner', '-version'], { timeout: 10_000 });
    const match = /version\s+(\S+)/.exec(stdout);
    return { version: match?.[1] ?? 'unknown', error: null };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { version: null, error: code === 'ENOENT' ? `${binary} not found (install the ffmpeg package or set the path)` : (err as Error).message };
  }
}

/** Names of the encoders the ffmpeg binary was built with ("libx264", "aac", …). */
export async function listEncoders(ffmpegPath: string): Promise<Set<string>> {
  const { stdout } = await run(ffmpegPath, ['-hide_banner', '-encoders'], { timeout: 10_000, maxBuffer: 4 * 1024 * 1024 });
  const names = new Set<string>();
  for (const line of stdout.split('\n')) {
    const match = /^\s[VAS][F.][S.][X.][B.][D.]\s+(\S+)/.exec(line);
    if (match?.[1]) names.add(match[1]);
  }
  return names;
}
