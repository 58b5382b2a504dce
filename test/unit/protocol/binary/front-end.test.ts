// The binary front end driven through a Session: exact reply bytes (as memcached 1.6.18 sends
// them, captured from the real server), quiet variants, framing errors, and the same
// transcripts fed whole, byte by byte and split at every offset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionAction } from '../../../../src/protocol/reader-contract.js';
import { Opcode, Status } from '../../../../src/protocol/binary/header.js';
import { makeSession } from '../../../support/context.js';
import { feed } from '../../../support/session-driver.js';
import { makeCtx, type TestCtx } from './helpers.js';
import { deltaExt, parseResponses, req, res, u32 } from '../../../support/binary-packets.js';

function run(t: TestCtx, input: Buffer, chunks?: number[]): ReturnType<typeof feed> {
  const s = makeSession(t.ctx);
  if (chunks === undefined) return feed(s, [input]);
  const parts: Buffer[] = [];
  let p = 0;
  for (const n of chunks) {
    parts.push(input.subarray(p, p + n));
    p += n;
  }
  if (p < input.length) parts.push(input.subarray(p));
  return feed(s, parts);
}

/** Runs the transcript in a fresh context and returns the reply bytes. */
function once(input: Buffer, chunks?: number[], overrides = {}): { out: Buffer; action: number } {
  const t = makeCtx(overrides);
  try {
    return run(t, input, chunks);
  } finally {
    t.close();
  }
}

const SET_EXT = (flags: number, exptime: number): Buffer => u32(flags, exptime);

test('GET miss, GETK miss, GETQ miss suppressed until NOOP', () => {
  const input = Buffer.concat([
    req(Opcode.Get, { key: 'foo' }),
    req(Opcode.GetK, { key: 'foo' }),
    req(Opcode.GetQ, { key: 'foo' }),
    req(Opcode.GetKQ, { key: 'foo' }),
    req(Opcode.Noop),
  ]);
  const { out, action } = once(input);
  assert.equal(action, SessionAction.Continue);
  assert.deepEqual(
    out,
    Buffer.concat([
      res(Opcode.Get, Status.KeyNotFound, { value: 'Not found' }),
      res(Opcode.GetK, Status.KeyNotFound, { key: 'foo' }),
      res(Opcode.Noop, Status.Success),
    ]),
  );
});

test('SET then GET/GETK/GETQ/GETKQ: flags, cas, key and value', () => {
  const t = makeCtx();
  try {
    const { out } = run(
      t,
      Buffer.concat([
        req(Opcode.Set, { key: 'foo', ext: SET_EXT(5, 0), value: 'bar' }),
        req(Opcode.Get, { key: 'foo' }),
        req(Opcode.GetK, { key: 'foo' }),
        req(Opcode.GetQ, { key: 'foo', opaque: 7 }),
        req(Opcode.GetKQ, { key: 'foo', opaque: 8 }),
      ]),
    );
    const r = parseResponses(out);
    assert.equal(r.length, 5);
    const cas = r[0]!.cas;
    assert.ok(cas > 0n);
    assert.deepEqual(out.subarray(0, 24), res(Opcode.Set, Status.Success, { cas }));
    assert.deepEqual(r[1], parseResponses(res(Opcode.Get, 0, { ext: u32(5), value: 'bar', cas }))[0]);
    assert.deepEqual(r[2], parseResponses(res(Opcode.GetK, 0, { ext: u32(5), key: 'foo', value: 'bar', cas }))[0]);
    assert.deepEqual(r[3], parseResponses(res(Opcode.GetQ, 0, { ext: u32(5), value: 'bar', cas, opaque: 7 }))[0]);
    assert.deepEqual(r[4], parseResponses(res(Opcode.GetKQ, 0, { ext: u32(5), key: 'foo', value: 'bar', cas, opaque: 8 }))[0]);
    assert.equal(t.ctx.counters.cmd_get, 4);
    assert.equal(t.ctx.store.stats().get_hits, 4);
  } finally {
    t.close();
  }
});

