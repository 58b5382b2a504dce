// Meta commands driven through a Session (no sockets): exact reply bytes, every flag alone and
// combined, q pipelines, base64 keys, stale-while-revalidate, stats, -vv lines, and the same
// transcripts fed whole, byte by byte and split at every offset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestContext, makeSession, type TestContext } from '../../../support/context.js';
import { feed } from '../../../support/session-driver.js';
import type { Session } from '../../../../src/protocol/session.js';
import type { Settings } from '../../../../src/config/settings.js';

interface Conn {
  ctx: TestContext;
  s: Session;
}

function open(logLevel = 0, settings: Partial<Settings> = {}): Conn {
  const ctx = makeTestContext({ logLevel, settings });
  return { ctx, s: makeSession(ctx) };
}

/** Sends one request (latin1 text) and returns everything the server queued. */
function req(c: Conn, text: string): string {
  return feed(c.s, [Buffer.from(text, 'latin1')]).out.toString('latin1');
}

function stat(c: Conn, name: string): number {
  const st = c.ctx.store.stats() as unknown as Record<string, number>;
  const counters = c.ctx.counters as unknown as Record<string, number>;
  const v = name in counters ? counters[name] : st[name];
  assert.notEqual(v, undefined, name);
  return v!;
}

// --- transcripts that must not depend on how the bytes arrive -------------------------------

const TRANSCRIPT: ReadonlyArray<readonly [string, string]> = [
  ['mn\r\n', 'MN\r\n'],
  ['mg foo v\r\n', 'EN\r\n'],
  ['mg foo v q\r\nmn\r\n', 'MN\r\n'],
  ['ms foo 2 T0 F5\r\nhi\r\n', 'HD\r\n'],
  ['mg foo s v f k O9 c\r\n', 'VA 2 s2 f5 kfoo O9 c1\r\nhi\r\n'],
  ['ms foo 3 c k Oab MA\r\nyou\r\n', 'HD c2 kfoo Oab\r\n'],
  ['mg foo v\r\n', 'VA 5\r\nhiyou\r\n'],
  ['ms foo 2 q\r\nzz\r\nmn\r\n', 'MN\r\n'],
  ['ms foo 2 Z\r\nzz\r\n', 'CLIENT_ERROR invalid flag\r\n'],
  ['ms foo 2\r\nzzz\r\n', 'CLIENT_ERROR bad data chunk\r\nERROR\r\n'],
  ['ms foo 2 C99 c\r\nzz\r\n', 'EX c0\r\n'],
  ['ms nokey 2 C99 c\r\nzz\r\n', 'NF c0\r\n'],
  ['ms nokey 2 MR\r\nzz\r\n', 'NS\r\n'],
  ['md foo q\r\nmd foo q\r\nmn\r\n', 'NF\r\nMN\r\n'],
  ['ma cnt\r\n', 'NF\r\n'],
  ['ma cnt N0 J10 v\r\n', 'VA 2\r\n10\r\n'],
  ['ma cnt MD D3 v\r\n', 'VA 1\r\n7\r\n'],
  ['mg cnt v\r\n', 'VA 2\r\n7 \r\n'],
  ['ma cnt q\r\nmn\r\n', 'MN\r\n'],
  ['me nothere\r\n', 'EN\r\n'],
  ['mx\r\n', 'ERROR\r\n'],
  ['mg\r\n', 'ERROR\r\n'],
  ['ms foo\r\n', 'CLIENT_ERROR bad command line format\r\n'],
  ['mg foo O' + 'x'.repeat(32) + '\r\n', 'CLIENT_ERROR opaque token too long\r\n'],
];

const WHOLE_IN = TRANSCRIPT.map(([i]) => i).join('');
const WHOLE_OUT = TRANSCRIPT.map(([, o]) => o).join('');

test('transcript, one request at a time', () => {
  const c = open();
  for (const [i, o] of TRANSCRIPT) assert.equal(req(c, i), o, JSON.stringify(i));
});

test('transcript fed whole, byte by byte, and split at every offset', () => {
  const bytes = Buffer.from(WHOLE_IN, 'latin1');
  {
    const c = open();
    assert.equal(feed(c.s, [bytes]).out.toString('latin1'), WHOLE_OUT);
  }
  {
    const c = open();
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
    assert.equal(feed(c.s, chunks).out.toString('latin1'), WHOLE_OUT, 'byte by byte');
  }
  for (let cut = 1; cut < bytes.length; cut++) {
    const c = open();
    const got = feed(c.s, [bytes.subarray(0, cut), bytes.subarray(cut)]).out.toString('latin1');
    assert.equal(got, WHOLE_OUT, `split at ${cut}`);
  }
});

