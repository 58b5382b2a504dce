// The cases of memcached's t/metaget.t (1.6.18), re-expressed: run against bin/memcachedts over
// TCP. META_TARGET=memcached runs the same file against Debian's memcached, to check the test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type Daemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { sleep } from '../support/wait.js';

const AGAINST_MEMCACHED = process.env.META_TARGET === 'memcached';
let daemon: Daemon;
let c: RawClient;

before(async () => {
  daemon = await startDaemon({ memcached: AGAINST_MEMCACHED, args: ['-U', '0'] });
  c = await RawClient.connect(daemon.port);
});

after(async () => {
  c.close();
  await daemon.stop();
});

interface Reply {
  code: string;
  flags: string[];
  value: string | null;
}

/** Sends one meta request and reads its reply (status line, and the data block after VA). */
async function meta(line: string): Promise<Reply> {
  c.send(line + '\r\n');
  const head = await c.line();
  const parts = head.split(' ');
  const code = parts[0]!;
  let value: string | null = null;
  let flags = parts.slice(1);
  if (code === 'VA') {
    const len = Number(parts[1]);
    flags = parts.slice(2);
    value = (await c.read(len + 2)).toString('latin1').slice(0, len);
  }
  return { code, flags, value };
}

function flag(r: Reply, ch: string): string | undefined {
  const f = r.flags.find((x) => x.startsWith(ch));
  return f === undefined ? undefined : f.slice(1);
}

function has(r: Reply, ch: string): boolean {
  return r.flags.includes(ch);
}

async function lineOf(text: string): Promise<string> {
  c.send(text);
  return c.line();
}

test('a blank line is an unknown command', async () => {
  assert.equal(await lineOf(' \n'), 'ERROR');
});

test('me: miss and hit', async () => {
  assert.equal(await lineOf('set foo 0 0 2\r\nhi\r\n'), 'STORED');
  assert.equal(await lineOf('me none\r\n'), 'EN');
  assert.match(await lineOf('me foo\r\n'), /^ME foo exp=-1 la=\d+ cas=\d+ fetch=no cls=\d+ size=\d+$/);
});

test('md answers without a trailing space', async () => {
  assert.equal(await lineOf('md deltest\r\n'), 'NF');
  assert.equal(await lineOf('md foo\r\n'), 'HD');
});

test('mg with s and v', async () => {
  assert.equal(await lineOf('set foo2 0 90 2\r\nho\r\n'), 'STORED');
  assert.deepEqual(await meta('mg foo2 s v'), { code: 'VA', flags: ['s2'], value: 'ho' });
});

test('ms with a cas: a wrong one is EX c0, the right one stores', async () => {
  assert.equal((await meta('ms msetcas 2\r\nbo')).code, 'HD');
  const cas = Number(flag(await meta('mg msetcas c'), 'c'));
  assert.ok(cas > 0);
  assert.deepEqual(await meta(`ms msetcas 2 c C${cas + 10}\r\nio`), { code: 'EX', flags: ['c0'], value: null });
  const ok = await meta(`ms msetcas 2 c C${cas}\r\nio`);
  assert.equal(ok.code, 'HD');
  assert.match(flag(ok, 'c')!, /^\d+$/);
});

test('md with a cas', async () => {
  assert.equal((await meta('ms mdeltest 2\r\nzo')).code, 'HD');
  const cas = Number(flag(await meta('mg mdeltest c'), 'c'));
  assert.equal((await meta(`md mdeltest C${cas + 10}`)).code, 'EX');
  assert.equal((await meta(`md mdeltest C${cas}`)).code, 'HD');
});

test('base64 keys: stored decoded, k returns them encoded', async () => {
  const tesuto = '44OG44K544OI'; // katakana "tesuto"
  assert.equal((await meta(`ms ${tesuto} 2 b\r\npo`)).code, 'HD');
  assert.equal((await meta(`mg ${tesuto} v`)).code, 'EN', 'the encoded form is not the key');
  const r = await meta(`mg ${tesuto} b v k`);
  assert.equal(r.value, 'po');
  assert.equal(flag(r, 'k'), tesuto);
});

