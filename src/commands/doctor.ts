import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkMonitoring } from '../alerts/monitoring-doctor.js';
import { loadConfig, type AppConfig } from '../config/config.js';
import { binaryVersion, listEncoders } from '../media/ffmpeg-version.js';
import { configSummary, readinessChecks } from './doctor-report.js';
import { freeBytes } from '../pipeline/workspace.js';
import { checkAppwrite } from '../sources/appwrite-doctor.js';
import { checkWordpress } from '../sources/wordpress-doctor.js';
import { checkBucket } from '../publish/s3-doctor.js';
import { createS3Client } from '../publish/s3-client.js';
import { describeStore, openStore } from '../store/open-store.js';
import { silentLogger } from '../logging/logger.js';

type Level = 'ok' | 'warn' | 'fail';
interface Check {
  readonly level: Level;
  readonly name: string;
  readonly detail: string;
}

const MARK: Record<Level, string> = { ok: '✔', warn: '!', fail: '✘' };
const LOW_DISK_BYTES = 5 * 1024 ** 3;

/** `video-compressor doctor`: a readiness report; exit 1 when anything would stop jobs from running. */
export async function runDoctor(): Promise<number> {
  const config = loadConfig();
  console.log('Configuration');
  for (const [name, value] of configSummary(config)) console.log(`  ${name.padEnd(18)} ${value}`);
  console.log('\nChecks');
  const checks = [
    ...(await checkFfmpeg(config)),
    ...(await checkStorage(config)),
    ...(await checkSources(config)),
    ...(await checkPublishTarget(config)),
    checkApiKey(config),
    ...checkMonitoring(config),
    ...(await readinessChecks(config)),
  ];
  for (const check of checks) console.log(`${MARK[check.level]} ${check.name.padEnd(18)} ${check.detail}`);
  const failed = checks.filter((c) => c.level === 'fail').length;
  console.log(failed === 0 ? '\nReady.' : `\n${failed} problem(s) found.`);
  return failed === 0 ? 0 : 1;
}

async function checkFfmpeg(config: AppConfig): Promise<Check[]> {
  const checks: Check[] = [];
  for (const [name, binary] of [
    ['ffmpeg', config.media.ffmpegPath],
    ['ffprobe', config.media.ffprobePath],
  ] as const) {
    const info = await binaryVersion(binary);
    checks.push(
      info.version
        ? { level: 'ok', name, detail: `${info.version} (${binary})` }
        : { level: 'fail', name, detail: info.error ?? 'unusable' },
    );
  }
  if (checks[0]?.level === 'ok') {
    const encoders = await listEncoders(config.media.ffmpegPath);
    for (const encoder of ['libx264', 'aac']) {
      checks.push(
        encoders.has(encoder)
          ? { level: 'ok', name: `encoder ${encoder}`, detail: 'present' }
          : {
              level: 'fail',
              name: `encoder ${encoder}`,
              detail: 'missing: install a full ffmpeg build (Debian/Ubuntu: apt-get install ffmpeg)',
            },
      );
    }
  }
  return checks;
}

async function checkStorage(config: AppConfig): Promise<Check[]> {
  const { dir, tempDir, hlsDir } = config.storage;
  try {
    await mkdir(tempDir, { recursive: true });
    await mkdir(hlsDir, { recursive: true });
    const probeFile = path.join(tempDir, `.doctor-${process.pid}`);
    await writeFile(probeFile, 'ok');
    await rm(probeFile);
  } catch (err) {
    return [{ level: 'fail', name: 'storage', detail: `${dir} is not writable: ${(err as Error).message}` }];
  }
  const checks: Check[] = [{ level: 'ok', name: 'storage', detail: `${dir} writable` }];
  const free = await freeBytes(dir);
  checks.push({
    level: free < LOW_DISK_BYTES ? 'warn' : 'ok',
    name: 'free space',
    detail: `${(free / 1024 ** 3).toFixed(1)} GiB on the storage volume`,
  });
  const [temp, hls] = await Promise.all([stat(tempDir), stat(hlsDir)]);
  checks.push(
    temp.dev === hls.dev
      ? { level: 'ok', name: 'atomic publish', detail: 'temp/ and hls/ share a filesystem' }
      : { level: 'fail', name: 'atomic publish', detail: 'temp/ and hls/ are on different filesystems: publishing cannot rename' },
  );
  return checks;
}

async function checkSources(config: AppConfig): Promise<Check[]> {
  const checks: Check[] = [];
  for (const kind of config.worker.sources) {
    if (kind === 'appwrite' && config.appwrite) {
      checks.push(...(await checkAppwrite(config.appwrite)));
      continue;
    }
    if (kind === 'wordpress' && config.wordpress) {
      checks.push(...(await checkWordpress(config.wordpress)));
      continue;
    }
    if (kind !== 'local') {
      checks.push({ level: 'fail', name: `source ${kind}`, detail: 'not available in this version' });
      continue;
    }
    checks.push(await checkLocalSource(config));
  }
  return checks;
}

/** The local source's queue: the store opens (and migrates), and how many jobs wait. */
async function checkLocalSource(config: AppConfig): Promise<Check> {
  const where = describeStore(config.storage);
  try {
    const store = await openStore(config.storage, { now: () => new Date(), log: silentLogger() });
    try {
      const { pending } = await store.jobs.countByStatus();
      return { level: 'ok', name: 'source local', detail: `${where} (${pending} pending)` };
    } finally {
      await store.close();
    }
  } catch (err) {
    return { level: 'fail', name: 'source local', detail: `cannot open ${where}: ${(err as Error).message}` };
  }
}

async function checkPublishTarget(config: AppConfig): Promise<Check[]> {
  const { s3 } = config.publish;
  if (config.publish.target !== 's3' || s3 === null) return [];
  const client = createS3Client(s3);
  try {
    return await checkBucket(s3, client);
  } finally {
    client.destroy();
  }
}

function checkApiKey(config: AppConfig): Check {
  return config.server.apiKey
    ? { level: 'ok', name: 'API_KEY', detail: 'set' }
    : { level: 'fail', name: 'API_KEY', detail: 'missing: `start` refuses to run without it' };
}
