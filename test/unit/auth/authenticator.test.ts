import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PasswordAuthenticator } from '../../../src/auth/authenticator.js';
import { prepare } from '../../../src/auth/sasl-prepare.js';
import { formatMemcachedtsPasswd, hashPassword } from '../../../src/auth/password-file.js';
import { FilePasswordSource, MemoryPasswordSource } from '../../../src/auth/password-source.js';
import type { PasswordSource } from '../../../src/auth/password-source.js';
import { buildHashDb } from './bdb-builder.js';
import { requireSaslpasswd2, saslpasswd2Delete, saslpasswd2Set } from './sasl-tools.js';

const dir = mkdtempSync(join(tmpdir(), 'memcachedts-auth-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const HOST = 'cachehost';
let fileCounter = 0;
function tempFile(content: Buffer | string): string {
  const path = join(dir, `f${++fileCounter}`);
  writeFileSync(path, content);
  return path;
}

function sasldbBuffer(users: ReadonlyArray<readonly [string, string, string]>): Buffer {
  return buildHashDb({
    pairs: users.map(([user, realm, password]) => [Buffer.from(`${user}\0${realm}\0userPassword`), Buffer.from(password)] as const),
  });
}

function collectWarnings(): { warnings: string[]; logWarn: (msg: string) => void } {
  const warnings: string[] = [];
  return { warnings, logWarn: (msg) => warnings.push(msg) };
}

function fileSource(path: string, logWarn: (msg: string) => void = () => {}): FilePasswordSource {
  return new FilePasswordSource({ path, format: 'auto', hostname: HOST, logWarn });
}

describe('PasswordAuthenticator.checkPlain', () => {
  const auth = new PasswordAuthenticator({ sources: [new MemoryPasswordSource([['alice', 'secret'], ['bob', 'I\u00ADX']])] });

  it('offers PLAIN only', () => {
    assert.deepEqual(auth.mechanisms, ['PLAIN']);
    assert.deepEqual(new PasswordAuthenticator({ sources: [], mechanisms: ['CRAM-MD5', 'PLAIN', 'ANONYMOUS'] }).mechanisms, ['PLAIN']);
    assert.deepEqual(new PasswordAuthenticator({ sources: [], mechanisms: ['ANONYMOUS'] }).mechanisms, []);
  });

  it('accepts the right password and refuses others', () => {
    assert.equal(auth.checkPlain('', 'alice', 'secret'), true);
    assert.equal(auth.checkPlain('', 'alice', 'secreT'), false);
    assert.equal(auth.checkPlain('', 'alice', 'secret '), false);
    assert.equal(auth.checkPlain('', 'alice', ''), false);
    assert.equal(auth.checkPlain('', '', 'secret'), false);
    assert.equal(auth.checkPlain('', 'carol', 'secret'), false);
  });

  it('accepts an authzid equal to the user only', () => {
    assert.equal(auth.checkPlain('alice', 'alice', 'secret'), true);
    assert.equal(auth.checkPlain('bob', 'alice', 'secret'), false);
  });

  it('applies SASLprep to user and password', () => {
    assert.equal(auth.checkPlain('', 'bob', 'IX'), true); // soft hyphen maps to nothing
    assert.equal(auth.checkPlain('', 'b\u00ADob', 'I\u00ADX'), true);
    assert.equal(prepare('a\u00A0b'), 'a b'); // non-ASCII space maps to space
  });

  it('returns false, without throwing, for characters SASLprep prohibits', () => {
    assert.equal(auth.checkPlain('', 'alice', 'sec\u0007ret'), false);
    assert.equal(auth.checkPlain('', 'ali\u0000ce', 'secret'), false);
    assert.equal(auth.checkPlain('ali\u0000ce', 'alice', 'secret'), false);
    assert.equal(auth.checkPlain('', 'alice', '\u0627\u0031'), false); // bidi rule
  });

  it('refuses everything when PLAIN is not enabled', () => {
    const none = new PasswordAuthenticator({ sources: [new MemoryPasswordSource([['alice', 'secret']])], mechanisms: [] });
    assert.equal(none.checkPlain('', 'alice', 'secret'), false);
  });

  it('lets the first source that knows a user decide', () => {
    const first = new MemoryPasswordSource([['alice', 'one']]);
    const second = new MemoryPasswordSource([['alice', 'two'], ['bob', 'b']]);
    const a = new PasswordAuthenticator({ sources: [first, second] });
    assert.equal(a.checkPlain('', 'alice', 'one'), true);
    assert.equal(a.checkPlain('', 'alice', 'two'), false);
    assert.equal(a.checkPlain('', 'bob', 'b'), true);
  });

  it('fails closed when a source throws', () => {
    const broken: PasswordSource = {
      path: 'broken',
      errorCount: 0,
      reload: () => ({ state: 'absent' }),
      status: () => ({ state: 'absent' }),
      checkCram: () => undefined,
      check() {
        throw new Error('boom');
      },
    };
    assert.equal(new PasswordAuthenticator({ sources: [broken] }).checkPlain('', 'alice', 'secret'), false);
  });
});

describe('FilePasswordSource', () => {
  it('sasldb: a bare user means the server host name as realm; user@realm picks the realm', () => {
    const path = tempFile(sasldbBuffer([['alice', HOST, 'host-pw'], ['alice', 'other', 'other-pw'], ['bob', 'other', 'bob-pw']]));
    const auth = new PasswordAuthenticator({ sources: [fileSource(path)] });
    assert.equal(auth.checkPlain('', 'alice', 'host-pw'), true);
    assert.equal(auth.checkPlain('', `alice@${HOST}`, 'host-pw'), true);
    assert.equal(auth.checkPlain('', 'alice@other', 'other-pw'), true);
    assert.equal(auth.checkPlain('', 'alice@other', 'host-pw'), false);
    assert.equal(auth.checkPlain('', 'bob', 'bob-pw'), false); // realm mismatch (memcached#263)
    assert.equal(auth.checkPlain('', 'bob@other', 'bob-pw'), true);
  });

  it('sasldb: warns when no user is in the host name realm', () => {
    const { warnings, logWarn } = collectWarnings();
    fileSource(tempFile(sasldbBuffer([['alice', 'host.example.com', 'pw']])), logWarn);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /no user in realm "cachehost".*host\.example\.com/);
    assert.ok(!(warnings[0] ?? '').includes('pw)'));
  });

  it('sasldb: only userPassword counts', () => {
    const path = tempFile(buildHashDb({ pairs: [[Buffer.from(`carol\0${HOST}\0cmusaslsecretOTP`), Buffer.from('otp')]] }));
    assert.equal(new PasswordAuthenticator({ sources: [fileSource(path)] }).checkPlain('', 'carol', 'otp'), false);
  });

  it('plain file: the whole authcid is the user', () => {
    const path = tempFile('alice:pw1\nbob@x:pw2\n');
    const auth = new PasswordAuthenticator({ sources: [fileSource(path)] });
    assert.equal(auth.checkPlain('', 'alice', 'pw1'), true);
    assert.equal(auth.checkPlain('', 'bob@x', 'pw2'), true);
    assert.equal(auth.checkPlain('', 'bob', 'pw2'), false);
  });

  it('memcachedts file: verifies scrypt hashes', () => {
    const users = new Map([['alice', hashPassword('pw', { N: 1024, r: 8, p: 1 })]]);
    const path = tempFile(formatMemcachedtsPasswd(users));
    const auth = new PasswordAuthenticator({ sources: [fileSource(path)] });
    assert.equal(auth.checkPlain('', 'alice', 'pw'), true);
    assert.equal(auth.checkPlain('', 'alice', 'wrong'), false);
    assert.equal(auth.checkPlain('', 'nobody', 'pw'), false);
  });

  it('re-reads the file when it changes, without a reload', () => {
    const path = tempFile('alice:old\n');
    const auth = new PasswordAuthenticator({ sources: [fileSource(path)] });
    assert.equal(auth.checkPlain('', 'alice', 'old'), true);
    writeFileSync(path, 'alice:newer\n');
    assert.equal(auth.checkPlain('', 'alice', 'old'), false);
    assert.equal(auth.checkPlain('', 'alice', 'newer'), true);
  });

  it('a removed file revokes everyone', () => {
    const path = tempFile('alice:pw\n');
    const { warnings, logWarn } = collectWarnings();
    const auth = new PasswordAuthenticator({ sources: [fileSource(path, logWarn)] });
    assert.equal(auth.checkPlain('', 'alice', 'pw'), true);
    unlinkSync(path);
    assert.equal(auth.checkPlain('', 'alice', 'pw'), false);
    assert.equal(auth.checkPlain('', 'alice', 'pw'), false);
    assert.equal(warnings.length, 1, 'one warning for the missing file');
  });

  // Issue #14 C: a file that cannot be read or parsed authenticates nobody until it can; the
  // users loaded before it broke must not keep working.
  describe('fails closed', () => {
    const cases: Array<{ name: string; good: () => Buffer | string; user: string; pass: string; breakIt: (path: string) => void; reason: RegExp }> = [
      {
        name: 'a sasldb cut short',
        good: () => sasldbBuffer([['alice', HOST, 'topsecret']]),
        user: 'alice',
        pass: 'topsecret',
        breakIt: (path) => writeFileSync(path, sasldbBuffer([['alice', HOST, 'topsecret']]).subarray(0, 5000)),
        reason: /truncated/,
      },
      {
        name: 'a sasldb with a corrupted page',
        good: () => sasldbBuffer([['alice', HOST, 'topsecret']]),
        user: 'alice',
        pass: 'topsecret',
        breakIt: (path) => {
          const corrupt = sasldbBuffer([['alice', HOST, 'topsecret2']]);
          corrupt[4096 + 25] = 99; // the bucket page's type byte
          writeFileSync(path, corrupt);
        },
        reason: /page 1/,
      },
      {
        name: 'a directory in place of the file',
        good: () => 'alice:pw\n',
        user: 'alice',
        pass: 'pw',
        breakIt: (path) => {
          unlinkSync(path);
          mkdirSync(path);
        },
        reason: /is a directory/,
      },
      {
        name: 'a file removed after it existed',
        good: () => 'alice:pw\n',
        user: 'alice',
        pass: 'pw',
        breakIt: (path) => unlinkSync(path),
        reason: /not found/,
      },
      {
        name: 'an scrypt file with one malformed line',
        good: () => formatMemcachedtsPasswd(new Map([['alice', hashPassword('pw', { N: 1024, r: 8, p: 1 })]])),
        user: 'alice',
        pass: 'pw',
        breakIt: (path) => {
          const users = new Map([['alice', hashPassword('pw', { N: 1024, r: 8, p: 1 })]]);
          writeFileSync(path, formatMemcachedtsPasswd(users) + 'bob:scrypt$oops\n');
        },
        reason: /line 3: bad password hash/,
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const path = tempFile(c.good());
        const { warnings, logWarn } = collectWarnings();
        const source = fileSource(path, logWarn);
        const auth = new PasswordAuthenticator({ sources: [source] });
        assert.equal(auth.checkPlain('', c.user, c.pass), true);
        assert.deepEqual(source.status(), { state: 'loaded', users: 1 });
        c.breakIt(path);
        assert.equal(auth.checkPlain('', c.user, c.pass), false, 'the old password stops working at once');
        assert.equal(auth.checkPlain('', c.user, c.pass), false);
        const status = source.status();
        assert.equal(status.state, 'failed');
        assert.match(status.state === 'failed' ? status.reason : '', c.reason);
        auth.reload(); // SIGHUP: the same failure is not said (or counted) again
        assert.equal(auth.checkPlain('', c.user, c.pass), false);
        assert.equal(warnings.length, 1, warnings.join('\n'));
        assert.ok(warnings[0]!.startsWith(path + ': '), 'the warning names the file');
        assert.match(warnings[0]!, c.reason);
        assert.match(warnings[0]!, /no one can authenticate with this file/);
        for (const w of warnings) assert.ok(!w.includes(c.pass + '2') && !w.includes('topsecret'), w);
        assert.equal(source.errorCount, 1);
        assert.equal(auth.sourceErrors(), 1);
      });
    }

    it('takes the file back once it is fixed, and says so', () => {
      const path = tempFile('alice:pw\n');
      const { warnings, logWarn } = collectWarnings();
      const source = fileSource(path, logWarn);
      const auth = new PasswordAuthenticator({ sources: [source] });
      unlinkSync(path);
      mkdirSync(path);
      assert.equal(auth.checkPlain('', 'alice', 'pw'), false);
      rmSync(path, { recursive: true });
      writeFileSync(path, 'alice:new\nbob:b\n');
      assert.equal(auth.checkPlain('', 'alice', 'new'), true);
      assert.equal(auth.checkPlain('', 'alice', 'pw'), false);
      assert.deepEqual(source.status(), { state: 'loaded', users: 2 });
      assert.equal(warnings.length, 2);
      assert.match(warnings[1]!, /usable now, 2 users/);
      // A second, different failure is a new error.
      writeFileSync(path, '');
      unlinkSync(path);
      assert.equal(auth.checkPlain('', 'bob', 'b'), false);
      assert.equal(source.errorCount, 2);
    });

    it('a failing source knows nobody: the next source still decides (as Cyrus falls back after the PWDB callback)', () => {
      const broken = tempFile('x');
      rmSync(broken);
      mkdirSync(broken);
      const good = tempFile('bob:b\n');
      const auth = new PasswordAuthenticator({ sources: [fileSource(broken), fileSource(good)] });
      assert.equal(auth.checkPlain('', 'bob', 'b'), true);
      assert.deepEqual(
        auth.sources().map((r) => r.status.state),
        ['failed', 'loaded'],
      );
    });

    it('a file emptied (cut to 0 bytes) holds no users, and says so', () => {
      const path = tempFile(sasldbBuffer([['alice', HOST, 'topsecret']]));
      const { warnings, logWarn } = collectWarnings();
      const source = fileSource(path, logWarn);
      writeFileSync(path, '');
      assert.equal(source.check(`alice`, 'topsecret'), undefined);
      assert.deepEqual(source.status(), { state: 'loaded', users: 0 });
      assert.deepEqual(warnings, [`${path}: holds no users`]);
    });

    it('an optional source that is absent is no error', () => {
      const { warnings, logWarn } = collectWarnings();
      const source = new FilePasswordSource({ path: join(dir, 'never-there'), format: 'auto', hostname: HOST, logWarn, missingOk: true });
      assert.equal(source.check('alice', 'pw'), undefined);
      assert.deepEqual(source.status(), { state: 'absent' });
      assert.equal(source.errorCount, 0);
      assert.deepEqual(warnings, []);
    });
  });

  it('refuses a binary file of unknown format instead of reading it as user:password lines', () => {
    const { warnings, logWarn } = collectWarnings();
    const path = tempFile(Buffer.concat([Buffer.from('x:y\n'), Buffer.alloc(100)]));
    const auth = new PasswordAuthenticator({ sources: [fileSource(path, logWarn)] });
    assert.equal(auth.checkPlain('', 'x', 'y'), false);
    assert.equal(warnings.length, 1);
  });

  it('works on a sasldb written by saslpasswd2, including changes made while running', (t) => {
    const tool = requireSaslpasswd2(t);
    if (tool === null) return;
    const path = join(dir, 'live-sasldb2');
    saslpasswd2Set(tool, path, 'alice', 'secret', HOST);
    saslpasswd2Set(tool, path, 'bob', 'b0b', 'elsewhere');
    const auth = new PasswordAuthenticator({ sources: [fileSource(path)] });
    assert.equal(auth.checkPlain('', 'alice', 'secret'), true);
    assert.equal(auth.checkPlain('', 'bob@elsewhere', 'b0b'), true);
    saslpasswd2Set(tool, path, 'carol', 'c4rol', HOST);
    saslpasswd2Delete(tool, path, 'alice', HOST);
    assert.equal(auth.checkPlain('', 'carol', 'c4rol'), true);
    assert.equal(auth.checkPlain('', 'alice', 'secret'), false);
  });
});
