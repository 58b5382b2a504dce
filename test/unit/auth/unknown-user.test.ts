// Issue #14 E: checking an unknown user costs the same work as a known one. Each file source
// answers lookup() for an unknown user with a stand-in of the kind it stores (digest or scrypt)
// that never matches, and the authenticator checks it like a real entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FilePasswordSource, MemoryPasswordSource, type PasswordSource } from '../../../src/auth/password-source.js';
import { PasswordAuthenticator } from '../../../src/auth/authenticator.js';
import { formatMemcachedtsPasswd, hashPassword } from '../../../src/auth/password-file.js';
import { makeTempDir } from '../../support/temp-dir.js';

function source(content: string): FilePasswordSource {
  const dir = makeTempDir('memcachedts-unknown-');
  const file = path.join(dir, 'passwd');
  fs.writeFileSync(file, content);
  return new FilePasswordSource({ path: file, format: 'auto', hostname: 'vm', logWarn: () => {} });
}

test('plain file: an unknown user is checked against a digest stand-in, like a known one', async () => {
  const src = source('alice:secret\n');
  const known = src.lookup('alice');
  const unknown = src.lookup('mallory');
  assert.equal(known?.kind, 'digest');
  assert.equal(known?.isKnown, true);
  assert.equal(unknown?.kind, 'digest');
  assert.equal(unknown?.isKnown, false);
  assert.equal(src.check('mallory', 'secret'), undefined);
  const auth = new PasswordAuthenticator({ sources: [src] });
  assert.equal(await auth.verifyPlain('', 'alice', 'secret'), true);
  assert.equal(await auth.verifyPlain('', 'alice', 'wrong'), false);
  assert.equal(await auth.verifyPlain('', 'mallory', 'secret'), false);
});

test('memcachedts-passwd file: an unknown user costs one scrypt, as a known one does', async () => {
  const src = source(formatMemcachedtsPasswd(new Map([['alice', hashPassword('secret', { N: 1024 })]])));
  assert.equal(src.lookup('alice')?.kind, 'scrypt');
  const unknown = src.lookup('mallory');
  assert.equal(unknown?.kind, 'scrypt');
  assert.equal(unknown?.isKnown, false);
  const auth = new PasswordAuthenticator({ sources: [src] });
  assert.equal(await auth.verifyPlain('', 'alice', 'secret'), true);
  assert.equal(await auth.verifyPlain('', 'mallory', 'secret'), false);
});

test('every source is consulted (the first that knows the user decides)', async () => {
  const first = new MemoryPasswordSource([['alice', 'one']]);
  const second = new MemoryPasswordSource([['alice', 'two'], ['bob', 'b']]);
  let lookups = 0;
  const counting: PasswordSource = {
    path: 'count',
    reload: () => second.status(),
    status: () => second.status(),
    errorCount: 0,
    check: () => undefined,
    checkCram: () => undefined,
    lookup: (u: string) => (lookups++, second.lookup(u)),
  };
  const auth = new PasswordAuthenticator({ sources: [first, counting] });
  assert.equal(await auth.verifyPlain('', 'alice', 'one'), true);
  assert.equal(await auth.verifyPlain('', 'alice', 'two'), false);
  assert.equal(await auth.verifyPlain('', 'bob', 'b'), true);
  assert.equal(lookups, 3, 'the second source was asked even when the first knew the user');
});
