import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../config/config.js';
import { AppError, toAppError } from '../errors.js';
import { createPipelineTools } from '../pipeline/pipeline-tools.js';

const HELP = 'Usage: video-compressor transcode <file|url> <out-dir> [--force] [--verbose]';

/**
 * `video-compressor transcode <file|url> <out-dir>`: the daemon's download, probe and ladder code
 * on one input, without a CMS. Prints a JSON summary on stdout; logs and progress go to stderr.
 */
export async function runTranscode(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { force: { type: 'boolean', default: false }, verbose: { type: 'boolean', default: false } },
  });
  const [input, outArg] = positionals;
  if (!input || !outArg || positionals.length > 2) {
    console.error(HELP);
    return 2;
  }
  const config = loadConfig();
  const log = pino({ level: values.verbose ? 'debug' : 'warn' }, pino.destination(2));
  const tools = createPipelineTools({ config, log });
  const outDir = path.resolve(outArg);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new AppError('cancelled', 'Interrupted')));
  const started = Date.now();
  let tempDir: string | null = null;
  try {
    await prepareOutDir(outDir, values.force);
    let file = path.resolve(input);
    if (/^[a-z][a-z0-9+.-]*:/i.test(input)) {
      await mkdir(config.storage.tempDir, { recursive: true });
      tempDir = await mkdtemp(path.join(config.storage.tempDir, 'cli-'));
      file = path.join(tempDir, 'source');
      await tools.download({ url: input, destPath: file, signal: controller.signal, log, onProgress: () => undefined });
    }
    const info = await tools.probe(file, controller.signal);
    const output = await tools.transcode({
      input: file,
      outDir,
      info,
      signal: controller.signal,
      log,
      onProgress: (p) => {
        if (process.stderr.isTTY) process.stderr.write(`\rtranscoding ${p.percent.toFixed(0).padStart(3)}%`);
      },
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    // The summary names the decision, not the (possibly thousands of) copied key-frame times.
    const topRung = { copied: output.topRung.copied, reason: output.topRung.reason };
    console.log(JSON.stringify({ input, outDir, wallMs: Date.now() - started, ...output, info: output.info, topRung }, null, 2));
    return 0;
  } catch (err) {
    const error = toAppError(err);
    console.error(`transcode failed [${error.code}]: ${error.message}`);
    return 1;
  } finally {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
}

async function prepareOutDir(outDir: string, force: boolean): Promise<void> {
  const existing = await stat(outDir).catch(() => null);
  if (existing && !existing.isDirectory()) throw new AppError('invalid_request', `${outDir} exists and is not a directory`);
  if (existing && (await readdir(outDir)).length > 0) {
    if (!force) throw new AppError('invalid_request', `${outDir} is not empty (use --force to replace its content)`);
    await rm(outDir, { recursive: true, force: true });
  }
  await mkdir(outDir, { recursive: true });
}