test('ma: misses, incr, non-numeric, vivify with TTL, J, D, MD, floor at 0, q, cas', async () => {
  assert.equal((await meta('ma mo')).code, 'NF');
  assert.equal((await meta('ma mo D1')).code, 'NF');
  assert.equal(await lineOf('set mo 0 0 1\r\n1\r\n'), 'STORED');
  assert.equal((await meta('ma mo')).code, 'HD');
  assert.equal(await lineOf('set mo 0 0 1\r\nq\r\n'), 'STORED');
  assert.match(await lineOf('ma mo\r\n'), /^CLIENT_ERROR /);

  assert.equal((await meta('ma mu N90')).code, 'HD');
  let r = await meta('mg mu s t v Ofoo k');
  assert.equal(r.value, '0', 'seeded with the default 0');
  let ttl = Number(flag(r, 't'));
  assert.ok(ttl > 10 && ttl <= 90, `ttl ${ttl}`);
  r = await meta('ma mu T300 v t');
  assert.equal(r.value, '1');
  ttl = Number(flag(r, 't'));
  assert.ok(ttl > 150 && ttl <= 300, `ttl ${ttl}`);

  assert.equal((await meta('ma mi N0 J13 v t')).value, '13');
  assert.equal((await meta('ma mi N0 J13 v t')).value, '14');
  assert.equal((await meta('ma mi N0 J13 v t D30')).value, '44');
  assert.equal((await meta('ma mi N0 J13 v t MD D22')).value, '22');
  assert.equal((await meta('ma mi N0 J13 v t MD D9000')).value, '0');
  assert.equal(await lineOf('ma mi q D1\r\nmn\r\n'), 'MN');

  const cas = flag(await meta('ma mc N0 c v'), 'c')!;
  assert.equal((await meta('ma mc N0 C99999 v')).code, 'EX');
  r = await meta(`ma mc N0 C${cas} c v`);
  assert.equal(r.value, '1');
  assert.notEqual(flag(r, 'c'), cas, 'a change gives a new cas');
});

test('ms modes: set by default, E add, A append, P prepend, R replace, S set, bad mode', async () => {
  assert.equal((await meta('ms modedefault 2 T120\r\naa')).code, 'HD');
  assert.deepEqual(await meta('mg modedefault s v'), { code: 'VA', flags: ['s2'], value: 'aa' });
  assert.equal((await meta('ms modedefault 2 T120 ME\r\naa')).code, 'NS');
  assert.equal((await meta('ms modetest 2 T120 ME\r\nbb')).code, 'HD');
  assert.equal((await meta('mg modetest v')).value, 'bb');
  assert.equal((await meta('ms modetest 2 T120 MA\r\ncc')).code, 'HD');
  assert.deepEqual(await meta('mg modetest s v'), { code: 'VA', flags: ['s4'], value: 'bbcc' });
  assert.equal((await meta('ms modetest 2 T120 MP\r\naa')).code, 'HD');
  assert.deepEqual(await meta('mg modetest s v'), { code: 'VA', flags: ['s6'], value: 'aabbcc' });
  assert.equal((await meta('ms modereplace 2 T120 MR\r\nzz')).code, 'NS');
  assert.equal((await meta('ms modetest 2 T120 MR\r\nxx')).code, 'HD');
  assert.equal((await meta('mg modetest v')).value, 'xx');
  assert.equal((await meta('ms modetest 2 T120 MS\r\nyy')).code, 'HD');
  assert.match(await lineOf('ms modetest 2 T120 MZ\r\ntt\r\n'), /^CLIENT_ERROR /);
});

test('leases: N wins once, Z for the rest, cas store clears it; R wins when the TTL is low', async () => {
  let r = await meta('mg needwin s c v N30 t');
  assert.ok(has(r, 'W'));
  assert.ok(!has(r, 'Z'));
  assert.equal(r.value, '', 'vivified with zero bytes');
  let ttl = Number(flag(r, 't'));
  assert.ok(ttl > 0 && ttl <= 30);
  const cas = flag(r, 'c')!;

  r = await meta('mg needwin s t c v N30');
  assert.ok(!has(r, 'W'));
  assert.ok(has(r, 'Z'));

  assert.equal((await meta('ms needwin 2 C5000 T120\r\nnu')).code, 'EX');
  assert.equal((await meta(`ms needwin 2 C${cas} T120\r\nmu`)).code, 'HD');
  r = await meta('mg needwin s k t c v N30');
  assert.ok(!has(r, 'W') && !has(r, 'Z'));
  assert.equal(flag(r, 'k'), 'needwin');
  ttl = Number(flag(r, 't'));
  assert.ok(ttl > 100 && ttl <= 120);
  assert.equal(r.value, 'mu');

  r = await meta('mg needwin s t c v N30 R130');
  assert.ok(has(r, 'W') && !has(r, 'Z'));
  assert.equal(r.value, 'mu');
  const cas2 = flag(r, 'c')!;
  r = await meta('mg needwin s t c v N30 R130');
  assert.ok(!has(r, 'W') && has(r, 'Z'));

  assert.equal((await meta(`ms needwin 4 C${cas2} T300\r\nzuuu`)).code, 'HD');
  r = await meta('mg needwin s t c v N30');
  assert.ok(!has(r, 'W') && !has(r, 'Z'));
  ttl = Number(flag(r, 't'));
  assert.ok(ttl > 250 && ttl <= 300);
  assert.equal(flag(r, 's'), '4');
  assert.equal(r.value, 'zuuu');
});

test('get-and-touch: T before t reports the new TTL', async () => {
  assert.equal((await meta('ms gatkey 4 T100\r\nooom')).code, 'HD');
  const r = await meta('mg gatkey s v T300 t');
  assert.ok(!has(r, 'W') && !has(r, 'Z'));
  const ttl = Number(flag(r, 't'));
  assert.ok(ttl > 280 && ttl <= 300);
});

