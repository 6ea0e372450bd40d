import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** Total size of the regular files under `dir` (a ladder's output bytes, what a removal frees). */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await directoryBytes(full);
    else if (entry.isFile()) total += (await stat(full)).size;
  }
  return total;
}
