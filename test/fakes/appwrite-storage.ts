/**
 * The Storage routes of the fake Appwrite server, as far as the daemon uses them: listing a bucket's
 * files (doctor's files.read probe), downloading a file's original bytes with the key, deleting a
 * file (APPWRITE_DELETE_SOURCE_AFTER; files.write). Files are
 * put in by tests (an app's upload). A missing bucket or file answers the server's 404 types; a guest
 * (wrong or revoked key) sees no file of a bucket without guest permissions (404, as for a missing
 * one) and may not list it (401 user_unauthorized).
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
}

export class FakeStorage {
  readonly buckets = new Map<string, Map<string, FakeFile>>();
  readonly downloads: StorageDownload[] = [];

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
    this.downloads.push({ bucketId, fileId, project: header(req, 'x-appwrite-project'), key: header(req, 'x-appwrite-key') });
    const file = caller === 'application' ? bucket.get(fileId) : undefined;
    if (!file) throw new ApiError(404, 'storage_file_not_found', 'The requested file could not be found.');
    res.writeHead(200, {
      'Content-Type': file.mimeType,
      'Content-Length': file.bytes.length,
      'Content-Disposition': `attachment; filename="${file.name}"`,
    });
    res.end(file.bytes);
    return 200;
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
