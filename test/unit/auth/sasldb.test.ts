import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadSasldb, parseSasldb, readHashPairs, SasldbFormatError } from '../../../src/auth/sasldb.js';
import type { SasldbEntry } from '../../../src/auth/sasldb.js';
import { buildHashDb } from './bdb-builder.js';
import {
  dbDumpPairs,
  dbLoad,
  findDbDump,
  findDbLoad,
  requireSaslpasswd2,
  requireTool,
  saslpasswd2Delete,
  saslpasswd2Set,
} from './sasl-tools.js';

const dir = mkdtempSync(join(tmpdir(), 'memcachedts-sasldb-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const REALM = 'test.realm';
const pw = (user: string, value: string): [string, string] => [user, value];

function byUser(entries: SasldbEntry[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of entries) {
    assert.equal(e.property, 'userPassword');
    m.set(`${e.user}@${e.realm}`, e.value.toString('utf8'));
  }
  return m;
}

function hexPairs(file: Buffer): Array<[string, string]> {
  return readHashPairs(file)
    .map(([k, v]): [string, string] => [k.toString('hex'), v.toString('hex')])
    .sort(comparePairs);
}

function comparePairs(a: [string, string], b: [string, string]): number {
  return a[0] === b[0] ? a[1].localeCompare(b[1]) : a[0].localeCompare(b[0]);
}

/** Page types present in a file, from each page header (4 KiB pages here). */
function pageTypes(file: Buffer, pageSize: number): Set<number> {
  const types = new Set<number>();
  for (let off = 0; off + pageSize <= file.length; off += pageSize) types.add(file[off + 25] ?? -1);
  return types;
}

describe('sasldb: files written by saslpasswd2', () => {
  const scenarios: Array<{ name: string; build: (tool: string, file: string) => Map<string, string>; overflow?: boolean }> = [
    {
      name: 'one user',
      build: (tool, file) => {
        saslpasswd2Set(tool, file, 'alice', 'secret', REALM);
        return new Map([pw(`alice@${REALM}`, 'secret')]);
      },
    },
    {
      name: 'several users and realms',
      build: (tool, file) => {
        const want = new Map<string, string>();
        for (const u of ['alice', 'bob', 'carol', 'dave']) {
          saslpasswd2Set(tool, file, u, `pw-${u}`, REALM);
          want.set(`${u}@${REALM}`, `pw-${u}`);
        }
        saslpasswd2Set(tool, file, 'alice', 'other-secret', 'other.realm');
        want.set('alice@other.realm', 'other-secret');
        saslpasswd2Set(tool, file, 'bob', 'changed', REALM); // change in place
        want.set(`bob@${REALM}`, 'changed');
        return want;
      },
    },
    {
      name: 'a 300-character password',
      build: (tool, file) => {
        const long = 'p'.repeat(150) + 'q'.repeat(150);
        saslpasswd2Set(tool, file, 'u300', long, REALM);
        return new Map([pw(`u300@${REALM}`, long)]);
      },
    },
    {
      name: 'a 2000-character password on overflow pages',
      overflow: true,
      build: (tool, file) => {
        let long = '';
        for (let i = 0; long.length < 2000; i++) long += String(i % 10);
        saslpasswd2Set(tool, file, 'longuser', long, REALM);
        saslpasswd2Set(tool, file, 'short', 'x', REALM);
        return new Map([pw(`longuser@${REALM}`, long), pw(`short@${REALM}`, 'x')]);
      },
    },
    {
      name: '200 users, two deleted (bucket splits)',
      build: (tool, file) => {
        const want = new Map<string, string>();
        for (let i = 1; i <= 200; i++) {
          saslpasswd2Set(tool, file, `user${i}`, `password${i}`, REALM);
          want.set(`user${i}@${REALM}`, `password${i}`);
        }
        for (const i of [7, 150]) {
          saslpasswd2Delete(tool, file, `user${i}`, REALM);
          want.delete(`user${i}@${REALM}`);
        }
        return want;
      },
    },
    {
      name: 'a deleted user whose password was on overflow pages',
      build: (tool, file) => {
        saslpasswd2Set(tool, file, 'big', 'z'.repeat(3000), REALM);
        saslpasswd2Set(tool, file, 'keep', 'kept', REALM);
        saslpasswd2Delete(tool, file, 'big', REALM);
        return new Map([pw(`keep@${REALM}`, 'kept')]);
      },
    },
  ];

  for (const s of scenarios) {
    it(s.name, (t) => {
      const tool = requireSaslpasswd2(t);
      if (tool === null) return;
      const file = join(dir, `${s.name.replace(/\W+/g, '-')}.db`);
      const want = s.build(tool, file);
      const buf = readFileSync(file);
      assert.deepEqual(byUser(loadSasldb(file)), want);
      if (s.overflow === true) assert.ok(pageTypes(buf, 4096).has(7), 'the file has an overflow page');
      const dbDump = requireTool(t, findDbDump(), 'db_dump', 'db5.3-util');
      if (dbDump !== null) assert.deepEqual(hexPairs(buf), dbDumpPairs(dbDump, file).sort(comparePairs));
    });
  }

  it('a bare user gets the realm saslpasswd2 picked (the host name), as db_dump shows', (t) => {
    const tool = requireSaslpasswd2(t);
    if (tool === null) return;
    const file = join(dir, 'default-realm.db');
    saslpasswd2Set(tool, file, 'alice', 'secret');
    const [entry, ...rest] = loadSasldb(file);
    assert.equal(rest.length, 0);
    assert.ok(entry !== undefined && entry.user === 'alice' && entry.realm !== '');
    const dbDump = requireTool(t, findDbDump(), 'db_dump', 'db5.3-util');
    if (dbDump === null) return;
    const [[key]] = dbDumpPairs(dbDump, file) as [[string, string]];
    assert.equal(Buffer.from(key, 'hex').toString('utf8'), `alice\0${entry.realm}\0userPassword`);
  });
});

describe('sasldb: files written by db_load', () => {
  const mixed: Array<[Buffer, Buffer]> = [];
  for (let i = 0; i < 400; i++) {
    const size = i % 10 === 0 ? [0, 50, 700, 3000, 9000][(i / 10) % 5] ?? 1 : 8;
    const value = Buffer.alloc(size);
    for (let j = 0; j < size; j++) value[j] = (i * 31 + j * 7) & 0xff;
    mixed.push([Buffer.from(`user${i}\0realm${i % 3}\0userPassword`), value]);
  }
  const variants: Array<[string, string[]]> = [
    ['little-endian', []],
    ['big-endian', ['db_lorder=4321']],
    ['checksummed', ['chksum=1']],
    ['512-byte pages', ['db_pagesize=512']],
    ['512-byte big-endian checksummed pages', ['db_pagesize=512', 'db_lorder=4321', 'chksum=1']],
    ['64 KiB pages', ['db_pagesize=65536']],
  ];
  for (const [name, options] of variants) {
    it(name, (t) => {
      const tool = requireTool(t, findDbLoad(), 'db_load', 'db5.3-util');
      if (tool === null) return;
      const file = join(dir, `load-${name.replace(/\W+/g, '-')}.db`);
      dbLoad(tool, file, mixed, options);
      const entries = loadSasldb(file);
      assert.equal(entries.length, mixed.length);
      const want = new Map(mixed.map(([k, v]) => [k.toString('hex'), v.toString('hex')]));
      for (const e of entries) {
        const key = Buffer.from(`${e.user}\0${e.realm}\0${e.property}`).toString('hex');
        assert.equal(e.value.toString('hex'), want.get(key));
      }
    });
  }

  it('on-page duplicates become one entry each; off-page duplicate sets are skipped', (t) => {
    const tool = requireTool(t, findDbLoad(), 'db_load', 'db5.3-util');
    if (tool === null) return;
    const file = join(dir, 'dups.db');
    const pairs: Array<[Buffer, Buffer]> = [];
    for (let j = 0; j < 3; j++) pairs.push([Buffer.from('a\0r\0userPassword'), Buffer.from(`v${j}`)]);
    pairs.push([Buffer.from('b\0r\0userPassword'), Buffer.from('only')]);
    for (let j = 0; j < 60; j++) pairs.push([Buffer.from('c\0r\0userPassword'), Buffer.alloc(100, j)]);
    dbLoad(tool, file, pairs, [], ['duplicates=1']);
    const got = loadSasldb(file).map((e) => `${e.user}=${e.value.toString('latin1')}`).sort();
    assert.deepEqual(got, ['a=v0', 'a=v1', 'a=v2', 'b=only']);
  });
});

describe('sasldb: hand-built files', () => {
  const pairs: Array<[Buffer, Buffer]> = [
    [Buffer.from('alice\0host\0userPassword'), Buffer.from('secret')],
    [Buffer.from('bob\0host\0userPassword'), Buffer.alloc(5000, 0x62)],
    [Buffer.from('carol\0host\0cmusaslsecretOTP'), Buffer.from('otp')],
    [Buffer.from('not-a-sasl-key'), Buffer.from('ignored')],
  ];
  const expected = [
    { user: 'alice', realm: 'host', property: 'userPassword', value: Buffer.from('secret') },
    { user: 'bob', realm: 'host', property: 'userPassword', value: Buffer.alloc(5000, 0x62) },
    { user: 'carol', realm: 'host', property: 'cmusaslsecretOTP', value: Buffer.from('otp') },
  ];

  it('reads both byte orders, with and without checksums, at several page sizes', () => {
    for (const littleEndian of [true, false]) {
      for (const checksum of [false, true]) {
        for (const pageSize of [512, 4096]) {
          const file = buildHashDb({ pairs, littleEndian, checksum, pageSize });
          assert.deepEqual(parseSasldb(file), expected, `le=${littleEndian} checksum=${checksum} page=${pageSize}`);
        }
      }
    }
  });

  it('follows chains of bucket pages', () => {
    const many: Array<[Buffer, Buffer]> = [];
    for (let i = 0; i < 300; i++) many.push([Buffer.from(`u${i}\0r\0userPassword`), Buffer.from(`p${i}`)]);
    const entries = parseSasldb(buildHashDb({ pairs: many, pageSize: 512 }));
    assert.equal(entries.length, 300);
    assert.equal(entries[299]?.value.toString(), 'p299');
  });

  it('reads on-page duplicates', () => {
    const file = buildHashDb({ pairs: [[Buffer.from('a\0r\0userPassword'), [Buffer.from('x'), Buffer.from('yy')]]] });
    assert.deepEqual(
      parseSasldb(file).map((e) => e.value.toString()),
      ['x', 'yy'],
    );
  });

  it('reads an empty database and a never-written bucket page', () => {
    assert.deepEqual(parseSasldb(buildHashDb({ pairs: [] })), []);
    const file = buildHashDb({ pairs: [] });
    file.fill(0, 4096, 8192); // bucket page allocated but all zero, as BDB leaves it
    assert.deepEqual(parseSasldb(file), []);
    assert.deepEqual(parseSasldb(file.subarray(0, 4096)), []); // bucket page past the end
  });

  const good = buildHashDb({ pairs });
  const corrupt: Array<[string, (b: Buffer) => Buffer]> = [
    ['too short', (b) => b.subarray(0, 100)],
    ['text', () => Buffer.from('alice:secret\n'.repeat(100))],
    ['btree magic', (b) => { b.writeUInt32LE(0x053162, 12); return b; }],
    ['bad magic', (b) => { b.writeUInt32LE(0x12345678, 12); return b; }],
    ['unsupported version', (b) => { b.writeUInt32LE(3, 16); return b; }],
    ['bad page size', (b) => { b.writeUInt32LE(1000, 20); return b; }],
    ['encrypted', (b) => { b[24] = 1; return b; }],
    ['sub-databases', (b) => { b.writeUInt32LE(2, 48); return b; }],
    ['wrong bucket page type', (b) => { b[4096 + 25] = 5; return b; }],
    ['wrong page number', (b) => { b.writeUInt32LE(9, 4096 + 8); return b; }],
    ['odd item count', (b) => { b.writeUInt16LE(7, 4096 + 20); return b; }],
    ['item offset out of order', (b) => { b.writeUInt16LE(10, 4096 + 26); return b; }],
    ['bucket chain loop', (b) => { b.writeUInt32LE(1, 4096 + 16); return b; }],
    ['overflow chain broken', (b) => { b.writeUInt32LE(999, 2 * 4096 + 16); return b; }],
    ['overflow length too big', (b) => { b.writeUInt16LE(4090, 2 * 4096 + 22); return b; }],
    ['unknown item type', (b) => { b[4096 + b.readUInt16LE(4096 + 26)] = 9; return b; }],
  ];
  for (const [name, mutate] of corrupt) {
    it(`rejects: ${name}`, () => {
      const buf = mutate(Buffer.from(good));
      assert.throws(() => parseSasldb(buf), SasldbFormatError);
    });
  }

  it('names the file in errors from loadSasldb', () => {
    const file = join(dir, 'not-bdb');
    writeFileSync(file, Buffer.alloc(4096, 1));
    assert.throws(() => loadSasldb(file), (e: unknown) => e instanceof SasldbFormatError && e.message.startsWith(file));
  });
});
