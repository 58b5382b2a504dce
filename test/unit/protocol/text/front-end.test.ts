// The text reader driven through a Session with the real store: each fixture fed whole, byte by
// byte and split at every offset must give memcached 1.6.18's exact reply bytes (the expected
// bytes below were captured from Debian's memcached).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeSession, makeTestContext } from '../../../support/context.js';
import { feed } from '../../../support/session-driver.js';
import { SessionAction } from '../../../../src/protocol/reader-contract.js';

interface Fixture {
  name: string;
  input: string;
  reply: string;
  /** The session's final action (default Continue). */
  action?: number;
  /** Replies depend on where packets end (memcached's flush points): whole only. */
  wholeOnly?: boolean;
}

const K251 = 'a'.repeat(251);

const FIXTURES: Fixture[] = [
  { name: 'set then get', input: 'set k 0 0 2\r\nab\r\nget k\r\n', reply: 'STORED\r\nVALUE k 0 2\r\nab\r\nEND\r\n' },
  { name: 'bare \\n line ends', input: 'set k 5 0 2\nab\r\nget k\n', reply: 'STORED\r\nVALUE k 5 2\r\nab\r\nEND\r\n' },
  { name: 'bad data chunk, leftover \\n is an empty command', input: 'set k 0 0 2\r\nabc\r\nget k\r\n', reply: 'CLIENT_ERROR bad data chunk\r\nERROR\r\nEND\r\n' },
  { name: 'bad data chunk with \\n only', input: 'set k 0 0 2\nab\nget k\n', reply: 'CLIENT_ERROR bad data chunk\r\nERROR\r\n' },
  { name: 'bad data chunk swallows nothing more', input: 'set k 0 0 2\r\nab\rxget k\r\n', reply: 'CLIENT_ERROR bad data chunk\r\nEND\r\n' },
  { name: 'noreply suppresses bad data chunk', input: 'set k 0 0 1 noreply\r\nab\r\n', reply: 'ERROR\r\n' },
  { name: 'length wraps to int32 like memcached', input: 'set k 0 0 4294967298\r\nab\r\nget k\r\n', reply: 'STORED\r\nVALUE k 0 2\r\nab\r\nEND\r\n' },
  { name: 'flags wrap to uint32', input: 'set k 4294967297 0 1\r\na\r\nget k\r\n', reply: 'STORED\r\nVALUE k 1 1\r\na\r\nEND\r\n' },
  { name: 'negative flags: bad line, data parsed as a command', input: 'set k -1 0 1\r\na\r\n', reply: 'CLIENT_ERROR bad command line format\r\nERROR\r\n' },
  { name: 'plus sign and -0 accepted', input: 'set k +5 -0 1\r\na\r\nget k\r\n', reply: 'STORED\r\nVALUE k 5 1\r\na\r\nEND\r\n' },
  { name: 'negative length', input: 'set k 0 0 -1\r\n', reply: 'CLIENT_ERROR bad command line format\r\n' },
  { name: 'too many tokens', input: 'set k 0 0 1 2 3\r\na\r\n', reply: 'ERROR\r\nERROR\r\n' },
  { name: 'too few tokens', input: 'set k 0 0\r\n', reply: 'ERROR\r\n' },
  { name: 'key too long is not swallowed', input: `set ${K251} 0 0 1\r\na\r\n`, reply: 'CLIENT_ERROR bad command line format\r\nERROR\r\n' },
  {
    name: 'append and prepend keep flags',
    input: 'set k 0 0 1\r\na\r\nappend k 5 5 1\r\nb\r\nprepend k 6 6 1\r\nc\r\nget k\r\n',
    reply: 'STORED\r\nSTORED\r\nSTORED\r\nVALUE k 0 3\r\ncab\r\nEND\r\n',
  },
  { name: 'add/replace/append/prepend misses', input: 'set k 0 0 1\r\na\r\nadd k 0 0 1\r\nb\r\nreplace no 0 0 1\r\nb\r\nappend no 0 0 1\r\nb\r\nprepend no 0 0 1\r\nb\r\n', reply: 'STORED\r\nNOT_STORED\r\nNOT_STORED\r\nNOT_STORED\r\nNOT_STORED\r\n' },
  { name: 'cas token count', input: 'cas k 0 0 1\r\na\r\n', reply: 'ERROR\r\nERROR\r\n' },
  { name: 'cas bad unique', input: 'cas k 0 0 1 -1\r\na\r\n', reply: 'CLIENT_ERROR bad command line format\r\nERROR\r\n' },
  { name: 'cas on a missing key', input: 'cas nokey 0 0 1 1\r\na\r\n', reply: 'NOT_FOUND\r\n' },
  { name: 'cas mismatch', input: 'set k 0 0 1\r\na\r\ncas k 0 0 1 99999\r\nb\r\n', reply: 'STORED\r\nEXISTS\r\n' },
  { name: 'delete forms', input: 'set k 0 0 1\r\na\r\ndelete k 1\r\ndelete k 0\r\ndelete k\r\ndelete k noreply\r\ndelete k x y\r\ndelete k 0 noreply x\r\ndelete\r\n', reply: 'STORED\r\nCLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\nDELETED\r\nNOT_FOUND\r\nCLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\nERROR\r\nERROR\r\n' },
  {
    name: 'incr/decr',
    input: 'set n 0 0 2\r\n10\r\nincr n -1\r\nincr n 18446744073709551616\r\nincr n 18446744073709551615\r\ndecr n 100\r\nincr n 5 noreply\r\nget n\r\nincr nokey 1\r\nincr\r\n',
    reply: 'STORED\r\nCLIENT_ERROR invalid numeric delta argument\r\nCLIENT_ERROR invalid numeric delta argument\r\n9\r\n0\r\nVALUE n 0 2\r\n5 \r\nEND\r\nNOT_FOUND\r\nERROR\r\n',
  },
  { name: 'incr non-numeric', input: 'set n 0 0 2\r\nab\r\nincr n 1\r\n', reply: 'STORED\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\n' },
  { name: 'touch', input: 'touch k abc\r\nset k 0 0 1\r\na\r\ntouch k 10\r\ntouch no 10\r\ntouch k\r\n', reply: 'CLIENT_ERROR invalid exptime argument\r\nSTORED\r\nTOUCHED\r\nNOT_FOUND\r\nERROR\r\n' },
  { name: 'flush_all forms', input: 'flush_all abc\r\nflush_all 0 noreply\r\nflush_all noreply\r\nflush_all 0 0\r\nflush_all -1\r\nflush_all\r\n', reply: 'CLIENT_ERROR invalid exptime argument\r\nOK\r\nOK\r\nOK\r\n' },
  { name: 'flush_all hides items', input: 'set k 0 0 1\r\na\r\nflush_all\r\nget k\r\n', reply: 'STORED\r\nOK\r\nEND\r\n' },
  { name: 'verbosity', input: 'verbosity\r\nverbosity x\r\nverbosity 1 noreply\r\nverbosity 0\r\n', reply: 'ERROR\r\nCLIENT_ERROR bad command line format\r\nOK\r\n' },
  { name: 'cache_memlimit', input: 'cache_memlimit 4\r\ncache_memlimit x\r\ncache_memlimit 64 noreply\r\ncache_memlimit 64\r\ncache_memlimit 1000000001\r\n', reply: 'MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\nERROR\r\nOK\r\nMEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n' },
  { name: 'slabs', input: 'slabs reassign x 2\r\nslabs automove 3\r\nslabs automove x\r\nslabs automove 1\r\nslabs automove ratio 0.5\r\nslabs\r\nslabs foo\r\n', reply: 'CLIENT_ERROR bad command line format\r\nERROR\r\nCLIENT_ERROR bad command line format\r\nOK\r\nOK\r\nERROR\r\nERROR\r\n' },
  { name: 'lru', input: 'lru tune 10 10 0.1 2\r\nlru tune 50 50 0.1 2\r\nlru mode flat\r\nlru mode x\r\nlru temp_ttl -1\r\nlru temp_ttl x\r\nlru foo\r\nlru\r\n', reply: 'OK\r\nERROR hot and warm pcts must not exceed 80\r\nOK\r\nERROR\r\nOK\r\nERROR\r\nERROR\r\nERROR\r\n' },
  { name: 'gat forms', input: 'gat abc k\r\ngat 0\r\nset k 3 0 1\r\na\r\ngat 0 k\r\nget\r\ngets\r\n', reply: 'CLIENT_ERROR invalid exptime argument\r\nEND\r\nSTORED\r\nVALUE k 3 1\r\na\r\nEND\r\nERROR\r\nERROR\r\n' },
  {
    // past the reader's byte-by-byte line scan (64 bytes): a NUL after it, one before a \n after it, none
    name: 'NUL and line ends past 64 bytes',
    input: `set k 0 0 1\r\na\r\nget k ${'x'.repeat(70)}\x00 k zz\r\nget k\x00${'y'.repeat(80)}\r\nget ${'z'.repeat(100)} k\r\n`,
    reply: 'STORED\r\n' + 'VALUE k 0 1\r\na\r\nEND\r\n'.repeat(3),
  },
  { name: 'odd lines', input: 'x\r\n\r\n\n \r\n  get   k  \r\nbget k\r\nget k\x00zz\r\nmisbehave\r\nGET k\r\nfoo HTTP/1.0 x\r\n', reply: 'ERROR\r\nERROR\r\nERROR\r\nERROR\r\nEND\r\nEND\r\nEND\r\nERROR\r\nERROR\r\nERROR\r\n' },
  {
    // 'get ' lines skip the tokenizer: no key after the spaces is still memcached's ERROR
    name: 'get with spaces and no key',
    input: 'set k 0 0 1\r\na\r\nget \r\nget    \r\nget \x00k\r\nget   k  k \r\nget\tk\r\n',
    reply: 'STORED\r\nERROR\r\nERROR\r\nERROR\r\nVALUE k 0 1\r\na\r\nVALUE k 0 1\r\na\r\nEND\r\nERROR\r\n',
  },
  { name: 'version', input: 'version x\r\n', reply: 'VERSION 1.6.18\r\n' },
  { name: 'shutdown without -A', input: 'shutdown\r\nshutdown graceful\r\n', reply: 'ERROR: shutdown not enabled\r\nERROR: shutdown not enabled\r\n' },
  { name: 'quit closes after the replies so far', input: 'version\r\nquit\r\nversion\r\n', reply: 'VERSION 1.6.18\r\n', action: SessionAction.CloseAfterFlush },
  { name: 'HTTP line hangs up', input: 'GET / HTTP/1.1\r\n', reply: '', action: SessionAction.CloseAfterFlush },
  { name: 'HTTP line drops unflushed replies', input: 'version\r\nGET / HTTP/1.1\r\n', reply: '', action: SessionAction.CloseAfterFlush, wholeOnly: true },
  { name: 'get key too long culls replies since the last flush', input: `set a 0 0 1\r\n1\r\nget a ${K251}\r\nget a\r\n`, reply: 'CLIENT_ERROR bad command line format\r\nVALUE a 0 1\r\n1\r\nEND\r\n', wholeOnly: true },
  { name: 'get flushes before a bad key', input: `set a 0 0 1\r\n1\r\nget a\r\nget a ${K251}\r\n`, reply: 'STORED\r\nVALUE a 0 1\r\n1\r\nEND\r\nCLIENT_ERROR bad command line format\r\n' },
  { name: 'watch', input: 'watch bogus\r\nwatch noreply\r\n', reply: 'ERROR\r\n' },
  { name: 'watch after a reply in the batch', input: 'version\r\nwatch\r\n', reply: 'VERSION 1.6.18\r\nERROR cannot pipeline other commands before watch\r\n', wholeOnly: true },
  // OK and the log lines go to the socket through the watch log (test/integration/watch.test.ts)
  { name: 'watch then nothing more', input: 'watch\r\nget k\r\n', reply: '' },
  { name: 'stats detail', input: 'stats detail\r\nstats detail x\r\nstats detail on\r\nset foo:bar 0 0 1\r\n1\r\nget foo:bar foo:x\r\ndelete foo:bar\r\nstats detail dump\r\nstats detail off\r\n', reply: 'CLIENT_ERROR usage: stats detail on|off|dump\r\nCLIENT_ERROR usage: stats detail on|off|dump\r\nOK\r\nSTORED\r\nVALUE foo:bar 0 1\r\n1\r\nEND\r\nDELETED\r\nPREFIX foo get 2 hit 1 set 1 del 1\r\nEND\r\nOK\r\n' },
  { name: 'stats errors', input: 'stats cachedump 1\r\nstats cachedump x 1\r\nstats cachedump 300 1\r\nstats bogus\r\nstats noreply\r\nstats reset\r\nstats sizes\r\n', reply: 'CLIENT_ERROR bad command line\r\nCLIENT_ERROR bad command line format\r\nCLIENT_ERROR Illegal slab id\r\nERROR\r\nERROR\r\nRESET\r\nSTAT sizes_status disabled\r\nEND\r\n' },
  { name: 'stats cachedump', input: 'set a 0 0 1\r\n1\r\nstats cachedump 1 0\r\n', reply: 'STORED\r\nITEM a [1 b; 0 s]\r\nEND\r\n' },
  { name: 'too large: reply, swallow, old value gone', input: `set big 0 0 1\r\na\r\nset big 0 0 2000000\r\n${'z'.repeat(2000002)}get big\r\n`, reply: 'STORED\r\nSERVER_ERROR object too large for cache\r\nEND\r\n' },
];