// --- mg flags ---------------------------------------------------------------------------------

test('mg return flags, alone', () => {
  const c = open();
  req(c, 'ms k 3 F7 T100\r\nabc\r\n');
  assert.equal(req(c, 'mg k\r\n'), 'HD\r\n');
  assert.equal(req(c, 'mg k v\r\n'), 'VA 3\r\nabc\r\n');
  assert.equal(req(c, 'mg k s\r\n'), 'HD s3\r\n');
  assert.equal(req(c, 'mg k f\r\n'), 'HD f7\r\n');
  assert.equal(req(c, 'mg k c\r\n'), 'HD c1\r\n');
  assert.equal(req(c, 'mg k k\r\n'), 'HD kk\r\n');
  assert.equal(req(c, 'mg k Oop\r\n'), 'HD Oop\r\n');
  assert.equal(req(c, 'mg k h\r\n'), 'HD h1\r\n');
  assert.match(req(c, 'mg k t\r\n'), /^HD t(99|100)\r\n$/);
  assert.match(req(c, 'mg k l\r\n'), /^HD l[01]\r\n$/);
  assert.equal(req(c, 'mg k q\r\n'), 'HD\r\n', 'q does not hide a hit');
  assert.equal(req(c, 'mg k u\r\n'), 'HD\r\n');
  assert.equal(req(c, 'mg k P/proxy L/hint\r\n'), 'HD\r\n');
  assert.equal(req(c, 'mg k F9 C3 I MZ J1 D1\r\n'), 'HD\r\n', 'flags of other commands are accepted and ignored');
});

test('mg flags combined keep request order', () => {
  const c = open();
  req(c, 'ms k 2 T0\r\nhi\r\n');
  assert.equal(req(c, 'mg k k v s c f O1 t\r\n'), 'VA 2 kk s2 c1 f0 O1 t-1\r\nhi\r\n');
  assert.equal(req(c, 'mg k t O1 f c s v k\r\n'), 'VA 2 t-1 O1 f0 c1 s2 kk\r\nhi\r\n');
});

test('mg miss: EN with O and k only; q hides it', () => {
  const c = open();
  assert.equal(req(c, 'mg none s v t c O5 k\r\n'), 'EN O5 knone\r\n');
  assert.equal(req(c, 'mg none v q O5\r\nmg none v q\r\nmn\r\n'), 'MN\r\n');
  assert.equal(stat(c, 'get_misses'), 3);
  assert.equal(stat(c, 'cmd_get'), 3);
});

test('mg T before t shows the new TTL, t before T the old one; T counts as a touch', () => {
  const c = open();
  req(c, 'ms k 1 T100\r\na\r\n');
  assert.match(req(c, 'mg k T300 t\r\n'), /^HD t(299|300)\r\n$/);
  assert.match(req(c, 'mg k t T50\r\n'), /^HD t(299|300)\r\n$/);
  assert.match(req(c, 'mg k t\r\n'), /^HD t(49|50)\r\n$/);
  assert.equal(stat(c, 'cmd_touch'), 2);
  assert.equal(stat(c, 'touch_hits'), 2);
  assert.equal(stat(c, 'cmd_get'), 1);
  assert.equal(req(c, 'mg gone T5\r\n'), 'EN\r\n');
  assert.equal(stat(c, 'get_misses'), 1, 'a miss with T counts as a get miss');
  assert.equal(stat(c, 'touch_misses'), 0);
});

test('mg h and u: hit-before is read before the bump, u skips it', () => {
  const c = open();
  req(c, 'ms k 1\r\na\r\n');
  assert.equal(req(c, 'mg k u h\r\n'), 'HD h0\r\n');
  assert.equal(req(c, 'mg k h\r\n'), 'HD h0\r\n');
  assert.equal(req(c, 'mg k u h\r\n'), 'HD h1\r\n');
});

