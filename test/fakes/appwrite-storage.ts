/**
 * The Storage routes of the fake Appwrite server, as far as the daemon uses them: listing a bucket's
 * files (doctor's files.read probe), downloading a file's original bytes with the key, deleting a
 * file (APPWRITE_DELETE_SOURCE_AFTER; files.write). Files are
 * put in by tests (an app's upload). A missing bucket or file answers the server's 404 types; a guest
 * (wrong or revoked key) sees no file of a bucket without guest permissions (404, as for a missing
 * one) and may not list it (401 user_unauthorized).
 *
 * Downloads honour `Range` as the server does: `bytes=<start>-<end>` answers 206 with Content-Range,
 * an open-ended `bytes=<start>-` is capped at 10 MiB (`rangeChunkBytes`), and a range with
 * start >= end, past the end or in another unit answers 416 storage_invalid_range. A whole-file
 * answer announces no Accept-Ranges. `cut` breaks the connection after some bytes, as a network would.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from './appwrite-auth.js';
import { unauthorized } from './appwrite-auth.js';
import { ApiError, appwriteTime } from './appwrite-store.js';

export interface FakeFile {
  readonly $id: string;
  readonly bucketId: string;
  readonly name: string;
  readonly mimeType: string;
  readonly bytes: Buffer;
  readonly $createdAt: string;
}

/** One download request as the server received it: which file, and the credentials sent. */
export interface StorageDownload {
  readonly bucketId: string;
  readonly fileId: string;
  readonly project: string | null;
  readonly key: string | null;
  /** The Range header sent, if any. */
  readonly range: string | null;
}

/** The server's cap on an open-ended range (MAX_OUTPUT_CHUNK_SIZE). */
const MAX_OUTPUT_CHUNK_SIZE = 10 * 1024 * 1024;

export class FakeStorage {
  readonly buckets = new Map<string, Map<string, FakeFile>>();
  readonly downloads: StorageDownload[] = [];
  /** How much of a file one open-ended range request gets. */
  rangeChunkBytes = MAX_OUTPUT_CHUNK_SIZE;
  /** The next `times` download answers stop after `afterBytes` bytes of their body and reset the connection. */
  cut: { afterBytes: number; times: number } | null = null;

  /** A bucket, created empty if needed. */
  bucket(bucketId: string): Map<string, FakeFile> {
    let files = this.buckets.get(bucketId);
    if (!files) this.buckets.set(bucketId, (files = new Map()));
    return files;
  }

  /** An app's upload: the file as Storage keeps it. */
  putFile(bucketId: string, fileId: string, bytes: Buffer, mimeType = 'video/mp4'): FakeFile {
    const file: FakeFile = { $id: fileId, bucketId, name: `${fileId}.mp4`, mimeType, bytes, $createdAt: appwriteTime(Date.now()) };
    this.bucket(bucketId).set(fileId, file);
    return file;
  }

  reset(): void {
    this.buckets.clear();
    this.downloads.length = 0;
    this.rangeChunkBytes = MAX_OUTPUT_CHUNK_SIZE;
    this.cut = null;
  }

  /** Answers a `/v1/storage/…` request itself (binary bodies); returns the status sent. Errors are thrown as ApiError. */
  handle(req: IncomingMessage, res: ServerResponse, parts: readonly string[], caller: Caller): number {
    // parts: v1 storage buckets {bucketId} files [{fileId} [download]]
    const [, , buckets, bucketId = '', files, fileId, action] = parts;
    if (buckets !== 'buckets' || files !== 'files' || (req.method !== 'GET' && req.method !== 'DELETE'))
      throw new ApiError(404, 'general_route_not_found', 'The requested route was not found.');
    const bucket = this.buckets.get(bucketId);
    if (!bucket) throw new ApiError(404, 'storage_bucket_not_found', 'Storage bucket with the requested ID could not be found.');
    if (req.method === 'DELETE') {
      if (fileId === undefined || action !== undefined)
        throw new ApiError(404, 'general_route_not_found', 'The requested route was not found.');
      if (!bucket.delete(fileId)) throw new ApiError(404, 'storage_file_not_found', 'The requested file could not be found.');
      res.writeHead(204).end();
      return 204;
    }
    if (fileId === undefined) {
      if (caller === 'guest') throw unauthorized();
      const list = [...bucket.values()].map(({ bytes, ...file }) => ({ ...file, sizeOriginal: bytes.length }));
      return sendJson(res, 200, { total: list.length, files: list.slice(0, 1) });
    }
    if (action !== 'download') throw new ApiError(404, 'general_route_not_found', 'The requested route was not found.');
    this.downloads.push({
      bucketId,
      fileId,
      project: header(req, 'x-appwrite-project'),
      key: header(req, 'x-appwrite-key'),
      range: header(req, 'range'),
    });
    const file = caller === 'application' ? bucket.get(fileId) : undefined;
    if (!file) throw new ApiError(404, 'storage_file_not_found', 'The requested file could not be found.');
    const headers = { 'Content-Type': file.mimeType, 'Content-Disposition': `attachment; filename="${file.name}"` };
    const range = header(req, 'range');
    if (range === null) return this.send(res, 200, headers, file.bytes);
    const [start, end] = this.range(range, file.bytes.length);
    const partial = { ...headers, 'Accept-Ranges': 'bytes', 'Content-Range': `bytes ${start}-${end}/${file.bytes.length}` };
    return this.send(res, 206, partial, file.bytes.subarray(start, end + 1));
  }

  /** The inclusive byte range a Range header asks for, checked as the server checks it. */
  private range(value: string, size: number): [number, number] {
    const match = /^(\w+)=(\d+)-(\d*)$/.exec(value.trim());
    const start = Number(match?.[2] ?? NaN);
    const end = match?.[3] ? Number(match[3]) : Math.min(start + this.rangeChunkBytes - 1, size - 1);
    if (match?.[1] !== 'bytes' || !(start < end) || end >= size)
      throw new ApiError(
        416,
        'storage_invalid_range',
        'The requested range is not satisfiable. Please check the value of the Range header.',
      );
    return [start, end];
  }

  private send(res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer): number {
    res.writeHead(status, { ...headers, 'Content-Length': body.length });
    const cut = this.cut;
    if (cut === null || cut.times <= 0) {
      res.end(body);
      return status;
    }
    cut.times -= 1;
    res.write(body.subarray(0, cut.afterBytes), () => res.socket?.destroy());
    return status;
  }
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}

function sendJson(res: ServerResponse, status: number, json: unknown): number {
  const body = JSON.stringify(json);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) }).end(body);
  return status;
}
