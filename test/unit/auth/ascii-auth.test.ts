// -Y auth file parsing and checks, and the pre-auth text gate (bytes captured from memcached -Y).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAsciiAuth, parseAuthFile } from '../../../src/auth/ascii-auth.js';
import { makeSession, makeTestContext } from '../../support/context.js';
import { feed } from '../../support/session-driver.js';

function tmpFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcts-auth-'));
  const file = path.join(dir, 'auth');
  fs.writeFileSync(file, text);
  return file;
}

function check(auth: ReturnType<typeof createAsciiAuth>, token: string): string {
  const buf = Buffer.from(token, 'latin1');
  return auth.check(buf, 0, buf.length);
}

test('parses user:pass lines, \\r\\n endings, at most 8 entries', () => {
  const lines = Array.from({ length: 10 }, (_, i) => `u${i}:p${i}`).join('\r\n') + '\r\n';
  const entries = parseAuthFile(Buffer.from(lines), 'x');
  assert.equal(entries.length, 8);
  assert.equal(entries[0]!.user.toString(), 'u0');
  assert.equal(entries[0]!.pass.toString(), 'p0');
  assert.throws(() => parseAuthFile(Buffer.from('nocolon\n'), 'x'), /malformed entry/);
  assert.throws(() => parseAuthFile(Buffer.from('a:b\n\nc:d\n'), 'x'), /malformed entry/);
});

test('check: ok, fail, format; a reload that fails drops every user until the file is fixed', () => {
  const file = tmpFile('alice:secret\nbob:pw2\n');
  const warnings: string[] = [];
  const auth = createAsciiAuth(file, (m) => warnings.push(m));
  assert.equal(check(auth, 'alice secret'), 'ok');
  assert.equal(check(auth, '  alice  secret '), 'ok');
  assert.equal(check(auth, 'bob pw2'), 'ok');
  assert.equal(check(auth, 'alice wrong'), 'fail');
  assert.equal(check(auth, 'alice secret\n'), 'fail');
  assert.equal(check(auth, 'alice'), 'format');
  fs.writeFileSync(file, 'carol:x\n');
  auth.reload();
  assert.equal(check(auth, 'carol x'), 'ok');
  assert.equal(check(auth, 'alice secret'), 'fail');
  assert.deepEqual(auth.status?.(), { state: 'loaded', users: 1 });
  fs.writeFileSync(file, 'broken\n');
  auth.reload();
  assert.equal(check(auth, 'carol x'), 'fail', 'fails closed (memcached would keep carol)');
  auth.reload();
  assert.equal(warnings.length, 1, 'said once per change');
  assert.ok(warnings[0]!.startsWith(`${file}: Authfile [${file}] has a malformed entry`), warnings[0]);
  assert.equal(auth.status?.().state, 'failed');
  fs.rmSync(file);
  fs.mkdirSync(file);
  auth.reload();
  assert.match(warnings[1] ?? '', /is a directory/);
  fs.rmdirSync(file);
  fs.writeFileSync(file, 'dave:y\n');
  auth.reload();
  assert.equal(check(auth, 'dave y'), 'ok');
  assert.match(warnings[2] ?? '', /usable now, 1 user$/);
  assert.throws(() => createAsciiAuth(path.join(path.dirname(file), 'missing')), { message: /^Could not open authfile \[.*missing\] for reading, error No such file or directory: No such file or directory$/ });
});

const GATE: [string, string][] = [
  ['version\r\n', 'CLIENT_ERROR unauthenticated\r\n'],
  ['set x 0 0 12\r\nalice secret\r\nversion\r\n', 'STORED\r\nVERSION 1.6.18\r\n'],
  // memcached reuses one response object before auth: only the last reply of a batch is sent.
  ['set x 0 0 11\r\nalice wrong\r\nversion\r\n', 'CLIENT_ERROR unauthenticated\r\n'],
  ['set x 0 0 11\r\nalice wrong\r\n', 'CLIENT_ERROR authentication failure\r\n'],
  ['set x 0 0 5\r\nalice\r\n', 'CLIENT_ERROR bad authentication token format\r\n'],
  ['set x 0 0 12\r\nalice secretXX', 'CLIENT_ERROR bad command line termination\r\n'],
  ['set x 0 0 12\r\nalice secretXX\r\n', 'CLIENT_ERROR unauthenticated\r\n'],
  ['set x 0 0 12 noreply\r\nalice secret\r\nversion\r\n', 'STORED\r\nVERSION 1.6.18\r\n'],
  ['set x a b 12\r\nalice secret\r\nget x\r\n', 'STORED\r\nEND\r\n'],
  ['version\r\nset x 0 0 7\r\nbob pw2\r\nversion\r\n', 'STORED\r\nVERSION 1.6.18\r\n'],
];

test('pre-auth gate replies as memcached -Y', () => {
  const auth = createAsciiAuth(tmpFile('alice:secret\nbob:pw2\n'));
  for (const [input, want] of GATE) {
    const ctx = makeTestContext({ settings: { bindingProtocol: 'ascii' }, asciiAuth: auth });
    const s = makeSession(ctx);
    assert.equal(feed(s, [Buffer.from(input, 'latin1')]).out.toString('latin1'), want, input);
    if (want.startsWith('STORED')) {
      assert.equal(ctx.counters.auth_cmds, 1);
      assert.equal(ctx.counters.auth_errors, 0);
    }
    ctx.store.close();
  }
});

test('pre-auth gate byte by byte', () => {
  const auth = createAsciiAuth(tmpFile('alice:secret\n'));
  const ctx = makeTestContext({ settings: { bindingProtocol: 'ascii' }, asciiAuth: auth });
  const s = makeSession(ctx);
  const input = Buffer.from('set x 0 0 12\r\nalice secret\r\nversion\r\n');
  const chunks = [...input].map((_, i) => input.subarray(i, i + 1));
  assert.equal(feed(s, chunks).out.toString(), 'STORED\r\nVERSION 1.6.18\r\n');
  ctx.store.close();
});
