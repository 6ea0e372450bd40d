/**
 * Download: our downloader vs curl for one large file from a local server (zeros, streamed, never
 * stored), and the peak RSS of the bench process meanwhile (the downloader runs in it; the daemon's
 * would be lower, it loads less). Both write to a file in the same directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { AppConfig } from '../src/config/config.js';
import { silentLogger } from '../src/logging/logger.js';
import { downloadSource } from '../src/pipeline/download.js';
import { benchDir } from './sources.js';
import { alternate, fmt, median, QUICK, sh } from './measure.js';

const BYTES = QUICK ? 200 * 1024 ** 2 : 2 * 1024 ** 3;
/**
 * Serves `bytes` zeros with a Content-Length, honouring back-pressure, from its own process: in
 * the bench's process it would share the event loop with our downloader (curl would not).
 */
const SERVER_JS = `
const bytes = Number(process.argv[1]);
const chunk = Buffer.alloc(1024 * 1024);
const server = require('node:http').createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': bytes });
  let left = bytes;
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

function zeroServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', SERVER_JS, String(BYTES)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.once('data', (data: Buffer) => resolve({ child, url: `http://127.0.0.1:${data.toString().trim()}/big.mp4` }));
  });
}

export interface DownloadFigures {
  readonly bytes: number;
  readonly oursMBps: number;
  readonly curlMBps: number;
  readonly peakRssMB: number;
}

export async function benchDownload(config: AppConfig): Promise<DownloadFigures> {
  const { child, url } = await zeroServer();
  const dest = path.join(benchDir(), 'download.bin');
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  try {
    const runs = await alternate(
      async () => {
        await downloadSource({ url, destPath: dest, config: { ...config.download, allowPrivate: true }, log: silentLogger() });
        await rm(dest, { force: true });
      },
      async () => {
        await sh('curl', ['-sS', '--fail', '-o', dest, url]);
        await rm(dest, { force: true });
      },
    );
    const mb = BYTES / 1024 ** 2;
    return { bytes: BYTES, oursMBps: mb / (median(runs.a) / 1000), curlMBps: mb / (median(runs.b) / 1000), peakRssMB: peakRss / 1024 ** 2 };
  } finally {
    clearInterval(sampler);
    child.kill();
  }
}

export function downloadTable(f: DownloadFigures): string[] {
  return [
    '| file | ours | curl | ours / curl | peak RSS (bench process) |',
    '|---|---|---|---|---|',
    `| ${fmt(f.bytes / 1024 ** 3, 2)} GiB | ${fmt(f.oursMBps, 0)} MiB/s | ${fmt(f.curlMBps, 0)} MiB/s | ${fmt(f.oursMBps / f.curlMBps)} | ${fmt(f.peakRssMB, 0)} MB |`,
  ];
}
