import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  detectPasswordFileFormat,
  fitsPlainPasswordFile,
  formatMemcachedtsPasswd,
  formatScryptHash,
  hashPassword,
  MEMCACHEDTS_PASSWD_HEADER,
  parseMemcachedtsPasswd,
  parsePlainPasswordFile,
  parseScryptHash,
  PasswordFileError,
  verifyScryptPassword,
} from '../../../src/auth/password-file.js';
import { buildHashDb } from './bdb-builder.js';

// Cheap scrypt parameters keep the tests fast; the defaults are checked once.
const FAST = { N: 1024, r: 8, p: 1 } as const;

describe('detectPasswordFileFormat', () => {
  it('finds the Berkeley DB magic at offset 12 in either byte order', () => {
    assert.equal(detectPasswordFileFormat(buildHashDb({ pairs: [] })), 'sasldb');
    assert.equal(detectPasswordFileFormat(buildHashDb({ pairs: [], littleEndian: false })), 'sasldb');
    const btree = Buffer.alloc(512);
    btree.writeUInt32BE(0x053162, 12);
    assert.equal(detectPasswordFileFormat(btree), 'sasldb'); // so the sasldb reader can say "not Hash"
  });

  it('recognises our header, with LF, CRLF or nothing after it', () => {
    for (const tail of ['\n', '\r\n', '']) {
      assert.equal(detectPasswordFileFormat(Buffer.from(MEMCACHEDTS_PASSWD_HEADER + tail)), 'memcachedts');
    }
    assert.equal(detectPasswordFileFormat(Buffer.from(MEMCACHEDTS_PASSWD_HEADER + 'x\n')), 'plain');
  });

  it('calls anything else plain', () => {
    assert.equal(detectPasswordFileFormat(Buffer.alloc(0)), 'plain');
    assert.equal(detectPasswordFileFormat(Buffer.from('alice:secret\nbob:pw\n')), 'plain');
  });
});

describe('parsePlainPasswordFile (MEMCACHED_SASL_PWDB)', () => {
  const parse = (text: string): Record<string, string> =>
    Object.fromEntries([...parsePlainPasswordFile(Buffer.from(text))].map(([u, p]) => [u, p.toString('utf8')]));

  it('ends the password at ":", "\\n", "\\r" or end of file', () => {
    assert.deepEqual(parse('a:one\nb:two:extra\nc:three\r\nd:four'), { a: 'one', b: 'two', c: 'three', d: 'four' });
  });

  it('keeps the first line of a user, skips lines without ":"', () => {
    assert.deepEqual(parse('# comment\nalice:first\n\nalice:second\nnocolon\n'), { alice: 'first' });
  });

  it('allows empty passwords and users as memcached does', () => {
    assert.deepEqual(parse('e:\n:p\n'), { e: '', '': 'p' });
  });

  it('cuts lines as fgets with a 256-byte buffer does', () => {
    const longPass = 'x'.repeat(300);
    const got = parse(`long:${longPass}\nnext:ok\n`);
    assert.equal(got['long'], 'x'.repeat(255 - 'long:'.length));
    assert.equal(got['next'], 'ok');
    // The rest of the long line is a line of its own; it has no ":" and is ignored.
    assert.deepEqual(Object.keys(got).sort(), ['long', 'next']);
  });

  it('checks memcached\'s user + password length limit', () => {
    assert.equal(fitsPlainPasswordFile('u'.repeat(100), 'p'.repeat(152)), true);
    assert.equal(fitsPlainPasswordFile('u'.repeat(100), 'p'.repeat(153)), false);
  });
});

describe('scrypt hashes', () => {
  it('round-trips and verifies', () => {
    const text = hashPassword('correct horse', FAST);
    assert.match(text, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    const parsed = parseScryptHash(text);
    assert.ok(parsed !== null);
    assert.equal(formatScryptHash(parsed), text);
    assert.equal(verifyScryptPassword(parsed, 'correct horse'), true);
    assert.equal(verifyScryptPassword(parsed, 'correct horsf'), false);
    assert.equal(verifyScryptPassword(parsed, ''), false);
  });

  it('uses N=16384, r=8, p=1, a 16-byte salt and a 32-byte hash by default', () => {
    const parsed = parseScryptHash(hashPassword('pw'));
    assert.ok(parsed !== null);
    assert.deepEqual([parsed.N, parsed.r, parsed.p, parsed.salt.length, parsed.hash.length], [16384, 8, 1, 16, 32]);
    assert.notEqual(hashPassword('pw', FAST), hashPassword('pw', FAST)); // fresh salt each time
  });

  it('rejects malformed or out-of-bounds parameters', () => {
    const salt = Buffer.alloc(16).toString('base64');
    const hash = Buffer.alloc(32).toString('base64');
    for (const bad of [
      '',
      'plain',
      `bcrypt$1024$8$1$${salt}$${hash}`,
      `scrypt$1000$8$1$${salt}$${hash}`, // N not a power of two
      `scrypt$${2 ** 21}$8$1$${salt}$${hash}`, // N too large
      `scrypt$1024$0$1$${salt}$${hash}`,
      `scrypt$1024$8$99$${salt}$${hash}`,
      `scrypt$1024$8$1$${salt}`,
      `scrypt$1024$8$1$${salt}$${hash}$x`,
      `scrypt$1024$8$1$!!$${hash}`,
      `scrypt$1024$8$1$${salt}$${Buffer.alloc(8).toString('base64')}`,
      `scrypt$01024$8$1$${salt}$${hash}`,
    ]) {
      assert.equal(parseScryptHash(bad), null, bad);
    }
  });
});

describe('memcachedts-passwd file', () => {
  it('formats and parses users', () => {
    const users = new Map([
      ['alice', hashPassword('a', FAST)],
      ['bob@realm', hashPassword('b', FAST)],
    ]);
    const text = formatMemcachedtsPasswd(users);
    assert.ok(text.startsWith(MEMCACHEDTS_PASSWD_HEADER + '\n'));
    assert.deepEqual(parseMemcachedtsPasswd(Buffer.from(text)), users);
  });

  it('skips blank and comment lines and accepts CRLF', () => {
    const h = hashPassword('a', FAST);
    const text = `${MEMCACHEDTS_PASSWD_HEADER}\r\n\r\n# note\r\nalice:${h}\r\n`;
    assert.deepEqual(parseMemcachedtsPasswd(Buffer.from(text)), new Map([['alice', h]]));
  });

  it('reports a line number, never the line', () => {
    const secretLooking = 'alice:hunter2';
    const cases = [
      [`nope\n`, 1],
      [`${MEMCACHEDTS_PASSWD_HEADER}\n${secretLooking}\n`, 2],
      [`${MEMCACHEDTS_PASSWD_HEADER}\n\nhunter2\n`, 3],
      [`${MEMCACHEDTS_PASSWD_HEADER}\na:${hashPassword('x', FAST)}\na:${hashPassword('y', FAST)}\n`, 3],
    ] as const;
    for (const [text, line] of cases) {
      assert.throws(
        () => parseMemcachedtsPasswd(Buffer.from(text)),
        (e: unknown) => e instanceof PasswordFileError && e.message.startsWith(`line ${line}:`) && !e.message.includes('hunter2'),
      );
    }
  });
});
