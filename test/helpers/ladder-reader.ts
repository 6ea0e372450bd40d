/**
 * A reader polling storage/hls the way a player or CDN would: every master it can read must be
 * whole (each variant playlist and each of its segments exists). A partial ladder is a violation.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export interface LadderReader {
  readonly violations: string[];
  /** Masters read and verified. */
  readonly checks: number;
  stop(): Promise<void>;
}

const uris = (playlist: string): string[] =>
  playlist
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

async function verifyLadder(dir: string): Promise<string | null> {
  let master: string;
  try {
    master = await readFile(path.join(dir, 'master.m3u8'), 'utf8');
  } catch {
    return null; // not there (yet): nothing is visible, nothing is partial
  }
  if (!master.startsWith('#EXTM3U') || uris(master).length === 0) return `${dir}: master is incomplete`;
  for (const variant of uris(master)) {
    const file = path.join(dir, variant);
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text === null || !text.includes('#EXT-X-ENDLIST')) return `${file}: variant missing or unfinished`;
    for (const segment of uris(text)) {
      const size = await stat(path.join(path.dirname(file), segment)).then(
        (s) => s.size,
        () => 0,
      );
      if (size === 0) return `${path.join(path.dirname(file), segment)}: segment missing or empty`;
    }
  }
  return null;
}

export function ladderReader(hlsDir: string, everyMs = 25): LadderReader {
  const state = { violations: [] as string[], checks: 0, running: true };
  const loop = (async () => {
    while (state.running) {
      // What the public can reach: dot-names (the publisher's `.<key>.incoming` and `.previous`
      // staging) are refused by the HLS route (dotfiles: 'deny') and by nginx (`location ~ /\.`).
      const dirs = (await readdir(hlsDir).catch(() => [] as string[])).filter((name) => !name.startsWith('.'));
      for (const name of dirs) {
        const problem = await verifyLadder(path.join(hlsDir, name));
        if (problem) state.violations.push(problem);
        else state.checks += 1;
      }
      await delay(everyMs);
    }
  })();
  return {
    get violations() {
      return state.violations;
    },
    get checks() {
      return state.checks;
    },
    stop: async () => {
      state.running = false;
      await loop;
    },
  };
}
