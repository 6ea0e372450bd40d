/**
 * The download child's entry (forked by download-child.ts): receives one DownloadRequest over IPC,
 * runs downloadSource in this fresh process, sends progress, log records and the outcome back, and
 * exits. It writes no log file of its own. If the daemon goes away, the download is aborted (the
 * partial file removed) and the process exits.
 */
import { pino, type Logger } from 'pino';
import { downloadSource } from './download.js';
import { isDownloadRequest, toWireError, type ChildMessage, type DownloadRequest } from './download-child-protocol.js';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/** A logger whose lines go to the parent: level as its label, no time, pid or hostname (the parent adds its own). */
function parentLogger(level: string): Logger {
  return pino(
    { level, base: undefined, timestamp: false, formatters: { level: (label) => ({ level: label }) } },
    { write: (line: string) => void send({ type: 'log', line }) },
  );
}

async function run(request: DownloadRequest, signal: AbortSignal): Promise<ChildMessage> {
  try {
    const result = await downloadSource({
      url: request.url,
      destPath: request.destPath,
      config: request.config,
      headers: request.headers,
      trustedHost: request.trustedHost,
      signal,
      log: parentLogger(request.logLevel),
      progressIntervalMs: request.progressIntervalMs,
      onProgress: (progress) => void send({ type: 'progress', ...progress }),
    });
    return { type: 'result', result };
  } catch (err) {
    return { type: 'error', error: toWireError(err) };
  }
}

const controller = new AbortController();
process.once('disconnect', () => controller.abort(new Error('the daemon closed the download channel')));
process.once('message', (message: unknown) => {
  if (!isDownloadRequest(message)) {
    process.exitCode = 2;
    process.disconnect();
    return;
  }
  void run(message, controller.signal)
    .then(send)
    .then(() => process.exit(0));
});
