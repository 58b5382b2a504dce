import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  createSaslAuthenticator,
  DEFAULT_SASLDB_PATH,
  findSaslConfig,
  locateSaslConfig,
  parseSaslConfig,
} from '../../../src/auth/sasl-conf.js';
import { ConfigError } from '../../../src/errors.js';
import { buildHashDb } from './bdb-builder.js';
import { createHmac } from 'node:crypto';
import { formatMemcachedtsPasswd, hashPassword } from '../../../src/auth/password-file.js';

const root = mkdtempSync(join(tmpdir(), 'memcachedts-saslconf-'));
after(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
/** A fresh directory holding memcached.conf with `text`; returns [dir, file]. */
function confDir(text: string): [string, string] {
  const dir = join(root, `c${++counter}`);
  mkdirSync(dir);
  const file = join(dir, 'memcached.conf');
  writeFileSync(file, text);
  return [dir, file];
}

const NO_DEFAULTS: readonly string[] = [];

describe('locateSaslConfig', () => {
  it('takes SASL_CONF_PATH as a directory holding memcached.conf', () => {
    const [dir, file] = confDir('mech_list: plain\n');
    assert.equal(locateSaslConfig({ SASL_CONF_PATH: dir }, NO_DEFAULTS), file);
  });

  it('takes SASL_CONF_PATH as the file itself', () => {
    const [, file] = confDir('mech_list: plain\n');
    assert.equal(locateSaslConfig({ SASL_CONF_PATH: file }, NO_DEFAULTS), file);
  });

  it('takes SASL_CONF_PATH as a ":" list, first hit wins', () => {
    const empty = join(root, `empty${++counter}`);
    mkdirSync(empty);
    const [dir, file] = confDir('');
    assert.equal(locateSaslConfig({ SASL_CONF_PATH: `${empty}::${dir}` }, NO_DEFAULTS), file);
  });

  it('falls back to the default locations in order', () => {
    const [, first] = confDir('');
    const [, second] = confDir('');
    const missing = join(root, 'missing', 'memcached.conf');
    assert.equal(locateSaslConfig({}, [missing, second, first]), second);
    assert.equal(locateSaslConfig({ SASL_CONF_PATH: join(root, 'nowhere') }, [first]), first);
    assert.equal(locateSaslConfig({ SASL_CONF_PATH: '' }, [missing]), null);
  });

  it('does not take a directory for the file', () => {
    const dir = join(root, `d${++counter}`, 'memcached.conf');
    mkdirSync(dir, { recursive: true });
    assert.equal(locateSaslConfig({}, [dir]), null);
  });
});

describe('parseSaslConfig', () => {
  it('reads Cyrus key: value lines as strings', () => {
    const text = '# SASL for memcached\nmech_list: plain\nsasldb_path: /etc/sasldb2\nlog_level: 7\npwcheck_method: auxprop\n';
    assert.deepEqual({ ...parseSaslConfig(text) }, {
      mech_list: 'plain',
      sasldb_path: '/etc/sasldb2',
      log_level: '7',
      pwcheck_method: 'auxprop',
    });
  });

  it('keeps YAML-special values as text', () => {
    assert.deepEqual({ ...parseSaslConfig('a: ~\nb: 012\nc: yes\nd: null\n') }, { a: '~', b: '012', c: 'yes', d: 'null' });
  });

  it('falls back to the line parser where YAML fails, first key winning', () => {
    const text = 'sql_passwd: @weird%value\nmech_list: plain\nmech_list: login\n  indented: x\n';
    assert.deepEqual({ ...parseSaslConfig(text) }, { sql_passwd: '@weird%value', mech_list: 'plain', indented: 'x' });
  });

  it('reads an empty file or one with comments only', () => {
    assert.deepEqual({ ...parseSaslConfig('') }, {});
    assert.deepEqual({ ...parseSaslConfig('# nothing\n\n') }, {});
  });
});

describe('findSaslConfig', () => {
  it('applies defaults', () => {
    const [dir, file] = confDir('# empty\n');
    assert.deepEqual(findSaslConfig({ SASL_CONF_PATH: dir }, NO_DEFAULTS), {
      path: file,
      mechList: ['PLAIN'],
      sasldbPath: DEFAULT_SASLDB_PATH,
      logLevel: 1,
      options: Object.assign(Object.create(null) as object, {}),
    });
  });

  it('upper-cases and splits mech_list', () => {
    const [dir] = confDir('mech_list:  plain   cram-md5\tscram-sha-1\nsasldb_path: /srv/sasldb2\nlog_level: 5\n');
    const config = findSaslConfig({ SASL_CONF_PATH: dir }, NO_DEFAULTS);
    assert.ok(config !== null);
    assert.deepEqual(config.mechList, ['PLAIN', 'CRAM-MD5', 'SCRAM-SHA-1']);
    assert.equal(config.sasldbPath, '/srv/sasldb2');
    assert.equal(config.logLevel, 5);
  });

  it('returns null when nothing is found', () => {
    assert.equal(findSaslConfig({}, NO_DEFAULTS), null);
  });
});

describe('createSaslAuthenticator', () => {
  it('throws "Failed to locate a config path" without a config', () => {
    assert.throws(
      () => createSaslAuthenticator({}, () => {}, { defaultConfigPaths: NO_DEFAULTS }),
      (e: unknown) => e instanceof ConfigError && e.message === 'Failed to locate a config path' && e.exitCode === 1,
    );
  });

  it('authenticates from sasldb_path with the host name as default realm', () => {
    const db = join(root, `sasldb${++counter}`);
    writeFileSync(db, buildHashDb({ pairs: [[Buffer.from('alice\0myhost\0userPassword'), Buffer.from('secret')]] }));
    const [dir, file] = confDir(`mech_list: plain\nsasldb_path: ${db}\n`);
    const warnings: string[] = [];
    const setup = createSaslAuthenticator({ SASL_CONF_PATH: dir }, (m) => warnings.push(m), { hostname: 'myhost' });
    assert.equal(setup.configPath, file);
    assert.deepEqual(setup.authenticator.mechanisms, ['PLAIN']);
    assert.equal(setup.authenticator.checkPlain('', 'alice', 'secret'), true);
    assert.equal(setup.authenticator.checkPlain('', 'alice', 'wrong'), false);
    assert.deepEqual(warnings, []);
  });

  it('never offers ANONYMOUS and warns about mechanisms it lacks', () => {
    const [dir] = confDir(`mech_list: anonymous digest-md5\nsasldb_path: ${join(root, 'none')}\n`);
    const warnings: string[] = [];
    const { authenticator } = createSaslAuthenticator({ SASL_CONF_PATH: dir }, (m) => warnings.push(m));
    assert.deepEqual(authenticator.mechanisms, []);
    assert.ok(warnings.some((w) => w.includes('ANONYMOUS DIGEST-MD5')));
    assert.ok(warnings.some((w) => w.includes('names no supported mechanism')));
  });

  it('offers CRAM-MD5 with a plaintext store, in mech_list order as Cyrus lists them', () => {
    const db = join(root, `sasldb${++counter}`);
    writeFileSync(db, buildHashDb({ pairs: [[Buffer.from('alice\0h\0userPassword'), Buffer.from('pw')]] }));
    const mechsFor = (list: string, env: Record<string, string> = {}): readonly string[] => {
      const [dir] = confDir(`mech_list: ${list}\nsasldb_path: ${db}\n`);
      return createSaslAuthenticator({ SASL_CONF_PATH: dir, ...env }, () => {}, { hostname: 'h' }).authenticator.mechanisms;
    };
    assert.deepEqual(mechsFor('plain cram-md5'), ['PLAIN', 'CRAM-MD5']);
    assert.deepEqual(mechsFor('cram-md5 plain'), ['CRAM-MD5', 'PLAIN']);
    assert.deepEqual(mechsFor('CRAM-MD5'), ['CRAM-MD5']);
    assert.deepEqual(mechsFor('plain'), ['PLAIN']);
    // A sasldb that does not exist yet (t/binary-sasl.t creates it after the start): offered.
    const [dir] = confDir(`mech_list: plain cram-md5\nsasldb_path: ${join(root, 'later')}\n`);
    assert.deepEqual(createSaslAuthenticator({ SASL_CONF_PATH: dir }, () => {}).authenticator.mechanisms, ['PLAIN', 'CRAM-MD5']);
  });

  it('never offers CRAM-MD5 with a memcachedts-passwd file (it holds no plaintext), and says why', () => {
    const file = join(root, `hashed${++counter}`);
    writeFileSync(file, formatMemcachedtsPasswd(new Map([['alice', hashPassword('pw', { N: 1024, r: 8, p: 1 })]])));
    const [dir] = confDir(`mech_list: cram-md5 plain\nsasldb_path: ${file}\n`);
    const warnings: string[] = [];
    const { authenticator } = createSaslAuthenticator({ SASL_CONF_PATH: dir }, (m) => warnings.push(m));
    assert.deepEqual(authenticator.mechanisms, ['PLAIN']);
    assert.ok(warnings.some((w) => w.includes('CRAM-MD5 needs plaintext passwords')), warnings.join('\n'));
    const challenge = Buffer.from('<1.2@h>');
    const response = Buffer.from('alice ' + createHmac('md5', 'pw').update(challenge).digest('hex'));
    assert.equal(authenticator.checkCramMd5('alice', challenge, response, 6, response.length), false);
  });

  it('CRAM-MD5 checks MEMCACHED_SASL_PWDB users and sasldb users, keyed with the stored password', () => {
    const pwdb = join(root, `pwdb${++counter}`);
    writeFileSync(pwdb, 'alice:from-pwdb\n');
    const db = join(root, `sasldb${++counter}`);
    writeFileSync(db, buildHashDb({ pairs: [[Buffer.from('bob\0h\0userPassword'), Buffer.from('bob-pw')], [Buffer.from('carol\0far\0userPassword'), Buffer.from('c')]] }));
    const [dir] = confDir(`mech_list: plain cram-md5\nsasldb_path: ${db}\n`);
    const { authenticator } = createSaslAuthenticator({ SASL_CONF_PATH: dir, MEMCACHED_SASL_PWDB: pwdb }, () => {}, { hostname: 'h' });
    const challenge = Buffer.from('<123.456@h>');
    const answer = (user: string, password: string): boolean | undefined => {
      const response = Buffer.from(`${user} ${createHmac('md5', password).update(challenge).digest('hex')}`);
      return authenticator.checkCramMd5(user, challenge, response, user.length + 1, response.length);
    };
    assert.equal(answer('alice', 'from-pwdb'), true);
    assert.equal(answer('alice', 'wrong'), false);
    assert.equal(answer('bob', 'bob-pw'), true);
    assert.equal(answer('carol@far', 'c'), true);
    assert.equal(answer('carol', 'c'), undefined, 'a bare user is in the host name realm');
    assert.equal(answer('dave', 'x'), undefined);
  });

  it('asks MEMCACHED_SASL_PWDB first, and then sasldb_path', () => {
    const pwdb = join(root, `pwdb${++counter}`);
    writeFileSync(pwdb, 'alice:from-pwdb\n');
    const db = join(root, `sasldb${++counter}`);
    writeFileSync(db, buildHashDb({
      pairs: [
        [Buffer.from('alice\0h\0userPassword'), Buffer.from('from-sasldb')],
        [Buffer.from('bob\0h\0userPassword'), Buffer.from('bob-pw')],
      ],
    }));
    const [dir] = confDir(`mech_list: plain\nsasldb_path: ${db}\n`);
    const { authenticator } = createSaslAuthenticator({ SASL_CONF_PATH: dir, MEMCACHED_SASL_PWDB: pwdb }, () => {}, { hostname: 'h' });
    assert.equal(authenticator.checkPlain('', 'alice', 'from-pwdb'), true);
    assert.equal(authenticator.checkPlain('', 'alice', 'from-sasldb'), false);
    assert.equal(authenticator.checkPlain('', 'bob', 'bob-pw'), true);
  });

  it('warns when SASL_CONF_PATH holds no config and a default is used', () => {
    const [, file] = confDir('mech_list: plain\n');
    const warnings: string[] = [];
    const { configPath } = createSaslAuthenticator({ SASL_CONF_PATH: join(root, 'nope') }, (m) => warnings.push(m), {
      defaultConfigPaths: [file],
    });
    assert.equal(configPath, file);
    assert.ok(warnings.some((w) => w.includes('SASL_CONF_PATH')));
  });
});
