/** Real processes (sh, sleep, yes, nice, ffmpeg): how the one process runner reports each way a run ends. */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppError, isAppError } from '../../src/errors.js';
import { describeExit, runProcess, succeeded } from '../../src/media/process-runner.js';
import { FFMPEG } from '../helpers/media-fixtures.js';
import { alive } from '../helpers/process-alive.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vc-process-runner-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const sh = (script: string): { binary: string; args: string[] } => ({ binary: 'sh', args: ['-c', script] });

describe('runProcess: exits', () => {
  it('resolves with the exit code, stdout and the stderr tail, whatever the status', async () => {
    const result = await runProcess({ ...sh('echo out; echo one >&2; printf "two\\rthree\\r\\nfour" >&2; exit 3'), maxStdoutBytes: 1024 });
    assert.equal(result.exitCode, 3);
    assert.equal(result.signal, null);
    assert.equal(result.errno, null);
    assert.equal(result.killedBy, null);
    assert.equal(result.stdout, 'out\n');
    assert.deepEqual(result.stderrTail, ['one', 'two', 'three', 'four'], '\\r ends a line, the unterminated last line is kept');
    assert.equal(succeeded(result), false);
    assert.equal(describeExit(result), 'exited with code 3');
  });

  it('keeps only the last lines of stderr, yet hands every non-empty line to the callback', async () => {
    const lines: string[] = [];
    const result = await runProcess({
      ...sh('i=0; while [ $i -lt 200 ]; do echo "line $i" >&2; echo >&2; i=$((i+1)); done'),
      stderrTailLines: 3,
      onStderrLine: (l) => lines.push(l),
    });
    assert.ok(succeeded(result));
    assert.deepEqual(result.stderrTail, ['line 197', 'line 198', 'line 199']);
    assert.equal(lines.length, 200);
    assert.equal(result.stdout, '', 'stdout is not read unless asked for');
  });

  it('reports a binary that is missing or not executable by errno, directly and through nice', async () => {
    const notExecutable = path.join(dir, 'not-executable');
    await writeFile(notExecutable, '#!/bin/sh\nexit 0\n');
    await chmod(notExecutable, 0o644);
    for (const nice of [0, 5]) {
      const missing = await runProcess({ binary: path.join(dir, 'missing'), args: [], nice });
      assert.equal(missing.errno, 'ENOENT', `nice ${nice}`);
      assert.equal(describeExit(missing), 'could not start (ENOENT)');
      assert.equal((await runProcess({ binary: notExecutable, args: [], nice })).errno, 'EACCES', `nice ${nice}`);
    }
  });

  it('runs through nice(1) at the given level', async () => {
    const result = await runProcess({ binary: 'nice', args: [], nice: 7, maxStdoutBytes: 64 });
    assert.equal(Number(result.stdout.trim()), Math.min(19, os.getPriority() + 7));
  });
});

describe('runProcess: kills', () => {
  it('kills a run over its time limit', async () => {
    const started = Date.now();
    const result = await runProcess({ binary: 'sleep', args: ['10'], timeoutMs: 200 });
    assert.equal(result.killedBy, 'timeout');
    assert.equal(result.signal, 'SIGKILL');
    assert.equal(describeExit(result), 'timed out');
    assert.ok(Date.now() - started < 5000);
  });

  it('kills a run that prints more than maxStdoutBytes, keeping no more than that', async () => {
    const result = await runProcess({ binary: 'yes', args: [], maxStdoutBytes: 10_000 });
    assert.equal(result.killedBy, 'maxBuffer');
    assert.equal(result.signal, 'SIGKILL');
    assert.ok(result.stdout.length <= 10_000, `${result.stdout.length} bytes kept`);
    assert.equal(succeeded(result), false);
  });

  it('on abort, kills the process and rejects with the reason once it is gone', async () => {
    const controller = new AbortController();
    const reason = new AppError('shutdown', 'The daemon is shutting down.');
    let pid = 0;
    const run = runProcess({
      binary: 'sleep',
      args: ['10'],
      signal: controller.signal,
      onSpawn: (p) => {
        pid = p;
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(pid > 0 && alive(pid));
    controller.abort(reason);
    await assert.rejects(run, (err) => err === reason);
    assert.equal(alive(pid), false);
  });

  it('rejects with AppError cancelled for a reason that is not an Error, and spawns nothing once aborted', async () => {
    const controller = new AbortController();
    controller.abort('user clicked cancel');
    let spawned = false;
    const run = runProcess({
      binary: 'sleep',
      args: ['10'],
      signal: controller.signal,
      onSpawn: () => {
        spawned = true;
      },
    });
    await assert.rejects(run, (err) => isAppError(err, 'cancelled') && err.context.reason === 'user clicked cancel');
    assert.equal(spawned, false);
  });
});

describe('runProcess: ffmpeg', () => {
  it('streams the \\r-separated progress lines of -stats as they come', async () => {
    const lines: string[] = [];
    const args = [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'warning',
      '-stats',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=64x64:rate=25:duration=1',
      '-f',
      'null',
      '-',
    ];
    const result = await runProcess({ binary: FFMPEG, args, onStderrLine: (l) => lines.push(l) });
    assert.ok(succeeded(result), describeExit(result));
    assert.ok(
      lines.some((l) => /^frame=\s*25\b/.test(l)),
      lines.join(' | '),
    );
  });

  it('reports a failing ffmpeg by its exit code, the error in the stderr tail', async () => {
    const result = await runProcess({
      binary: FFMPEG,
      args: ['-hide_banner', '-nostdin', '-i', path.join(dir, 'absent.mp4'), '-f', 'null', '-'],
    });
    assert.equal(result.exitCode, 1);
    assert.match(result.stderrTail.join('\n'), /No such file or directory/);
  });
});