test('quiet storage succeeds silently; errors are still sent', () => {
  const t = makeCtx();
  try {
    const { out } = run(
      t,
      Buffer.concat([
        req(Opcode.SetQ, { key: 'q', ext: SET_EXT(0, 0), value: '1' }),
        req(Opcode.AddQ, { key: 'q', ext: SET_EXT(0, 0), value: '1' }), // exists
        req(Opcode.ReplaceQ, { key: 'nope', ext: SET_EXT(0, 0), value: '1' }), // not found
        req(Opcode.AppendQ, { key: 'nope', value: 'x' }), // not stored
        req(Opcode.AppendQ, { key: 'q', value: 'x' }), // ok, silent
        req(Opcode.DeleteQ, { key: 'nope' }), // not found
        req(Opcode.IncrementQ, { key: 'q', ext: deltaExt(1n, 0n, 0) }), // '1x' non-numeric
        req(Opcode.IncrementQ, { key: 'n', ext: deltaExt(1n, 10n, 0) }), // vivify, silent
        req(Opcode.FlushQ),
        req(Opcode.Noop),
      ]),
    );
    assert.deepEqual(
      out,
      Buffer.concat([
        res(Opcode.AddQ, Status.KeyExists, { value: 'Data exists for key.' }),
        res(Opcode.ReplaceQ, Status.KeyNotFound, { value: 'Not found' }),
        res(Opcode.AppendQ, Status.NotStored, { value: 'Not stored.' }),
        res(Opcode.DeleteQ, Status.KeyNotFound, { value: 'Not found' }),
        res(Opcode.IncrementQ, Status.DeltaBadValue, { value: 'Non-numeric server-side value for incr or decr' }),
        res(Opcode.Noop, Status.Success),
      ]),
    );
    assert.equal(t.ctx.counters.cmd_flush, 1);
  } finally {
    t.close();
  }
});

test('ADD, REPLACE, APPEND, PREPEND, DELETE and cas outcomes', () => {
  const t = makeCtx();
  try {
    const s = makeSession(t.ctx);
    const one = (b: Buffer) => parseResponses(feed(s, [b]).out);
    const set = one(req(Opcode.Set, { key: 'k', ext: SET_EXT(3, 0), value: 'mid' }))[0]!;
    assert.equal(set.status, 0);
    assert.equal(one(req(Opcode.Add, { key: 'k', ext: SET_EXT(0, 0), value: 'x' }))[0]!.status, Status.KeyExists);
    assert.equal(one(req(Opcode.Replace, { key: 'zz', ext: SET_EXT(0, 0), value: 'x' }))[0]!.status, Status.KeyNotFound);
    assert.equal(one(req(Opcode.Set, { key: 'k', ext: SET_EXT(0, 0), value: 'x', cas: set.cas + 100n }))[0]!.status, Status.KeyExists);
    assert.equal(one(req(Opcode.Set, { key: 'zz', ext: SET_EXT(0, 0), value: 'x', cas: 12345n }))[0]!.status, Status.KeyNotFound);
    assert.equal(one(req(Opcode.Append, { key: 'k', value: 'x', cas: 5n }))[0]!.status, Status.KeyExists);
    const app = one(req(Opcode.Append, { key: 'k', value: '>>' }))[0]!;
    assert.equal(app.status, 0);
    assert.ok(app.cas > set.cas);
    assert.equal(one(req(Opcode.Prepend, { key: 'k', value: '<<' }))[0]!.status, 0);
    const got = one(req(Opcode.Get, { key: 'k' }))[0]!;
    assert.equal(got.value.toString(), '<<mid>>');
    assert.deepEqual(got.ext, u32(3)); // append keeps the old flags
    // cas set with the right cas succeeds and answers the new cas
    const ok = one(req(Opcode.Set, { key: 'k', ext: SET_EXT(0, 0), value: 'v', cas: got.cas }))[0]!;
    assert.equal(ok.status, 0);
    assert.ok(ok.cas > got.cas);
    assert.deepEqual(one(req(Opcode.Delete, { key: 'k', cas: 1n }))[0]!.status, Status.KeyExists);
    const del = feed(s, [req(Opcode.Delete, { key: 'k' })]).out;
    assert.deepEqual(del, res(Opcode.Delete, 0)); // delete answers cas 0
    assert.deepEqual(feed(s, [req(Opcode.Delete, { key: 'k' })]).out, res(Opcode.Delete, Status.KeyNotFound, { value: 'Not found' }));
  } finally {
    t.close();
  }
});