const SHORT = FIXTURES.filter((f) => f.input.length < 5000);

function run(chunks: Buffer[]): { out: string; action: number } {
  const ctx = makeTestContext();
  const s = makeSession(ctx);
  s.watchSink = { queuedBytes: 0, writeWatch: () => {} };
  const r = feed(s, chunks);
  ctx.store.close();
  return { out: r.out.toString('latin1'), action: r.action };
}

for (const f of FIXTURES) {
  test(`whole: ${f.name}`, () => {
    const r = run([Buffer.from(f.input, 'latin1')]);
    assert.equal(r.out, f.reply);
    assert.equal(r.action, f.action ?? SessionAction.Continue);
  });
}

for (const f of SHORT) {
  if (f.wholeOnly) continue;
  test(`byte by byte: ${f.name}`, () => {
    const input = Buffer.from(f.input, 'latin1');
    const chunks: Buffer[] = [];
    for (let i = 0; i < input.length; i++) chunks.push(input.subarray(i, i + 1));
    const r = run(chunks);
    assert.equal(r.out, f.reply);
    assert.equal(r.action, f.action ?? SessionAction.Continue);
  });
  test(`split at every offset: ${f.name}`, () => {
    const input = Buffer.from(f.input, 'latin1');
    for (let cut = 1; cut < input.length; cut++) {
      const r = run([input.subarray(0, cut), input.subarray(cut)]);
      assert.equal(r.out, f.reply, `cut at ${cut}`);
    }
  });
}

