import { open } from 'node:fs/promises';

/** One ISO BMFF box header: its four-character type and its total size (0: runs to the end of the file). */
export interface BoxHeader {
  readonly type: string;
  readonly size: number;
  /** 8, or 16 with a 64-bit size. */
  readonly headerBytes: number;
}

/** Reads a box header from the first 8 (or 16) bytes of `bytes`; null when they are too few. Pure. */
export function parseBoxHeader(bytes: Buffer): BoxHeader | null {
  if (bytes.length < 8) return null;
  const size32 = bytes.readUInt32BE(0);
  const type = bytes.toString('latin1', 4, 8);
  if (size32 !== 1) return { type, size: size32, headerBytes: 8 };
  if (bytes.length < 16) return null;
  return { type, size: Number(bytes.readBigUInt64BE(8)), headerBytes: 16 };
}

/**
 * The types of an MP4's top-level boxes, in file order (at most `limit`): a faststart file has
 * `moov` before `mdat`. Stops at the end of the file or at a malformed size.
 */
export async function topLevelBoxes(file: string, limit = 32): Promise<string[]> {
  const handle = await open(file, 'r');
  try {
    const { size: fileSize } = await handle.stat();
    const types: string[] = [];
    const head = Buffer.alloc(16);
    let offset = 0;
    while (offset < fileSize && types.length < limit) {
      const { bytesRead } = await handle.read(head, 0, 16, offset);
      const box = parseBoxHeader(head.subarray(0, bytesRead));
      if (box === null) break;
      types.push(box.type);
      if (box.size === 0) break;
      if (box.size < box.headerBytes) break;
      offset += box.size;
    }
    return types;
  } finally {
    await handle.close();
  }
}

/** Whether `moov` comes before `mdat` (the player can start before the whole file has arrived). Pure. */
export function isFaststart(types: readonly string[]): boolean {
  const moov = types.indexOf('moov');
  const mdat = types.indexOf('mdat');
  return moov >= 0 && (mdat < 0 || moov < mdat);
}
