import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** A loopback HTTP server for one test file. */
export interface TestServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  url(path: string): string;
  /** Requests seen, by path (query included). */
  readonly hits: Map<string, number>;
  /** TCP connections accepted so far. */
  connections(): number;
  /** Stops listening and destroys every open socket (stalled handlers included). */
  close(): Promise<void>;
}

/** Starts `handler` on 127.0.0.1 with an ephemeral port. */
export async function startServer(handler: RequestListener): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const hits = new Map<string, number>();
  let accepted = 0;
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    handler(req, res);
  });
  server.on('connection', (socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    port,
    origin,
    url: (path) => `${origin}${path}`,
    hits,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Dispatches on the path (without query); unknown paths answer 404. */
/**
 * Servers started for one suite, all closed together: `serve(handler)` in the tests, `closeAll` in
 * the suite's after hook.
 */
export function serverPool(): { serve: (handler: RequestListener) => Promise<TestServer>; closeAll: () => Promise<void> } {
  const servers: TestServer[] = [];
  return {
    serve: async (handler) => {
      const server = await startServer(handler);
      servers.push(server);
      return server;
    },
    closeAll: async () => {
      await Promise.all(servers.splice(0).map((s) => s.close()));
    },
  };
}

export function routes(table: Record<string, RequestListener>): RequestListener {
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const route = table[path];
    if (route) route(req, res);
    else res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  };
}

export interface BodyOptions {
  readonly status?: number;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  /** Send Content-Length (default) or stream chunked. */
  readonly contentLength?: boolean;
}

/** Answers with a fixed body. */
export function sendBody(body: Buffer | string, options: BodyOptions = {}): RequestListener {
  return (_req, res) => {
    const buffer = Buffer.from(body);
    const headers: Record<string, string> = { 'Content-Type': options.contentType ?? 'video/mp4', ...options.headers };
    if (options.contentLength !== false) headers['Content-Length'] = String(buffer.length);
    res.writeHead(options.status ?? 200, headers);
    res.end(buffer);
  };
}

/** Answers `status` with a Location header. */
export function redirect(location: string, status = 302): RequestListener {
  return (_req, res) => res.writeHead(status, { Location: location, 'Content-Length': '0' }).end();
}

/** Accepts the request and never answers. */
export function neverRespond(): RequestListener {
  return () => undefined;
}

/** Announces `announcedBytes`, sends `sentBytes`, then either stalls (socket kept open) or closes the socket. */
export function partialBody(options: { announcedBytes: number; sentBytes: number; then: 'stall' | 'close' }): RequestListener {
  return (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': String(options.announcedBytes) });
    res.write(videoBytes(options.sentBytes), () => {
      if (options.then === 'close') res.socket?.end();
    });
  };
}

/** What a slow body handler saw: how much it wrote and whether the client went away. */
export interface SlowBodyStats {
  bytesWritten: number;
  /** True once the connection closed before the whole body was written. */
  clientClosedEarly: boolean;
  /** Resolves when the connection closes (or the body is complete). */
  readonly done: Promise<void>;
}

/** Writes `totalBytes` in `chunkBytes` pieces every `intervalMs`, stopping as soon as the client disconnects. */
export function slowBody(options: { totalBytes: number; chunkBytes: number; intervalMs: number; contentLength: boolean }): {
  handler: RequestListener;
  stats: SlowBodyStats;
} {
  let finish: () => void = () => undefined;
  const stats: SlowBodyStats = { bytesWritten: 0, clientClosedEarly: false, done: new Promise((resolve) => (finish = resolve)) };
  const handler = (_req: IncomingMessage, res: ServerResponse): void => {
    const headers: Record<string, string> = { 'Content-Type': 'video/mp4' };
    if (options.contentLength) headers['Content-Length'] = String(options.totalBytes);
    res.writeHead(200, headers);
    res.once('close', () => {
      stats.clientClosedEarly = stats.bytesWritten < options.totalBytes;
      finish();
    });
    void (async () => {
      const chunk = videoBytes(options.chunkBytes);
      while (!res.destroyed && stats.bytesWritten < options.totalBytes) {
        res.write(chunk);
        stats.bytesWritten += chunk.length;
        await delay(options.intervalMs);
      }
      if (!res.destroyed) res.end();
    })();
  };
  return { handler, stats };
}

/** Bytes that look like the start of an MP4 (an ftyp box), then filler: never mistaken for HTML. */
export function videoBytes(length: number): Buffer {
  const buffer = Buffer.alloc(length, 0x42);
  Buffer.from([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d]).copy(buffer, 0, 0, Math.min(12, length));
  return buffer;
}

/** A URL on a port nothing listens on (bound then released). */
export async function closedPortUrl(path = '/video.mp4'): Promise<string> {
  const server = await startServer(() => undefined);
  await server.close();
  return server.url(path);
}