test('a value split across packets holds replies until it completes (memcached conn_nread)', () => {
  const ctx = makeTestContext();
  const s = makeSession(ctx);
  const a = feed(s, [Buffer.from('version\r\nset k 0 0 5\r\nab')]);
  assert.equal(a.out.toString(), '');
  const b = feed(s, [Buffer.from('cde\r\n')]);
  assert.equal(b.out.toString(), 'VERSION 1.6.18\r\nSTORED\r\n');
  ctx.store.close();
});

test('a partial non-get line over 2048 bytes closes; a get line may grow', () => {
  const ctx = makeTestContext();
  const s = makeSession(ctx);
  assert.equal(s.onData(Buffer.from('version ' + 'a'.repeat(3000))), SessionAction.CloseNow);
  const g = makeSession(ctx);
  assert.equal(g.onData(Buffer.from('   get ' + 'a '.repeat(3000))), SessionAction.Continue);
  assert.equal(g.onData(Buffer.from('\r\n')), SessionAction.Continue);
  assert.equal(Buffer.concat(g.out.take() ?? []).toString(), 'END\r\n');
  ctx.store.close();
});

test('multiget beyond MAX_TOKENS keys and large values', () => {
  const ctx = makeTestContext();
  const s = makeSession(ctx);
  const big = 'v'.repeat(200000);
  const keys = Array.from({ length: 100 }, (_, i) => 'k' + i);
  const input = `set k7 1 0 ${big.length}\r\n${big}\r\nset k99 2 0 1\r\nx\r\ngets ${keys.join(' ')}\r\n`;
  const out = feed(s, [Buffer.from(input)]).out.toString('latin1').replace(/(VALUE \S+ \d+ \d+) \d+/g, '$1 C');
  assert.equal(out, `STORED\r\nSTORED\r\nVALUE k7 1 200000 C\r\n${big}\r\nVALUE k99 2 1 C\r\nx\r\nEND\r\n`);
  assert.equal(ctx.counters.cmd_get, 100);
  ctx.store.close();
});