test('mg N vivifies a miss once: W, then Z for everyone else', () => {
  const c = open();
  assert.match(req(c, 'mg v1 s c v N30 t\r\n'), /^VA 0 s0 c1 t(29|30) W\r\n\r\n$/);
  assert.match(req(c, 'mg v1 s c v N30 t\r\n'), /^VA 0 s0 c1 t(29|30) Z\r\n\r\n$/);
  assert.equal(stat(c, 'get_hits'), 2, 'a vivified miss counts as a hit');
  assert.equal(stat(c, 'cmd_set'), 0, 'vivifying is not a set');
  assert.equal(req(c, 'mg v2 N30 q\r\n'), 'HD W\r\n', 'q does not hide a vivified item');
  // a successful cas store clears the token
  assert.equal(req(c, 'ms v1 2 C1 T120\r\nok\r\n'), 'HD\r\n');
  assert.equal(req(c, 'mg v1 v N30\r\n'), 'VA 2\r\nok\r\n');
});

test('mg R wins a recache when the TTL is below the token, once', () => {
  const c = open();
  req(c, 'ms k 2 T100\r\nmu\r\n');
  assert.equal(req(c, 'mg k v R30\r\n'), 'VA 2\r\nmu\r\n', 'TTL above the token');
  assert.equal(req(c, 'mg k v R130\r\n'), 'VA 2 W\r\nmu\r\n');
  assert.equal(req(c, 'mg k v R130\r\n'), 'VA 2 Z\r\nmu\r\n');
  req(c, 'ms n 1 T0\r\nx\r\n');
  assert.equal(req(c, 'mg n R130\r\n'), 'HD\r\n', 'no TTL, no win');
});

test('stale-while-revalidate walk: md I, then W+X, then Z+X, then a fresh set', () => {
  const c = open();
  assert.equal(req(c, 'set toinv 0 0 3\r\nmoo\r\n'), 'STORED\r\n');
  assert.equal(req(c, 'mg toinv s v c\r\n'), 'VA 3 s3 c1\r\nmoo\r\n');
  assert.equal(req(c, 'md toinv I T30\r\n'), 'HD\r\n');
  assert.match(req(c, 'mg toinv s t c v\r\n'), /^VA 3 s3 t(29|30) c2 X W\r\nmoo\r\n$/);
  assert.match(req(c, 'mg toinv s t c v\r\n'), /^VA 3 s3 t(29|30) c2 Z X\r\nmoo\r\n$/);
  // a lower cas with I stores, but the item stays stale and keeps its TTL and token
  assert.equal(req(c, 'ms toinv 1 T90 C0\r\nf\r\n'), 'EX\r\n');
  assert.equal(req(c, 'ms toinv 1 I T90 C1\r\nf\r\n'), 'HD\r\n');
  assert.match(req(c, 'mg toinv s t c v\r\n'), /^VA 1 s1 t(29|30) c3 Z X\r\nf\r\n$/);
  // the right cas replaces it for good
  assert.equal(req(c, 'ms toinv 1 T90 C3\r\ng\r\n'), 'HD\r\n');
  assert.match(req(c, 'mg toinv s t c v\r\n'), /^VA 1 s1 t(89|90) c4\r\ng\r\n$/);
});

test('md: delete, cas, q, O and k, miss', () => {
  const c = open();
  req(c, 'ms k 1\r\na\r\n');
  assert.equal(req(c, 'md k C5 Oz k\r\n'), 'EX Oz kk\r\n');
  assert.equal(req(c, 'md k C1 q\r\nmn\r\n'), 'MN\r\n');
  assert.equal(req(c, 'md k q Oz\r\n'), 'NF Oz\r\n');
  assert.equal(req(c, 'md k x\r\n'), 'CLIENT_ERROR invalid or duplicate flag\r\n', 'x is later memcached only');
});

test('md errors say "invalid or duplicate flag"', () => {
  const c = open();
  assert.equal(req(c, 'md k Z\r\n'), 'CLIENT_ERROR invalid or duplicate flag\r\n');
  assert.equal(req(c, 'md k q q\r\n'), 'CLIENT_ERROR invalid or duplicate flag\r\n');
  assert.equal(req(c, 'ma k Z\r\n'), 'CLIENT_ERROR invalid or duplicate flag\r\n');
  assert.equal(req(c, 'md k O' + 'y'.repeat(40) + '\r\n'), 'CLIENT_ERROR opaque token too long\r\n');
  assert.equal(stat(c, 'delete_misses'), 0, 'errors count nothing');
});

