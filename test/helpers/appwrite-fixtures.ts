import { after, before, beforeEach } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { loadConfig, type AppwriteConfig } from '../../src/config/config.js';
import { setupAppwrite } from '../../src/sources/appwrite-setup.js';
import { FakeAppwrite, FULL_KEY, PROJECT } from '../fakes/appwrite-server.js';

export const DATABASE = 'media';
export const TABLE = 'videos';

/** The environment that points the daemon (or a command) at the fake. */
export function appwriteEnv(fake: FakeAppwrite, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SOURCES: 'appwrite',
    APPWRITE_ENDPOINT: fake.endpoint,
    APPWRITE_PROJECT_ID: PROJECT,
    APPWRITE_API_KEY: FULL_KEY,
    APPWRITE_DATABASE_ID: DATABASE,
    ...extra,
  };
}

/** The Appwrite config slice as loadConfig builds it from {@link appwriteEnv}. */
export function appwriteConfig(fake: FakeAppwrite, extra: Record<string, string> = {}): AppwriteConfig {
  const config = loadConfig({ envFile: false, cwd: '/tmp', env: appwriteEnv(fake, extra) }).appwrite;
  if (!config) throw new Error('no Appwrite config');
  return config;
}

/** A fake on a loopback port, with the table made by the real appwrite:setup code unless `setup` is false. */
export async function startFakeAppwrite({
  setup = true,
  env = {},
}: { setup?: boolean; env?: Record<string, string> } = {}): Promise<FakeAppwrite> {
  const fake = new FakeAppwrite();
  fake.columnBuildMs = 5;
  await fake.start();
  if (setup) await setupAppwrite({ config: appwriteConfig(fake, env), pollMs: 10 });
  return fake;
}

/**
 * One fake server (with its table) for a test file: started before its tests and handed to `use`,
 * reset before each test (FakeAppwrite.reset), stopped after them.
 */
export function useFakeAppwrite(use: (fake: FakeAppwrite) => void): void {
  let fake: FakeAppwrite | undefined;
  before(async () => {
    fake = await startFakeAppwrite();
    use(fake);
  });
  beforeEach(() => fake?.reset());
  after(async () => {
    await fake?.stop();
  });
}

/** A pending row as a CMS would create it. */
export function addVideo(fake: FakeAppwrite, id: string, data: Record<string, unknown>, createdAt?: Date): void {
  fake.insertRow(DATABASE, TABLE, id, { status: 'pending', ...data }, createdAt);
}

export function videoRow(fake: FakeAppwrite, id: string): Record<string, any> {
  return fake.row(DATABASE, TABLE, id);
}

/** Polls `check` until it returns a truthy value. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  { timeoutMs = 60_000, everyMs = 50, onTick }: { timeoutMs?: number; everyMs?: number; onTick?: () => unknown } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await onTick?.();
    await delay(everyMs);
  }
}

/** A pino logger whose JSON lines are kept, to check what was logged (and that no secret was). */
export function capturingLogger(): { log: Logger; lines: Array<Record<string, any>>; text: () => string } {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(chunk.toString());
      done();
    },
  });
  const log = pino({ level: 'debug' }, stream);
  return {
    log,
    get lines() {
      return raw
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, any>);
    },
    text: () => raw.join(''),
  };
}