test('shutdown with -A asks the server to stop', () => {
  const ctx = makeTestContext({ settings: { enableShutdown: true } });
  const s = makeSession(ctx);
  const r = feed(s, [Buffer.from('shutdown bogus\r\nshutdown graceful\r\n')]);
  // memcached closes at once: the unflushed error line of the same batch is never sent.
  assert.equal(r.out.toString(), '');
  assert.equal(r.action, SessionAction.CloseAfterFlush);
  assert.deepEqual(ctx.shutdownRequests, [true]);
  ctx.store.close();
});

test('-F and -W replies', () => {
  const ctx = makeTestContext({ settings: { flushEnabled: false, watchEnabled: false, dumpEnabled: false } });
  const s = makeSession(ctx);
  const r = feed(s, [Buffer.from('flush_all\r\nwatch\r\nstats cachedump 1 1\r\n')]);
  assert.equal(r.out.toString(), 'CLIENT_ERROR flush_all not allowed\r\nCLIENT_ERROR watch commands not allowed\r\nCLIENT_ERROR stats cachedump not allowed\r\n');
  assert.equal(ctx.counters.cmd_flush, 1);
  ctx.store.close();
});

test('-vv lines match memcached', () => {
  const ctx = makeTestContext({ logLevel: 2 });
  const s = makeSession(ctx);
  const id = s.conn.id;
  feed(s, [Buffer.from('set foo 0 0 3\r\nbar\r\nset x 0 0 1 noreply\r\na\r\nget foo nope\r\nbogus\r\nincr foo 1\r\n')]);
  assert.deepEqual(ctx.logLines, [
    `${id}: Client using the ascii protocol`,
    `<${id} set foo 0 0 3`,
    `>${id} STORED`,
    `<${id} set x 0 0 1 noreply`,
    `>${id} NOREPLY STORED`,
    `<${id} get foo nope`,
    `>${id} sending key foo`,
    `>${id} END`,
    `<${id} bogus`,
    `>${id} ERROR`,
    `<${id} incr foo 1`,
    `>${id} CLIENT_ERROR cannot increment or decrement non-numeric value`,
  ]);
  ctx.store.close();
});

test('verbosity sets the log level (capped at 2)', () => {
  const ctx = makeTestContext();
  const s = makeSession(ctx);
  feed(s, [Buffer.from('verbosity 5\r\n')]);
  assert.equal(ctx.log.level, 2);
  ctx.store.close();
});

test('-R yield keeps the rest of a long pipeline (no line-length close)', () => {
  const ctx = makeTestContext({ settings: { reqsPerEvent: 5 } });
  const s = makeSession(ctx);
  let req = '';
  let want = '';
  for (let i = 0; i < 300; i++) {
    req += `set p${i} 0 0 1\r\nx\r\n`;
    want += 'STORED\r\n';
  }
  const r = feed(s, [Buffer.from(req)]);
  assert.equal(r.action, SessionAction.Continue);
  assert.equal(r.out.toString(), want);
  ctx.store.close();
});
