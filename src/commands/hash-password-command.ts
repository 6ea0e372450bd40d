import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { hashPassword } from '../http/admin/password-hash.js';

const MIN_LENGTH = 12;

/**
 * `video-compressor hash-password`: prints an ADMIN_PASSWORD_HASH line for .env. The password is
 * read from standard input (typed without echo on a terminal, or piped), never from the command
 * line, where it would land in the shell history and the process list.
 */
export async function runHashPassword(): Promise<number> {
  const password = process.stdin.isTTY ? await promptHidden('Admin password: ') : await readPiped();
  if (password.length < MIN_LENGTH) {
    console.error(`The password must be at least ${MIN_LENGTH} characters.`);
    return 2;
  }
  console.log(`ADMIN_PASSWORD_HASH=${await hashPassword(password)}`);
  return 0;
}

async function readPiped(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // `echo secret | …` adds a newline that is not part of the password.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function promptHidden(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}
