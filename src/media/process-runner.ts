import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { abortReason } from '../errors.js';

/** One run of an external binary (ffmpeg, ffprobe, nginx -v). */
export interface ProcessRunOptions {
  /** A path, or a name looked up on PATH. */
  readonly binary: string;
  readonly args: readonly string[];
  /** Above 0, runs `nice -n <nice> <binary> …`: nice execs the binary, so the pid and the name stay the binary's. */
  readonly nice?: number;
  /** Aborting kills the process (SIGKILL); the run rejects with the abort reason once it has exited. */
  readonly signal?: AbortSignal;
  /** Kills the process (SIGKILL) after this long; the result says `killedBy: 'timeout'`. */
  readonly timeoutMs?: number;
  /** stdout is kept up to this many bytes (0, the default: not read); more kills the process (`killedBy: 'maxBuffer'`). */
  readonly maxStdoutBytes?: number;
  /** How many of the last non-empty stderr lines the result keeps; 50 by default. */
  readonly stderrTailLines?: number;
  /** Each non-empty stderr line as it arrives; `\r` ends a line too, as FFmpeg rewrites its progress line with it. */
  readonly onStderrLine?: (line: string) => void;
  /** Called once the process exists. */
  readonly onSpawn?: (pid: number) => void;
}

/** How a run ended. A failure to start is a result too (`errno`); only an abort rejects. */
export interface ProcessResult {
  /** Exit status; null when killed by a signal or never started. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Why the binary could not be started (ENOENT, EACCES, EAGAIN), else null. */
  readonly errno: string | null;
  /** Set when the runner killed the process itself. */
  readonly killedBy: 'timeout' | 'maxBuffer' | null;
  readonly stdout: string;
  readonly stderrTail: readonly string[];
}

const DEFAULT_TAIL_LINES = 50;
/** A "line" longer than this (no newline in sight) is cut, so a chatty binary cannot grow memory. */
const MAX_LINE_CHARS = 64 * 1024;
/** nice(1) exit statuses (POSIX): the command was found but could not be run, or was not found. */
const NICE_ERRNO: Readonly<Record<number, string>> = { 126: 'EACCES', 127: 'ENOENT' };

/**
 * Runs a binary with node's spawn (no shell) and resolves when it has exited and its pipes are
 * closed, whatever the exit status: callers decide what a status means. Rejects only on abort.
 */
export function runProcess(options: ProcessRunOptions): Promise<ProcessResult> {
  const { signal } = options;
  const what = `${path.basename(options.binary)} run`;
  if (signal?.aborted === true) return Promise.reject(abortReason(signal, what));
  return new Promise((resolve, reject) => {
    const { child, niced } = spawnChild(options);
    let killedBy: ProcessResult['killedBy'] = null;
    const kill = (why: ProcessResult['killedBy']): void => {
      killedBy ??= why;
      child.kill('SIGKILL');
    };
    const stdout = collectStdout(child, options.maxStdoutBytes ?? 0, () => kill('maxBuffer'));
    const stderr = new LineTail(options.stderrTailLines ?? DEFAULT_TAIL_LINES, options.onStderrLine);
    child.stderr?.on('data', (chunk: Buffer) => stderr.write(chunk));
    const onAbort = (): void => kill(null);
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = options.timeoutMs === undefined ? null : setTimeout(() => kill('timeout'), options.timeoutMs);
    let settled = false;
    const finish = (exit: Pick<ProcessResult, 'exitCode' | 'signal' | 'errno'>): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted === true) return reject(abortReason(signal, what));
      resolve({ ...exit, killedBy, stdout: stdout.text(), stderrTail: stderr.end() });
    };
    // 'error' without a pid: the spawn itself failed ('close' follows). Once started, 'close' ends the run.
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (child.pid === undefined) finish({ exitCode: null, signal: null, errno: err.code ?? 'UNKNOWN' });
    });
    child.on('close', (code, sig) => {
      finish({ exitCode: code, signal: sig, errno: niced && code !== null ? (NICE_ERRNO[code] ?? null) : null });
    });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
  });
}

/** Spawns the binary, through nice(1) when asked; stdout is only piped when it is kept. */
function spawnChild(options: ProcessRunOptions): { child: ChildProcess; niced: boolean } {
  const niced = (options.nice ?? 0) > 0;
  const [file, args] = niced
    ? ['nice', ['-n', String(options.nice), options.binary, ...options.args]]
    : [options.binary, [...options.args]];
  const stdout = (options.maxStdoutBytes ?? 0) > 0 ? 'pipe' : 'ignore';
  return { child: spawn(file, args, { stdio: ['ignore', stdout, 'pipe'] }), niced };
}

/** "exited with code 1", "was killed by SIGKILL", "timed out", "could not start (ENOENT)". For messages. */
export function describeExit(result: ProcessResult): string {
  if (result.errno !== null) return `could not start (${result.errno})`;
  if (result.killedBy === 'timeout') return 'timed out';
  if (result.killedBy === 'maxBuffer') return 'printed more output than allowed';
  if (result.signal !== null) return `was killed by ${result.signal}`;
  return `exited with code ${String(result.exitCode)}`;
}

/** Whether the run exited 0 on its own. */
export function succeeded(result: ProcessResult): boolean {
  return result.exitCode === 0 && result.errno === null && result.killedBy === null;
}

function collectStdout(child: ChildProcess, maxBytes: number, onOverflow: () => void): { text: () => string } {
  const chunks: Buffer[] = [];
  let bytes = 0;
  child.stdout?.on('data', (chunk: Buffer) => {
    if (bytes > maxBytes) return;
    bytes += chunk.length;
    if (bytes > maxBytes) onOverflow();
    else chunks.push(chunk);
  });
  return { text: () => Buffer.concat(chunks).toString('utf8') };
}

/** Splits stderr into lines (\n, \r\n or \r), hands each to a callback and keeps the last few. */
class LineTail {
  private readonly decoder = new StringDecoder('utf8');
  private readonly lines: string[] = [];
  private partial = '';

  constructor(
    private readonly keep: number,
    private readonly onLine?: (line: string) => void,
  ) {}

  write(chunk: Buffer): void {
    const parts = (this.partial + this.decoder.write(chunk)).split(/\r\n|\r|\n/);
    this.partial = parts.pop() ?? '';
    if (this.partial.length > MAX_LINE_CHARS) {
      parts.push(this.partial.slice(0, MAX_LINE_CHARS));
      this.partial = '';
    }
    for (const line of parts) this.add(line);
  }

  /** Flushes the last, unterminated line and returns the tail. */
  end(): string[] {
    this.add(this.partial + this.decoder.end());
    this.partial = '';
    return this.lines;
  }

  private add(line: string): void {
    if (line.trim() === '') return;
    this.onLine?.(line);
    if (this.keep <= 0) return;
    this.lines.push(line);
    if (this.lines.length > this.keep) this.lines.shift();
  }
}
