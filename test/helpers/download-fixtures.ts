import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DownloadConfig } from '../../src/config/config.js';
import { AppError, type ErrorCode } from '../../src/errors.js';
import { silentLogger } from '../../src/logging/logger.js';
import { downloadSource, type DownloadOptions } from '../../src/pipeline/download.js';
import type { LookupFn } from '../../src/pipeline/url-policy.js';

/** Shared by the download tests: options with a fresh destination under one temp dir, and expectFailure. */
export const CONFIG: DownloadConfig = {
  maxBytes: 50 * 1024 * 1024,
  connectTimeoutMs: 2000,
  idleTimeoutMs: 2000,
  maxRedirects: 5,
  allowPrivate: true,
};
export const POLICY_ON: DownloadConfig = { ...CONFIG, allowPrivate: false };

let dir: string | null = null;
let fileCounter = 0;

/** Call from the test file's before()/after(). */
export async function makeDownloadDir(): Promise<void> {
  dir = await mkdtemp(path.join(tmpdir(), 'vc-download-'));
}
export async function removeDownloadDir(): Promise<void> {
  if (dir !== null) await rm(dir, { recursive: true, force: true });
}

export function dest(): string {
  if (dir === null) throw new Error('makeDownloadDir() first');
  fileCounter += 1;
  return path.join(dir, `source-${fileCounter}.bin`);
}

export type Overrides = Partial<Omit<DownloadOptions, 'config'>> & { config?: Partial<DownloadConfig> };

export function options(url: string, overrides: Overrides = {}): DownloadOptions {
  return { url, destPath: dest(), log: silentLogger(), ...overrides, config: { ...CONFIG, ...overrides.config } };
}

/** Runs a download that must fail with `code`, and checks that nothing was left on disk. */
export async function expectFailure(opts: DownloadOptions, code: ErrorCode): Promise<AppError> {
  let caught: unknown;
  try {
    await downloadSource(opts);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof AppError, `expected an AppError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(existsSync(opts.destPath), false, 'the partial file must be removed');
  return caught;
}

/** Maps fake names to addresses; fails the test if asked about anything else. */
export function fakeLookup(table: Record<string, string[]>, calls: string[] = []): LookupFn {
  return (hostname) => {
    calls.push(hostname);
    const addresses = table[hostname];
    if (!addresses) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
}