test('INCREMENT/DECREMENT: no-vivify miss, vivify, wrap, non-numeric, cas', () => {
  const t = makeCtx();
  try {
    const s = makeSession(t.ctx);
    const one = (b: Buffer) => feed(s, [b]).out;
    assert.deepEqual(
      one(req(Opcode.Increment, { key: 'c', ext: deltaExt(1n, 10n, 0xffffffff) })),
      res(Opcode.Increment, Status.KeyNotFound, { value: 'Not found' }),
    );
    const viv = parseResponses(one(req(Opcode.Increment, { key: 'c', ext: deltaExt(1n, 10n, 0) })))[0]!;
    assert.equal(viv.status, 0);
    assert.equal(viv.value.readBigUInt64BE(0), 10n);
    assert.ok(viv.cas > 0n);
    const inc = parseResponses(one(req(Opcode.Increment, { key: 'c', ext: deltaExt(5n, 10n, 0) })))[0]!;
    assert.equal(inc.value.readBigUInt64BE(0), 15n);
    assert.equal(inc.cas, viv.cas + 1n);
    const dec = parseResponses(one(req(Opcode.Decrement, { key: 'c', ext: deltaExt(100n, 0n, 0) })))[0]!;
    assert.equal(dec.value.readBigUInt64BE(0), 0n); // decr stops at 0
    one(req(Opcode.Set, { key: 'big', ext: SET_EXT(0, 0), value: '18446744073709551615' }));
    const wrap = parseResponses(one(req(Opcode.Increment, { key: 'big', ext: deltaExt(2n, 0n, 0) })))[0]!;
    assert.equal(wrap.value.readBigUInt64BE(0), 1n);
    one(req(Opcode.Set, { key: 'txt', ext: SET_EXT(0, 0), value: 'abc' }));
    assert.deepEqual(
      one(req(Opcode.Decrement, { key: 'txt', ext: deltaExt(1n, 0n, 0) })),
      res(Opcode.Decrement, Status.DeltaBadValue, { value: 'Non-numeric server-side value for incr or decr' }),
    );
    assert.deepEqual(
      one(req(Opcode.Increment, { key: 'c', ext: deltaExt(1n, 0n, 0), cas: 1n })),
      res(Opcode.Increment, Status.KeyExists, { value: 'Data exists for key.' }),
    );
  } finally {
    t.close();
  }
});

test('TOUCH answers flags only, GAT/GATK answer the value, misses as GET; cmd_touch counted', () => {
  const t = makeCtx();
  try {
    const s = makeSession(t.ctx);
    const set = parseResponses(feed(s, [req(Opcode.Set, { key: 'foo', ext: SET_EXT(5, 0), value: 'bar' })]).out)[0]!;
    const cas = set.cas;
    const out = feed(s, [
      Buffer.concat([
        req(Opcode.Touch, { key: 'foo', ext: u32(100) }),
        req(Opcode.Gat, { key: 'foo', ext: u32(100) }),
        req(Opcode.GatK, { key: 'foo', ext: u32(100) }),
        req(Opcode.GatQ, { key: 'nope', ext: u32(100) }),
        req(Opcode.GatKQ, { key: 'foo', ext: u32(100) }),
        req(Opcode.Touch, { key: 'nope', ext: u32(100) }),
        req(Opcode.GatK, { key: 'nope', ext: u32(100) }),
      ]),
    ]).out;
    assert.deepEqual(
      out,
      Buffer.concat([
        res(Opcode.Touch, 0, { ext: u32(5), cas }),
        res(Opcode.Gat, 0, { ext: u32(5), value: 'bar', cas }),
        res(Opcode.GatK, 0, { ext: u32(5), key: 'foo', value: 'bar', cas }),
        res(Opcode.GatKQ, 0, { ext: u32(5), key: 'foo', value: 'bar', cas }),
        res(Opcode.Touch, Status.KeyNotFound, { value: 'Not found' }),
        res(Opcode.GatK, Status.KeyNotFound, { key: 'nope' }),
      ]),
    );
    assert.equal(t.ctx.counters.cmd_touch, 7);
    assert.equal(t.ctx.counters.cmd_get, 0);
    const st = t.ctx.store.stats();
    assert.equal(st.touch_hits, 4);
    assert.equal(st.touch_misses, 3);
    // the new exptime applies: 100 s later the item is gone
    t.clock.advance(101);
    assert.equal(parseResponses(feed(s, [req(Opcode.Get, { key: 'foo' })]).out)[0]!.status, Status.KeyNotFound);
  } finally {
    t.close();
  }
});