test('without v there is no value', async () => {
  assert.equal((await meta('ms hidevalue 4 T100\r\nhide')).code, 'HD');
  assert.equal((await meta('mg hidevalue s t')).value, null);
  assert.equal((await meta('mg hidevalue s t v')).value, 'hide');
});

test('h: hit before; u: no bump, so the next look still says 0', async () => {
  assert.equal((await meta('ms hitflag 3 T100\r\nhit')).code, 'HD');
  assert.equal(flag(await meta('mg hitflag s t h'), 'h'), '0');
  assert.equal(flag(await meta('mg hitflag s t h'), 'h'), '1');

  assert.equal((await meta('ms noupdate 3 T100\r\nhit')).code, 'HD');
  assert.equal(flag(await meta('mg noupdate s t u h'), 'h'), '0');
  assert.equal(flag(await meta('mg noupdate s t h'), 'h'), '0', 'reports the state before this fetch');
  assert.equal(flag(await meta('mg noupdate s t u h'), 'h'), '1');
});

test('l: seconds since the last access', async () => {
  assert.equal((await meta('ms la_test 2 T100\r\nla')).code, 'HD');
  await sleep(2100);
  assert.notEqual(flag(await meta('mg la_test s t l'), 'l'), '0');
});

test('serve stale: md I marks it, one client wins, a low-cas set keeps it stale, the right cas fixes it', async () => {
  assert.equal(await lineOf('set toinv 0 0 3\r\nmoo\r\n'), 'STORED');
  let r = await meta('mg toinv s v');
  assert.ok(!has(r, 'X') && !has(r, 'W') && !has(r, 'Z'));
  assert.equal((await meta('md toinv I T30')).code, 'HD');

  r = await meta('mg toinv s t c v');
  assert.ok(has(r, 'W') && has(r, 'X'));
  let ttl = Number(flag(r, 't'));
  assert.ok(ttl > 0 && ttl <= 30);
  assert.equal(flag(r, 's'), '3');
  assert.equal(r.value, 'moo');

  assert.equal((await meta('ms toinv 1 T90 C0\r\nf')).code, 'EX');
  assert.equal((await meta('ms toinv 1 I T90 C1\r\nf')).code, 'HD');
  r = await meta('mg toinv s t c v');
  assert.ok(has(r, 'X') && has(r, 'Z') && !has(r, 'W'));
  ttl = Number(flag(r, 't'));
  assert.ok(ttl > 0 && ttl <= 30, 'the TTL was kept');
  const cas = flag(r, 'c')!;

  assert.equal((await meta(`ms toinv 1 T90 C${cas}\r\ng`)).code, 'HD');
  r = await meta('mg toinv s t c v');
  assert.ok(!has(r, 'W') && !has(r, 'X') && !has(r, 'Z'));
  ttl = Number(flag(r, 't'));
  assert.ok(ttl > 30 && ttl <= 90);
  assert.notEqual(flag(r, 'c'), cas);
  assert.equal(flag(r, 's'), '1');
  assert.equal(r.value, 'g');
});

test('q hides nominal replies; errors still come; mn ends a pipeline', async () => {
  c.send('ms quiet 2 q\r\nmo\r\nmd quiet q\r\nmg quiet s v q\r\n');
  assert.match(await lineOf('ms quiet\r\n'), /^CLIENT_ERROR/);
  c.send('ms quiet 2 q\r\nbo\r\n');
  c.send('mg quiet v q\r\nmg quiet v q\r\nmg quietmiss v q\r\nmn\r\n');
  assert.equal(await c.line(), 'VA 2');
  assert.equal(await c.line(), 'bo');
  assert.equal(await c.line(), 'VA 2');
  assert.equal(await c.line(), 'bo');
  assert.equal(await c.line(), 'MN');
  assert.match(await lineOf('mg quietautov s N30 t q\r\n'), /^HD s0/, 'a vivified miss is not hidden');
});

test('O comes back', async () => {
  assert.equal((await meta('ms otest 2 T100\r\nra')).code, 'HD');
  assert.equal(flag(await meta('mg otest t v Oopaque'), 'O'), 'opaque');
});

test('an unknown flag among many is an invalid flag', async () => {
  assert.match(await lineOf('mg foo m o o o o o o o o o\r\n'), /^CLIENT_ERROR invalid flag/);
});

test('quit in a pipeline: earlier replies arrive, later commands do not run', async () => {
  const q = await RawClient.connect(daemon.port);
  try {
    assert.equal(await (async () => {
      q.send('ms foo 2 T100\r\nna\r\n');
      return q.line();
    })(), 'HD');
    q.send('mg foo s\r\nmg foo s\r\nquit\r\nmg foo s\r\n');
    assert.match(await q.line(), /^HD /);
    assert.match(await q.line(), /^HD /);
    assert.ok(await q.closedWithin(2000));
    assert.equal((await q.drain(50)).length, 0, 'the last mg did not run');
  } finally {
    q.close();
  }
});
