/**
 * Hostile inputs for the chaos suite: files that lie about themselves, and a raw TCP server whose
 * Content-Length lies (Node's http server refuses to send a body that disagrees with it).
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { RequestListener } from 'node:http';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { fixtureDir, makeClip } from './media-fixtures.js';

/** Patches the 32-bit duration of a version-0 `mvhd` or `mdhd` box. */
function patchDuration(bytes: Buffer, box: string, seconds: number): void {
  const at = bytes.indexOf(box);
  if (at < 0 || bytes[at + 4] !== 0) throw new Error(`no version-0 ${box} box`);
  const timescale = bytes.readUInt32BE(at + 16);
  bytes.writeUInt32BE(timescale * seconds, at + 20);
}

/** A 1 s MP4 whose header declares 100 000 s (27.8 h): what ffprobe reports as the duration. */
export async function makeHugeDurationMp4(): Promise<string> {
  const bytes = Buffer.from(await readFile(await makeClip({ width: 160, height: 120, seconds: 1, audio: false })));
  patchDuration(bytes, 'mvhd', 100_000);
  patchDuration(bytes, 'mdhd', 100_000);
  const out = path.join(fixtureDir(), 'huge-duration.mp4');
  await writeFile(out, bytes);
  return out;
}

/** A well-formed MP4 (index intact) whose H.264 payload is noise past the first bytes: probes fine, cannot decode. */
export async function makeUndecodableMp4(): Promise<string> {
  const bytes = Buffer.from(await readFile(await makeClip({ width: 160, height: 120, seconds: 1, audio: false })));
  const mdat = bytes.indexOf('mdat');
  const size = bytes.readUInt32BE(mdat - 4);
  let seed = 1;
  for (let i = mdat + 4 + 64; i < mdat - 4 + size; i += 1) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    bytes[i] = seed >>> 24;
  }
  const out = path.join(fixtureDir(), 'undecodable.mp4');
  await writeFile(out, bytes);
  return out;
}

/** Answers every connection with `Content-Length: announced` and then exactly `body`, then closes. */
export async function lyingServer(announced: number, body: Buffer): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((socket) => {
    socket.once('data', () => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: ${announced}\r\nConnection: close\r\n\r\n`);
      socket.end(body);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/lie.mp4`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Serves a file (any path) in `chunkBytes` pieces every `intervalMs`, with its Content-Length: a download that takes a while. */
export function chunkedFile(file: string, { chunkBytes, intervalMs }: { chunkBytes: number; intervalMs: number }): RequestListener {
  return (_req, res) => {
    void readFile(file).then(async (bytes) => {
      res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': bytes.length });
      for (let at = 0; at < bytes.length && !res.destroyed; at += chunkBytes) {
        res.write(bytes.subarray(at, at + chunkBytes));
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
      res.end();
    });
  };
}