test('VERSION, NOOP, QUIT and QUITQ', () => {
  assert.deepEqual(once(req(Opcode.Version)).out, res(Opcode.Version, 0, { value: '1.6.18' }));
  const q = once(Buffer.concat([req(Opcode.Quit), req(Opcode.Noop)]));
  assert.deepEqual(q.out, res(Opcode.Quit, 0));
  assert.equal(q.action, SessionAction.CloseAfterFlush);
  const qq = once(Buffer.concat([req(Opcode.QuitQ), req(Opcode.Noop)]));
  assert.equal(qq.out.length, 0);
  assert.equal(qq.action, SessionAction.CloseAfterFlush);
});

test('FLUSH with and without a delay; -F answers Auth failure', () => {
  const t = makeCtx();
  try {
    const s = makeSession(t.ctx);
    feed(s, [req(Opcode.Set, { key: 'a', ext: SET_EXT(0, 0), value: '1' })]);
    assert.deepEqual(feed(s, [req(Opcode.Flush, { ext: u32(2) })]).out, res(Opcode.Flush, 0));
    assert.equal(parseResponses(feed(s, [req(Opcode.Get, { key: 'a' })]).out)[0]!.status, 0);
    t.clock.advance(3);
    assert.equal(parseResponses(feed(s, [req(Opcode.Get, { key: 'a' })]).out)[0]!.status, Status.KeyNotFound);
    feed(s, [req(Opcode.Set, { key: 'a', ext: SET_EXT(0, 0), value: '1' })]);
    t.clock.advance(1);
    assert.deepEqual(feed(s, [req(Opcode.Flush)]).out, res(Opcode.Flush, 0));
    assert.equal(parseResponses(feed(s, [req(Opcode.Get, { key: 'a' })]).out)[0]!.status, Status.KeyNotFound);
    assert.equal(t.ctx.counters.cmd_flush, 2);
  } finally {
    t.close();
  }
  const f = once(Buffer.concat([req(Opcode.Flush), req(Opcode.Noop)]), undefined, { flushEnabled: false });
  assert.deepEqual(f.out, Buffer.concat([res(Opcode.Flush, Status.AuthError, { value: 'Auth failure.' }), res(Opcode.Noop, 0)]));
});

test('framing: lengths that disagree answer Unknown command and close', () => {
  const r = once(Buffer.concat([req(Opcode.Get, { key: 'abc', bodyLen: 2 }), req(Opcode.Noop)]));
  assert.deepEqual(r.out, res(Opcode.Get, Status.UnknownCommand, { value: 'Unknown command' }));
  assert.equal(r.action, SessionAction.CloseAfterFlush);
});

test('framing: key over 250 bytes and bad extras answer Invalid arguments and close', () => {
  const cases = [
    req(Opcode.Get, { key: 'a'.repeat(251) }),
    req(Opcode.Get, { key: 'a', ext: u32(1) }),
    req(Opcode.Version, { key: 'x' }),
    req(Opcode.Noop, { ext: Buffer.from('ab') }),
    req(Opcode.Flush, { ext: Buffer.from('ab') }),
    req(Opcode.SetQ, { key: 'foo', ext: u32(5), value: 'bar' }),
    req(Opcode.Set, { key: '', ext: SET_EXT(0, 0), value: '1' }),
    req(Opcode.Increment, { key: '', ext: deltaExt(1n, 0n, 0) }),
    req(Opcode.Append, { key: 'a', ext: u32(1), value: 'x' }),
    req(Opcode.Delete, { key: 'a', value: 'x' }),
    req(Opcode.Touch, { key: 'a' }),
    req(Opcode.SaslListMechs, { key: 'x' }),
    req(Opcode.SaslAuth, { value: 'x' }),
  ];
  for (const c of cases) {
    const op = c[1]!;
    const r = once(Buffer.concat([c, req(Opcode.Noop)]));
    assert.deepEqual(r.out, res(op, Status.InvalidArguments, { value: 'Invalid arguments' }), `opcode ${op}`);
    assert.equal(r.action, SessionAction.CloseAfterFlush);
  }
});

