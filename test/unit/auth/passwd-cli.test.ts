// memcachedts-passwd (src/cli/passwd.ts), driven through main() with fake stdio, and once
// through bin/ to check the launcher.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PasswordAuthenticator } from '../../../src/auth/authenticator.js';
import { FilePasswordSource } from '../../../src/auth/password-source.js';
import { main } from '../../../src/cli/passwd.js';
import type { PasswdIo } from '../../../src/cli/passwd.js';
import { buildHashDb } from './bdb-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'memcachedts-passwd-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Run = { code: number; stdout: string; stderr: string };

async function run(argv: string[], stdin = ''): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: PasswdIo = {
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

let counter = 0;
const newFile = (): string => join(dir, `sub${++counter}`, 'passwd');

function verifier(file: string): PasswordAuthenticator {
  return new PasswordAuthenticator({
    sources: [new FilePasswordSource({ path: file, format: 'auto', hostname: 'h', logWarn: (m) => assert.fail(m) })],
  });
}

describe('memcachedts-passwd', () => {
  it('adds users from stdin or -p, creating the file 0600', async () => {
    const file = newFile();
    assert.equal((await run(['-f', file, 'add', 'alice'], 'from-stdin\nignored second line\n')).code, 0);
    assert.equal((await run(['add', 'bob', '-f', file, '-p', 'from-flag'])).code, 0);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const text = readFileSync(file, 'utf8');
    assert.ok(text.startsWith('# memcachedts-passwd v1\n'));
    assert.ok(!text.includes('from-stdin') && !text.includes('from-flag'), 'no plaintext in the file');
    const auth = verifier(file);
    assert.equal(auth.checkPlain('', 'alice', 'from-stdin'), true);
    assert.equal(auth.checkPlain('', 'bob', 'from-flag'), true);
    assert.equal(auth.checkPlain('', 'alice', 'from-flag'), false);
    assert.deepEqual(await run(['-f', file, 'list']), { code: 0, stdout: 'alice\nbob\n', stderr: '' });
  });

  it('strips CRLF from the stdin line', async () => {
    const file = newFile();
    await run(['-f', file, 'add', 'win'], 'pw\r\n');
    assert.equal(verifier(file).checkPlain('', 'win', 'pw'), true);
  });

  it('changes and deletes, keeping the file mode and leaving no temp files', async () => {
    const file = newFile();
    await run(['-f', file, '-p', 'one', 'add', 'alice']);
    await run(['-f', file, '-p', 'x', 'add', 'bob']);
    chmodSync(file, 0o640);
    assert.equal((await run(['-f', file, '-p', 'two', 'change', 'alice'])).code, 0);
    assert.equal(verifier(file).checkPlain('', 'alice', 'two'), true);
    assert.equal((await run(['-f', file, 'delete', 'bob'])).code, 0);
    assert.equal((await run(['-f', file, 'list'])).stdout, 'alice\n');
    assert.equal(statSync(file).mode & 0o777, 0o640);
    assert.deepEqual(readdirSync(dirname(file)), ['passwd']);
  });

  it('refuses duplicate adds, unknown users, and empty or prohibited input', async () => {
    const file = newFile();
    await run(['-f', file, '-p', 'pw', 'add', 'alice']);
    const before = readFileSync(file, 'utf8');
    for (const argv of [
      ['-f', file, '-p', 'pw', 'add', 'alice'],
      ['-f', file, '-p', 'pw', 'change', 'nobody'],
      ['-f', file, 'delete', 'nobody'],
      ['-f', file, '-p', '', 'add', 'carol'],
      ['-f', file, '-p', 'bad\u0007pw', 'add', 'carol'],
      ['-f', file, '-p', 'pw', 'add', 'with:colon'],
      ['-f', file, '-p', 'pw', 'add', '#comment'],
    ]) {
      const r = await run(argv);
      assert.equal(r.code, 1, argv.join(' '));
      assert.match(r.stderr, /^memcachedts-passwd: /);
    }
    assert.equal(readFileSync(file, 'utf8'), before);
  });

  it('refuses to edit a file of another format', async () => {
    const file = join(dir, 'a-sasldb');
    writeFileSync(file, buildHashDb({ pairs: [] }));
    const r = await run(['-f', file, '-p', 'pw', 'add', 'alice']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not a memcachedts-passwd file/);
  });

  it('prints usage and exits 64 on bad arguments', async () => {
    for (const argv of [[], ['frob'], ['add'], ['list', 'x'], ['-f'], ['--bogus', 'list'], ['add', 'a', 'b']]) {
      const r = await run(argv);
      assert.equal(r.code, 64, argv.join(' '));
      assert.match(r.stderr, /Usage: memcachedts-passwd/);
    }
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: memcachedts-passwd/);
  });

  it('runs from bin/memcachedts-passwd.js', () => {
    // dist/test/unit/auth/ → project root
    const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'bin', 'memcachedts-passwd.js');
    assert.ok(existsSync(bin), bin);
    const file = newFile();
    execFileSync(process.execPath, [bin, '-f', file, 'add', 'alice'], { input: 'pw\n', stdio: ['pipe', 'ignore', 'ignore'] });
    assert.equal(execFileSync(process.execPath, [bin, '-f', file, 'list'], { encoding: 'utf8' }), 'alice\n');
  });
});
