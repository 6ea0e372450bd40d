import { fork, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { abortReason, AppError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { fromWireError, isChildMessage, type ChildMessage, type DownloadRequest } from './download-child-protocol.js';
import type { DownloadOptions, DownloadResult } from './download-types.js';
import { redactUrl } from './url-policy.js';

/**
 * The child's entry next to this module: download-child-main.js in the build, .ts when this module
 * itself runs from source under a loader (tsx), whose flags the child then needs too.
 */
const CHILD_MAIN = fileURLToPath(new URL(`./download-child-main${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
/** Node flags that load code (tsx's loader) are passed on; the rest (--inspect, heap sizes, --optimize-for-size) are not. */
const LOADER_FLAGS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);
/**
 * Starts the old generation's collection limit at 128 MB instead of the few MB a small heap gets.
 * Socket buffers in flight count against that limit: with it small, V8 ran a full mark-compact
 * every ~16 MB received (about 130 per 2 GiB); at 128 MB the young-generation
 * collections free them and no mark-compact runs. No memory is committed up front.
 */
const CHILD_V8_FLAGS = ['--initial-old-space-size=128'];
const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/** The loader flags of `execArgv`, with their values, in order. */
export function loaderFlags(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i += 1) {
    const arg = execArgv[i] ?? '';
    const [name = ''] = arg.split('=', 1);
    if (!LOADER_FLAGS.has(name)) continue;
    if (arg.includes('=')) kept.push(arg);
    else kept.push(arg, execArgv[(i += 1)] ?? '');
  }
  return kept;
}

/**
 * downloadSource in a short-lived child process: same options (but no `lookup` or
 * `isAllowedAddress`, which cannot cross a process boundary), result, AppError codes and log lines.
 * In the daemon, V8 collects the socket buffers of a large download with one full mark-compact
 * after another (docs/performance.md); in a fresh child with CHILD_V8_FLAGS it does not. Aborting the signal kills the child, removes the partial file and rejects
 * with the signal's reason; a child that dies without an answer is an `internal_error`.
 */
export async function downloadInChild(options: DownloadOptions): Promise<DownloadResult> {
  if (options.lookup || options.isAllowedAddress) {
    throw new TypeError('downloadInChild cannot pass lookup or isAllowedAddress to a child process: use downloadSource');
  }
  const started = performance.now();
  const state: RunState = { options, started, bytes: 0, outcome: null };
  try {
    if (options.signal?.aborted) throw abortReason(options.signal, 'download');
    return await runChild(state);
  } catch (err) {
    if (state.outcome?.type !== 'error') await failedHere(state, err);
    throw err;
  }
}

interface RunState {
  readonly options: DownloadOptions;
  readonly started: number;
  /** The last progress the child reported. */
  bytes: number;
  /** The child's answer, acted on once the child has exited. */
  outcome: Extract<ChildMessage, { type: 'result' | 'error' }> | null;
}

/** A failure the child could not report (aborted, killed, crashed): its file and log line are ours. */
async function failedHere(state: RunState, err: unknown): Promise<void> {
  const { options } = state;
  await rm(options.destPath, { force: true });
  const code = err instanceof AppError ? err.code : err instanceof Error ? err.name : 'unknown';
  const ms = Math.round(performance.now() - state.started);
  options.log.info({ url: redactUrl(options.url), code, bytes: state.bytes, ms }, 'source download failed');
}

function runChild(state: RunState): Promise<DownloadResult> {
  const { options } = state;
  const child = fork(CHILD_MAIN, [], {
    execArgv: [...loaderFlags(process.execArgv), ...CHILD_V8_FLAGS],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  });
  const onAbort = (): void => void child.kill('SIGKILL');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  child.on('message', (message: unknown) => {
    if (isChildMessage(message)) handleMessage(state, message);
  });
  const request: DownloadRequest = {
    type: 'start',
    url: options.url,
    destPath: options.destPath,
    config: options.config,
    // A plain copy: the IPC channel serialises own enumerable properties only.
    headers: options.headers ? { ...options.headers } : undefined,
    trustedHost: options.trustedHost,
    progressIntervalMs: options.progressIntervalMs,
    logLevel: options.log.level,
  };
  // A failed send means the child is gone: 'close' reports it.
  child.send(request, (err) => void err);
  return new Promise<DownloadResult>((resolve, reject) => {
    // 'close' comes after the exit and after the IPC channel has delivered its last message.
    child.once('close', () => resolve(outcomeOf(state, child)));
    // Without a pid the process never started, and no 'close' may follow.
    child.once('error', (err) => child.pid === undefined && reject(startFailure(err)));
  }).finally(() => options.signal?.removeEventListener('abort', onAbort));
}

function handleMessage(state: RunState, message: ChildMessage): void {
  const { options } = state;
  if (message.type === 'progress') {
    state.bytes = message.bytes;
    options.onProgress?.({ bytes: message.bytes, totalBytes: message.totalBytes });
  } else if (message.type === 'log') relog(options.log, message.line, state.started);
  else state.outcome = message;
}

/** What the exited child's run amounts to: its answer if it gave one, else the abort, else a crash. */
async function outcomeOf(state: RunState, child: ChildProcess): Promise<DownloadResult> {
  const { signal } = state.options;
  if (state.outcome?.type === 'result') return state.outcome.result;
  if (state.outcome?.type === 'error') throw fromWireError(state.outcome.error);
  if (signal?.aborted) throw abortReason(signal, 'download');
  const how = child.signalCode !== null ? `was killed by ${child.signalCode}` : `exited with code ${String(child.exitCode)}`;
  throw new AppError('internal_error', `The download process ${how} without an answer.`, {
    context: { url: redactUrl(state.options.url), bytes: state.bytes, exitCode: child.exitCode, signal: child.signalCode },
  });
}

function startFailure(err: Error): AppError {
  return new AppError('internal_error', `The download process could not start: ${err.message}`, { cause: err });
}

/**
 * Logs one of the child's records through the parent's logger (its redaction and job bindings
 * apply). `ms` becomes the whole download as the daemon saw it, the child's start-up included.
 */
function relog(log: Logger, line: string, started: number): void {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  const { level, msg, ...fields } = record;
  if (typeof level !== 'string' || !LOG_LEVELS.has(level)) return;
  if (typeof fields.ms === 'number') fields.ms = Math.round(performance.now() - started);
  log[level as 'info'](fields, typeof msg === 'string' ? msg : '');
}