test('unknown opcodes (VERBOSITY, range ops) answer 0x81 and swallow bodylen bytes after the key', () => {
  // key 'ab' + 2 value bytes: memcached swallows bodylen (4) bytes after the key, i.e. the value
  // and 2 more bytes, which the test supplies before the NOOP.
  const r = once(Buffer.concat([req(0x50, { key: 'ab', value: 'xy' }), Buffer.from('zz'), req(Opcode.Noop)]));
  assert.deepEqual(r.out, Buffer.concat([res(0x50, Status.UnknownCommand, { value: 'Unknown command' }), res(Opcode.Noop, 0)]));
  const v = once(Buffer.concat([req(Opcode.Verbosity, { ext: u32(1) }), u32(0), req(Opcode.Noop)]));
  assert.deepEqual(v.out, Buffer.concat([res(Opcode.Verbosity, Status.UnknownCommand, { value: 'Unknown command' }), res(Opcode.Noop, 0)]));
  assert.equal(v.action, SessionAction.Continue);
});

test('SASL opcodes without -S answer Unknown command and swallow the value', () => {
  const r = once(Buffer.concat([req(Opcode.SaslAuth, { key: 'PLAIN', value: '\0a\0b' }), req(Opcode.SaslListMechs), req(Opcode.Noop)]));
  assert.deepEqual(
    r.out,
    Buffer.concat([
      res(Opcode.SaslAuth, Status.UnknownCommand, { value: 'Unknown command' }),
      res(Opcode.SaslListMechs, Status.UnknownCommand, { value: 'Unknown command' }),
      res(Opcode.Noop, 0),
    ]),
  );
});

test('bad magic closes without a reply', () => {
  const r = once(Buffer.concat([req(Opcode.Noop), req(Opcode.Noop, { magic: 0x81 }), req(Opcode.Noop)]));
  assert.deepEqual(r.out, res(Opcode.Noop, 0));
  assert.equal(r.action, SessionAction.CloseAfterFlush);
});

test('a value larger than -I: Too large., value swallowed, old item unlinked, connection stays', () => {
  const t = makeCtx({ itemSizeMax: 1024 * 1024 });
  try {
    const s = makeSession(t.ctx);
    feed(s, [req(Opcode.Set, { key: 'big', ext: SET_EXT(0, 0), value: 'old' })]);
    const big = req(Opcode.Set, { key: 'big', ext: SET_EXT(0, 0), value: Buffer.alloc(1024 * 1024 + 10, 0x61) });
    // arrives in 64 KiB pieces, as from a socket
    const pieces: Buffer[] = [];
    for (let p = 0; p < big.length; p += 65536) pieces.push(big.subarray(p, p + 65536));
    pieces.push(req(Opcode.Get, { key: 'big' }));
    const { out, action } = feed(s, pieces);
    assert.equal(action, SessionAction.Continue);
    assert.deepEqual(out, Buffer.concat([res(Opcode.Set, Status.TooLarge, { value: 'Too large.' }), res(Opcode.Get, Status.KeyNotFound, { value: 'Not found' })]));
    assert.equal(t.ctx.store.stats().store_too_large, 1);
  } finally {
    t.close();
  }
});

