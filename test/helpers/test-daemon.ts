import { createReadStream } from 'node:fs';
import { mkdtemp, stat } from 'node:fs/promises';
import { request, type RequestListener } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/logging/logger.js';
import { startDaemon, type RunningDaemon } from '../../src/main.js';
import type { EventSink } from '../../src/domain/events.js';

export const TEST_API_KEY = 'test-key-0123456789abcdef0123';

export interface TestDaemon {
  readonly daemon: RunningDaemon;
  readonly baseUrl: string;
  readonly storageDir: string;
  api(method: string, route: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Polls GET /api/jobs/:id until `done(job)` holds. */
  waitForJob(id: string, done: (job: any) => boolean, timeoutMs?: number): Promise<any>;
  close(): Promise<void>;
}

/** The real daemon, in-process, on a random loopback port with its own storage directory. */
export async function startTestDaemon(
  env: Record<string, string> = {},
  options: { events?: EventSink; /** The daemon's clock (default the real one). */ now?: () => Date } = {},
): Promise<TestDaemon> {
  const storageDir = await mkdtemp(path.join(tmpdir(), 'vc-e2e-'));
  // A real port (not 0) so the public URLs written back are the ones a client would use.
  const port = await freePort();
  const config = loadConfig({
    envFile: false,
    cwd: storageDir,
    env: {
      API_KEY: TEST_API_KEY,
      PORT: String(port),
      STORAGE_DIR: storageDir,
      LOG_DIR: path.join(storageDir, 'logs'),
      LOG_LEVEL: 'silent',
      ALLOW_PRIVATE_SOURCE_URLS: 'true',
      HLS_SEGMENT_SECONDS: '2',
      X264_PRESET: 'ultrafast',
      // Submissions wake the poller; the cron never fires during a test.
      POLL_CRON: '0 0 1 1 *',
      ...env,
    },
  });
  const daemon = await startDaemon({ config, log: silentLogger(), events: options.events, now: options.now });
  const baseUrl = `http://127.0.0.1:${daemon.port}`;
  const api = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}${route}`, {
      method,
      headers: { 'X-API-Key': TEST_API_KEY, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    daemon,
    baseUrl,
    storageDir,
    api,
    waitForJob: async (id, done, timeoutMs = 120_000) => {
      const deadline = Date.now() + timeoutMs;
      let job: any;
      while (Date.now() < deadline) {
        job = (await api('GET', `/api/jobs/${id}`)).body;
        if (done(job)) return job;
        await delay(200);
      }
      throw new Error(`job ${id} did not reach the expected state: ${JSON.stringify(job)}`);
    },
    close: async () => {
      await daemon.close();
    },
  };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A request whose path is sent exactly as given (fetch would normalise `%2e%2e` away). */
export function rawRequest(baseUrl: string, method: string, rawPath: string, headers: Record<string, string> = {}): Promise<number> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path: rawPath, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}

/** Serves a file with its Content-Length, like any web server. */
export function serveFile(file: string, contentType = 'video/mp4'): RequestListener {
  return (_req, res) => {
    void stat(file).then((s) => {
      res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': s.size });
      createReadStream(file).pipe(res);
    });
  };
}