test('ms modes E A P R S and the cas upgrade', () => {
  const c = open();
  assert.equal(req(c, 'ms m 2 T120\r\naa\r\n'), 'HD\r\n');
  assert.equal(req(c, 'ms m 2 ME\r\naa\r\n'), 'NS\r\n');
  assert.equal(req(c, 'ms n 2 ME\r\nbb\r\n'), 'HD\r\n');
  assert.equal(req(c, 'ms n 2 MA\r\ncc\r\n'), 'HD\r\n');
  assert.equal(req(c, 'ms n 2 MP\r\naa\r\n'), 'HD\r\n');
  assert.equal(req(c, 'mg n v\r\n'), 'VA 6\r\naabbcc\r\n');
  assert.equal(req(c, 'ms none 2 MA\r\naa\r\n'), 'NS\r\n');
  assert.equal(req(c, 'ms none 2 MP\r\naa\r\n'), 'NS\r\n');
  assert.equal(req(c, 'ms none 2 MR\r\naa\r\n'), 'NS\r\n');
  assert.equal(req(c, 'ms n 2 MR c\r\nxx\r\n'), 'HD c5\r\n');
  assert.equal(req(c, 'ms n 2 MS c\r\nyy\r\n'), 'HD c6\r\n');
  assert.equal(req(c, 'ms n 2 MA C1\r\nzz\r\n'), 'EX\r\n', 'append checks a given cas');
  assert.equal(req(c, 'ms n 2 MA C6\r\nzz\r\n'), 'HD\r\n');
  assert.equal(req(c, 'ms n 2 ME C1\r\nzz\r\n'), 'NS\r\n', 'add ignores the cas');
  assert.equal(req(c, 'ms n 2 MR C1\r\nzz\r\n'), 'EX\r\n', 'replace with a cas is cas');
  assert.equal(req(c, 'ms n 2 MZ O' + 'o'.repeat(40) + '\r\ntt\r\n'), 'CLIENT_ERROR invalid mode for ms M token\r\n');
  assert.equal(req(c, 'ms n 2 MSS\r\ntt\r\n'), 'CLIENT_ERROR incorrect length for M token\r\n');
  assert.equal(req(c, 'ms n 2 O' + 'o'.repeat(40) + '\r\ntt\r\n'), 'CLIENT_ERROR opaque token too long\r\n');
});

test('ms rejected lines: swallowed or read as commands, as memcached does', () => {
  const c = open();
  assert.equal(req(c, 'ms k 2 Z\r\nmn\r\n'), 'CLIENT_ERROR invalid flag\r\n', 'the data block (here "mn") is swallowed');
  assert.equal(req(c, 'ms k abc\r\nmn\r\n'), 'CLIENT_ERROR bad command line format\r\nMN\r\n', 'bad datalen: not swallowed');
  assert.equal(req(c, 'ms ' + 'k'.repeat(251) + ' 2\r\nmn\r\n'), 'CLIENT_ERROR bad command line format\r\nMN\r\n');
  assert.equal(req(c, 'ms k -1\r\n'), 'CLIENT_ERROR bad command line format\r\n');
  const many = Array.from({ length: 17 }, (_, i) => 'O' + i).join(' ');
  assert.equal(req(c, 'ms k 2 ' + many + '\r\nmn\r\n'), 'CLIENT_ERROR options flags too long\r\nMN\r\n');
  assert.equal(req(c, 'mg k ' + many + ' v\r\n'), 'CLIENT_ERROR options flags are too long\r\n');
});

test('ms too large: SERVER_ERROR, value swallowed, old item removed', () => {
  const c = open(0, { itemSizeMax: 1024 * 1024 });
  req(c, 'ms big 1\r\na\r\n');
  const len = 2 * 1024 * 1024;
  const out = req(c, 'ms big ' + len + ' T0\r\n' + 'x'.repeat(len) + '\r\nmn\r\n');
  assert.equal(out, 'SERVER_ERROR object too large for cache\r\nMN\r\n');
  assert.equal(req(c, 'mg big v\r\n'), 'EN\r\n');
  assert.equal(stat(c, 'store_too_large'), 1);
});