test('a large value streams into the item in pieces and reads back whole', () => {
  const t = makeCtx();
  try {
    const s = makeSession(t.ctx);
    const value = Buffer.alloc(700 * 1024);
    for (let i = 0; i < value.length; i++) value[i] = (i * 7) & 0xff;
    const input = Buffer.concat([req(Opcode.Set, { key: 'v', ext: SET_EXT(9, 0), value }), req(Opcode.Get, { key: 'v' })]);
    const pieces: Buffer[] = [];
    for (let p = 0; p < input.length; p += 1000) pieces.push(input.subarray(p, p + 1000));
    const r = parseResponses(feed(s, pieces).out);
    assert.equal(r.length, 2);
    assert.equal(r[0]!.status, 0);
    assert.deepEqual(r[1]!.value, value);
    assert.deepEqual(r[1]!.ext, u32(9));
    // nothing left buffered by the session beyond one header's worth
    assert.equal(s.pendingInputBytes, 0);
  } finally {
    t.close();
  }
});

test('a header + key that cannot fit memcached\'s 16 KiB read buffer closes the connection', () => {
  const t = makeCtx();
  try {
    const s = makeSession(t.ctx);
    const r = feed(s, [req(Opcode.Get, { key: 'a'.repeat(20000) })]);
    assert.equal(r.out.length, 0);
    assert.equal(r.action, SessionAction.CloseAfterFlush);
    // 16000 fits: memcached waits for it, then rejects the key length
    const s2 = makeSession(t.ctx);
    const r2 = feed(s2, [req(Opcode.Get, { key: 'a'.repeat(16000) })]);
    assert.deepEqual(r2.out, res(Opcode.Get, Status.InvalidArguments, { value: 'Invalid arguments' }));
  } finally {
    t.close();
  }
});

test('STAT: groups as packets with an empty terminator; unknown group Not found', () => {
  const t = makeCtx();
  try {
    const s = makeSession(t.ctx);
    const settings = parseResponses(feed(s, [req(Opcode.Stat, { key: 'settings', opaque: 3 })]).out);
    assert.equal(settings[0]!.key.toString(), 'maxbytes');
    assert.equal(settings[0]!.value.toString(), String(64 * 1024 * 1024));
    const last = settings[settings.length - 1]!;
    assert.equal(last.keyLen, 0);
    assert.equal(last.bodyLen, 0);
    for (const p of settings) {
      assert.equal(p.opcode, Opcode.Stat);
      assert.equal(p.opaque, 3);
      assert.equal(p.cas, 0n);
    }
    const general = parseResponses(feed(s, [req(Opcode.Stat)]).out);
    assert.equal(general[0]!.key.toString(), 'pid');
    assert.equal(general[0]!.value.toString(), String(process.pid));
    assert.ok(general.some((p) => p.key.toString() === 'version' && p.value.toString() === '1.6.18'));
    assert.deepEqual(feed(s, [req(Opcode.Stat, { key: 'bogus' })]).out, res(Opcode.Stat, Status.KeyNotFound, { value: 'Not found' }));
    assert.deepEqual(feed(s, [req(Opcode.Stat, { key: 'conns' })]).out, res(Opcode.Stat, Status.KeyNotFound, { value: 'Not found' }));
    assert.deepEqual(feed(s, [req(Opcode.Stat, { key: 'reset' })]).out, res(Opcode.Stat, 0));
    const sizes = parseResponses(feed(s, [req(Opcode.Stat, { key: 'sizes' })]).out);
    assert.equal(sizes[0]!.key.toString(), 'sizes_status');
    assert.deepEqual(feed(s, [req(Opcode.Stat, { key: 'detail x' })]).out, res(Opcode.Stat, Status.KeyNotFound, { value: 'Not found' }));
    const dump = parseResponses(feed(s, [req(Opcode.Stat, { key: 'detail dump' })]).out);
    assert.equal(dump[0]!.key.toString(), 'detailed');
    assert.equal(dump[0]!.value.toString(), 'END\r\n');
  } finally {
    t.close();
  }
});

