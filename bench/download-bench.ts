/**
 * Download: the daemon (compiled build, own process) fetching one large file from a local server
 * vs curl fetching the same file, alternated; and the daemon's peak RSS meanwhile, read from /proc.
 * The file is zeros with a video Content-Type: the daemon downloads all of it, then FFmpeg refuses
 * it (`invalid_format`, not retried), so each run is one download. Our time is the downloader's
 * own figure from the daemon's log ("source downloaded", ms): it includes starting the download's
 * child process and excludes claiming the job. The RSS is the daemon's; the child exits after each
 * download.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { sampleRss, settledRss, startBenchDaemon, type BenchDaemon } from './daemon-process.js';
import { benchDir } from './sources.js';
import { alternate, fmt, median, QUICK, sh } from './measure.js';

const BYTES = QUICK ? 200 * 1024 ** 2 : 2 * 1024 ** 3;
/**
 * Serves `bytes` zeros with a Content-Length, honouring back-pressure, from its own process: in
 * the bench's process it would share the event loop with the bench.
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
  readonly idleRssMB: number;
  readonly peakRssMB: number;
}

/** One download by the daemon; resolves with the downloader's own duration in ms. */
async function daemonDownload(vc: BenchDaemon, url: string, run: number): Promise<number> {
  const job = await vc.run(`${url}?run=${run}`);
  if (job.status !== 'failed' || job.error_code?.startsWith('source_'))
    throw new Error(`expected the zeros to be refused after downloading: ${JSON.stringify(job)}`);
  // The log is written by a worker thread: wait for this run's line.
  for (let tries = 0; tries < 100; tries += 1) {
    const lines = await vc.logLines('source downloaded');
    const line = lines[run];
    if (line) {
      if (line.bytes !== BYTES) throw new Error(`downloaded ${String(line.bytes)} of ${BYTES} bytes`);
      return Number(line.ms);
    }
    await delay(100);
  }
  throw new Error('no "source downloaded" line in the daemon log');
}

export async function benchDownload(): Promise<DownloadFigures> {
  const { child, url } = await zeroServer();
  const vc = await startBenchDaemon({ MAX_SOURCE_BYTES: String(4 * BYTES) });
  const dest = path.join(benchDir(), 'download.bin');
  // A daemon downloads long after it started: let its start-up garbage go first.
  const idleRssMB = await settledRss(vc.child.pid ?? 0);
  const rss = sampleRss(vc.child.pid ?? 0);
  try {
    let run = 0;
    const downloadMs: number[] = [];
    const runs = await alternate(
      async () => void downloadMs.push(await daemonDownload(vc, url, run++)),
      async () => {
        await sh('curl', ['-sS', '--fail', '-o', dest, url]);
        await rm(dest, { force: true });
      },
    );
    const mb = BYTES / 1024 ** 2;
    const memory = await rss.stop();
    return {
      bytes: BYTES,
      oursMBps: mb / (median(downloadMs) / 1000),
      curlMBps: mb / (median(runs.b) / 1000),
      idleRssMB,
      peakRssMB: memory.peakMB,
    };
  } finally {
    await rss.stop();
    await vc.close();
    child.kill();
  }
}

export function downloadTable(f: DownloadFigures): string[] {
  return [
    '| file | daemon | curl | daemon / curl | daemon RSS: idle (settled) → peak while downloading |',
    '|---|---|---|---|---|',
    `| ${fmt(f.bytes / 1024 ** 3, 2)} GiB | ${fmt(f.oursMBps, 0)} MiB/s | ${fmt(f.curlMBps, 0)} MiB/s | ${fmt(f.oursMBps / f.curlMBps)} | ${fmt(f.idleRssMB, 0)} → ${fmt(f.peakRssMB, 0)} MB |`,
  ];
}