test('ma: modes, J and D, N with TTL, t c v, q, cas, non-numeric', () => {
  const c = open();
  assert.equal(req(c, 'ma mo\r\n'), 'NF\r\n');
  assert.equal(req(c, 'ma mo q\r\n'), 'NF\r\n', 'q does not hide NF');
  assert.equal(req(c, 'set mo 0 0 1\r\n1\r\n'), 'STORED\r\n');
  assert.equal(req(c, 'ma mo\r\n'), 'HD\r\n');
  assert.equal(req(c, 'ma mo v M+ D5\r\n'), 'VA 1\r\n7\r\n');
  assert.equal(req(c, 'ma mo v M- D10\r\n'), 'VA 1\r\n0\r\n');
  assert.equal(req(c, 'ma mo v MI\r\n'), 'VA 1\r\n1\r\n');
  assert.equal(req(c, 'ma mo v MX\r\n'), 'CLIENT_ERROR invalid mode for ma M token\r\n');
  assert.equal(req(c, 'set mo 0 0 1\r\nq\r\n'), 'STORED\r\n');
  assert.equal(req(c, 'ma mo\r\n'), 'CLIENT_ERROR cannot increment or decrement non-numeric value\r\n');
  assert.match(req(c, 'ma mu N90 t v k Oz\r\n'), /^VA 1 t(89|90) kmu Oz\r\n0\r\n$/);
  assert.match(req(c, 'ma mu T300 v t\r\n'), /^VA 1 t(299|300)\r\n1\r\n$/);
  assert.equal(req(c, 'ma mi N0 J13 v t\r\n'), 'VA 2 t-1\r\n13\r\n');
  assert.equal(req(c, 'ma mi N0 J13 v t\r\n'), 'VA 2 t-1\r\n14\r\n', 'incremented from the seed');
  assert.equal(req(c, 'ma mi N0 J13 v t D30\r\n'), 'VA 2 t-1\r\n44\r\n');
  assert.equal(req(c, 'ma mi v MD D9000\r\n'), 'VA 1\r\n0\r\n');
  assert.equal(req(c, 'ma wrap N0 J18446744073709551615 v\r\n'), 'VA 20\r\n18446744073709551615\r\n');
  assert.equal(req(c, 'ma wrap v\r\n'), 'VA 1\r\n0\r\n', 'incr wraps at 2^64');
  assert.equal(req(c, 'ma mi q D1\r\nmn\r\n'), 'MN\r\n');
  assert.equal(req(c, 'ma fresh q N0\r\n'), 'HD\r\n', 'q does not hide a vivified number');
  const cas = /c(\d+)/.exec(req(c, 'ma mc N0 c v\r\n'))![1]!;
  assert.equal(req(c, 'ma mc C99999 v\r\n'), 'EX\r\n');
  assert.match(req(c, `ma mc C${cas} c v\r\n`), new RegExp(`^VA 1 c(?!${cas}\\b)\\d+\\r\\n1\\r\\n$`));
  assert.equal(req(c, 'ma mc Jx\r\n'), 'CLIENT_ERROR invalid or duplicate flag\r\n');
});

test('ma stats: hits, misses, vivify counts neither', () => {
  const c = open();
  req(c, 'ma a\r\nma a MD\r\nma a N0\r\nma a\r\nma a MD\r\n');
  assert.equal(stat(c, 'incr_misses'), 1);
  assert.equal(stat(c, 'decr_misses'), 1);
  assert.equal(stat(c, 'incr_hits'), 1);
  assert.equal(stat(c, 'decr_hits'), 1);
  assert.equal(stat(c, 'cmd_set'), 0);
});

test('base64 keys, binary bytes included', () => {
  const c = open();
  const key = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x20, 0x41]);
  const b64 = key.toString('base64');
  assert.equal(req(c, `ms ${b64} 2 b k c\r\npo\r\n`), `HD k${b64} b c1\r\n`);
  assert.equal(req(c, `mg ${b64} v\r\n`), 'EN\r\n', 'the encoded text is not the key');
  assert.equal(req(c, `mg ${b64} b v k\r\n`), `VA 2 k${b64} b\r\npo\r\n`);
  assert.equal(req(c, `me ${b64} b\r\n`).slice(0, 4 + b64.length), `ME ${b64} `);
  assert.equal(req(c, `md ${b64} b k q\r\nmg ${b64} b v\r\n`), 'EN\r\n');
  // katakana "tesuto", as memcached's own test uses
  assert.equal(req(c, 'ms 44OG44K544OI 2 b\r\npo\r\n'), 'HD\r\n');
  assert.equal(req(c, 'mg 44OG44K544OI b v k\r\n'), 'VA 2 k44OG44K544OI b\r\npo\r\n');
  // an item stored under a plain key answers k plainly even when asked with b
  req(c, 'set foo 0 0 2\r\nab\r\n');
  assert.equal(req(c, 'mg Zm9v b k v\r\n'), 'VA 2 kfoo\r\nab\r\n');
  assert.equal(req(c, 'mg Zm9v= b v\r\n'), 'CLIENT_ERROR error decoding key\r\n');
  assert.equal(req(c, 'mg Zm9v= b v q\r\n'), 'CLIENT_ERROR error decoding key\r\n', 'errors ignore q');
});