test('opaque is echoed and datatype is 0 on every reply', () => {
  const t = makeCtx();
  try {
    const s = makeSession(t.ctx);
    const ops = [
      req(Opcode.Noop, { opaque: 1 }),
      req(Opcode.Get, { key: 'x', opaque: 2 }),
      req(Opcode.Set, { key: 'x', ext: SET_EXT(0, 0), value: 'y', opaque: 0xffffffff }),
      req(Opcode.Version, { opaque: 4 }),
    ];
    const r = parseResponses(feed(s, [Buffer.concat(ops)]).out);
    assert.deepEqual(r.map((p) => p.opaque), [1, 2, 0xffffffff, 4]);
    assert.ok(r.every((p) => p.datatype === 0 && p.magic === 0x81));
  } finally {
    t.close();
  }
});

// One transcript exercising every state (header, key, value, swallow), fed whole, byte by
// byte and in two pieces split at every offset: the replies must be identical.
test('split at every offset gives the same replies', () => {
  const input = Buffer.concat([
    req(Opcode.Set, { key: 'foo', ext: SET_EXT(5, 0), value: 'barbaz' }),
    req(Opcode.GetK, { key: 'foo' }),
    req(Opcode.GetQ, { key: 'missing' }),
    req(Opcode.Append, { key: 'foo', value: '!' }),
    req(Opcode.Increment, { key: 'n', ext: deltaExt(3n, 7n, 0) }),
    req(0x50, { key: 'ab', value: 'xy' }),
    Buffer.from('zz'),
    req(Opcode.Touch, { key: 'foo', ext: u32(0) }),
    req(Opcode.Get, { key: 'foo' }),
    req(Opcode.Set, { key: 'e', ext: SET_EXT(0, 0) }), // empty value
    req(Opcode.Get, { key: 'e' }),
    req(Opcode.Noop),
  ]);
  const whole = once(input);
  assert.equal(parseResponses(whole.out).length, 10);
  assert.deepEqual(once(input, new Array<number>(input.length).fill(1)).out, whole.out);
  for (let i = 1; i < input.length; i++) {
    assert.deepEqual(once(input, [i]).out, whole.out, `split at ${i}`);
  }
});

test('-R yields between pipelined requests without closing the connection', () => {
  const t = makeCtx({ reqsPerEvent: 2 });
  try {
    const s = makeSession(t.ctx);
    const many: Buffer[] = [];
    for (let i = 0; i < 2000; i++) many.push(req(Opcode.Get, { key: 'key' + i }));
    many.push(req(Opcode.Noop));
    const r = feed(s, [Buffer.concat(many)]);
    assert.equal(r.action, SessionAction.Continue);
    assert.equal(parseResponses(r.out).length, 2001);
  } finally {
    t.close();
  }
});

test('-vv: header dumps and error lines like memcached; nothing built at level 0', () => {
  const t = makeCtx({}, null, 2);
  try {
    const s = makeSession(t.ctx);
    feed(s, [req(Opcode.Get, { key: 'foo', opaque: 0xdeadbeef })]);
    const id = s.conn.id;
    const lines = t.ctx.logLines.join('\n').split('\n');
    assert.deepEqual(lines, [
      `${id}: Client using the binary protocol`,
      `<${id} Read binary protocol data:`,
      `<${id}    0x80 0x00 0x00 0x03`,
      `<${id}    0x00 0x00 0x00 0x00`,
      `<${id}    0x00 0x00 0x00 0x03`,
      `<${id}    0xde 0xad 0xbe 0xef`,
      `<${id}    0x00 0x00 0x00 0x00`,
      `<${id}    0x00 0x00 0x00 0x00`,
      `<${id} GET foo`,
      `>${id} Writing an error: Not found`,
      `>${id} Writing bin response:`,
      `>${id}   0x81 0x00 0x00 0x00`,
      `>${id}   0x00 0x00 0x00 0x01`,
      `>${id}   0x00 0x00 0x00 0x09`,
      `>${id}   0xde 0xad 0xbe 0xef`,
      `>${id}   0x00 0x00 0x00 0x00`,
      `>${id}   0x00 0x00 0x00 0x00`,
    ]);
  } finally {
    t.close();
  }
  const q = makeCtx({}, null, 0);
  try {
    feed(makeSession(q.ctx), [req(Opcode.Get, { key: 'foo' }), req(0x50)]);
    assert.deepEqual(q.ctx.logLines, []);
  } finally {
    q.close();
  }
});
