import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { verifyPasswordHash } from '../../src/http/admin/password-hash.js';

const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
const TSX = import.meta.resolve('tsx');

/** `video-compressor hash-password` with `input` piped on stdin. */
function hashPasswordCli(input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, 'hash-password'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('video-compressor hash-password', () => {
  it('reads the password on stdin and prints an ADMIN_PASSWORD_HASH line that verifies', async () => {
    const { code, stdout } = await hashPasswordCli('correct horse battery staple\n');
    assert.equal(code, 0);
    const match = /^ADMIN_PASSWORD_HASH=(scrypt:17:8:1:\S+)\n$/.exec(stdout);
    assert.ok(match, stdout);
    assert.ok(await verifyPasswordHash('correct horse battery staple', match[1]!), 'the trailing newline is not part of the password');
    assert.ok(!stdout.includes('correct horse'), 'the password is not echoed');
  });

  it('refuses a short password', async () => {
    const { code, stdout, stderr } = await hashPasswordCli('short\n');
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /at least 12 characters/);
  });
});