test('me: fields, miss, counts cmd_meta only', () => {
  const c = open();
  req(c, 'set foo 0 0 2\r\nhi\r\n');
  assert.match(req(c, 'me foo\r\n'), /^ME foo exp=-1 la=[01] cas=1 fetch=no cls=1 size=\d+\r\n$/);
  req(c, 'mg foo\r\n');
  assert.match(req(c, 'me foo\r\n'), /fetch=yes/);
  req(c, 'ms ttl 1 T100\r\nx\r\n');
  assert.match(req(c, 'me ttl\r\n'), /^ME ttl exp=-(99|100) /, 'exp is now minus expiry, as 1.6.18 prints it');
  assert.equal(req(c, 'me\r\n'), 'CLIENT_ERROR bad command line format\r\n');
  assert.equal(req(c, 'me nope\r\n'), 'EN\r\n');
  assert.equal(stat(c, 'cmd_meta'), 4);
  assert.equal(stat(c, 'cmd_get'), 1, 'me is not a get');
});

test('q pipelines ended by mn return only what memcached returns', () => {
  const c = open();
  const pipeline =
    'ms quiet 2 q\r\nbo\r\n' + 'mg quiet v q\r\n' + 'mg quiet v q\r\n' + 'mg quietmiss v q\r\n' +
    'md quietmiss q\r\n' + 'ma quietnum q N0\r\n' + 'ma quietnum q\r\n' + 'md quiet q\r\n' + 'mn\r\n';
  assert.equal(req(c, pipeline), 'VA 2\r\nbo\r\nVA 2\r\nbo\r\nNF\r\nHD\r\nMN\r\n');
  assert.equal(req(c, 'mg quietautov s N30 t q\r\n').slice(0, 5), 'HD s0');
});

test('-vv prints the reply lines memcached prints for meta', () => {
  const c = open(2);
  req(c, 'mg a v\r\nms a 1\r\nx\r\nmg a v\r\nmn\r\nme nope\r\nmg a Z\r\n');
  const id = c.s.conn.id;
  assert.deepEqual(c.ctx.logLines.filter((l) => l.startsWith('>')), [`>${id} MN`, `>${id} EN`, `>${id} CLIENT_ERROR invalid flag`]);
  assert.ok(c.ctx.logLines.includes(`<${id} mg a v`));
});

test("later memcached's E and md x are unknown flags, with each command's 1.6.18 message", () => {
  const c = open();
  req(c, 'ms e 2\r\nhi\r\nma n N0\r\n');
  assert.equal(req(c, 'mg e E900 c\r\n'), 'CLIENT_ERROR invalid flag\r\n');
  assert.equal(req(c, 'ms e 2 E500 c\r\nhi\r\n'), 'CLIENT_ERROR invalid flag\r\n', 'the data block is swallowed');
  assert.equal(req(c, 'md e I E600\r\n'), 'CLIENT_ERROR invalid or duplicate flag\r\n');
  assert.equal(req(c, 'md e x\r\n'), 'CLIENT_ERROR invalid or duplicate flag\r\n');
  assert.equal(req(c, 'md e q x\r\n'), 'CLIENT_ERROR invalid or duplicate flag\r\n', 'q does not hide it');
  assert.equal(req(c, 'ma n E800 c v\r\n'), 'CLIENT_ERROR invalid or duplicate flag\r\n');
  assert.equal(req(c, 'mg e v\r\n'), 'VA 2\r\nhi\r\n', 'md x kept the item and its value');
  assert.equal(req(c, 'mg n v\r\n'), 'VA 1\r\n0\r\n');
});
