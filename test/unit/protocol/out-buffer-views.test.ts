// OutBuffer's hand-outs: takeSingle() reuses views of a chunk's start by length (16 slots keyed
// by len & 15) and appendBytes copies 33..192-byte pieces as words through DataViews. Every
// Buffer handed out must hold exactly its batch's bytes when taken, keep them until recycle(),
// and never change length.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutBuffer } from '../../../src/protocol/out-buffer.js';
import { seededBytes, seededSlice } from '../../support/bytes.js';
import { SeededRandom } from '../../support/random.js';

interface HandedOut {
  buf: Buffer;
  len: number;
  bytes: Buffer; // a copy of what it held when taken
  batch: number;
}

function concat(parts: Buffer[] | null): Buffer {
  return parts === null ? Buffer.alloc(0) : Buffer.concat(parts);
}

test('takeSingle: colliding slots and repeated lengths hand out exactly each batch, never mutated before recycle', () => {
  const out = new OutBuffer();
  const r = new SeededRandom(12345);
  // 5, 21, 37, 53 share slot 5; 16 and 32 share slot 0; 5 comes back often.
  const lengths = [5, 21, 5, 5, 37, 53, 21, 16, 32, 16, 1, 17, 33, 200, 5, 4096, 15, 31];
  const all: HandedOut[] = [];
  let live: HandedOut[] = []; // handed out since the last recycle: must still hold their bytes
  let singles = 0;
  let reusedObjects = 0;
  const seen = new Set<Buffer>();
  for (let batch = 0; batch < 3000; batch++) {
    const len = lengths[r.int(lengths.length)]!;
    const want = seededBytes(len, batch);
    // Appended in a few pieces, the way replies are built (bytes, a CRLF, digits...).
    let p = 0;
    while (p < len) {
      const n = Math.min(len - p, 1 + r.int(40));
      if (n === 1) out.appendByte(want[p]!);
      else out.appendBytes(want, p, p + n);
      p += n;
    }
    assert.equal(out.length, len);
    const one = out.takeSingle();
    let got: Buffer;
    if (one !== null) {
      singles++;
      got = one;
      if (seen.has(one)) reusedObjects++;
      seen.add(one);
    } else {
      got = concat(out.take());
    }
    assert.equal(out.length, 0);
    assert.equal(got.length, len, `batch ${batch}: length`);
    assert.ok(got.equals(want), `batch ${batch} (len ${len}): contents when taken`);
    const h: HandedOut = { buf: got, len, bytes: Buffer.from(got), batch };
    all.push(h);
    live.push(h);
    for (const x of live) {
      assert.ok(x.buf.equals(x.bytes), `batch ${x.batch} changed before recycle (now at batch ${batch})`);
    }
    // Mostly the socket took everything at once (recycle right away); sometimes it did not.
    if (r.int(5) !== 0) {
      out.recycle();
      live = [];
    }
    for (const x of all) assert.equal(x.buf.length, x.len, `batch ${x.batch}: a handed-out Buffer changed length`);
  }
  assert.ok(singles > 2500, `takeSingle handed out ${singles} of 3000`);
  assert.ok(reusedObjects > 0, 'views were reused by length (the path under test ran)');
});

test('takeSingle: the same length twice in a row after recycle, then a colliding length', () => {
  const out = new OutBuffer();
  const a = seededBytes(5, 1);
  out.append(a);
  const v1 = out.takeSingle();
  assert.ok(v1 !== null && v1.equals(a));
  out.recycle();
  const b = seededBytes(5, 2);
  out.append(b);
  const v2 = out.takeSingle();
  assert.ok(v2 !== null && v2.equals(b), 'same length again: holds the new batch');
  out.recycle();
  const c = seededBytes(21, 3);
  out.append(c);
  const v3 = out.takeSingle();
  assert.ok(v3 !== null);
  assert.equal(v3.length, 21);
  assert.ok(v3.equals(c));
  // The 5-byte views are still 5 bytes long (the slot now holds a 21-byte view).
  assert.equal(v1.length, 5);
  assert.equal(v2.length, 5);
  out.recycle();
  const d = seededBytes(5, 4);
  out.append(d);
  const v4 = out.takeSingle();
  assert.ok(v4 !== null);
  assert.equal(v4.length, 5);
  assert.ok(v4.equals(d));
  assert.equal(v3.length, 21, 'the 21-byte view is not turned into a 5-byte one');
});

test('without recycle, later batches never overwrite earlier hand-outs (several chunks)', () => {
  const out = new OutBuffer();
  const kept: HandedOut[] = [];
  const r = new SeededRandom(99);
  let total = 0;
  for (let batch = 0; batch < 400; batch++) {
    const len = [5, 21, 37, 100, 1500, 3000, 9000][r.int(7)]!;
    const want = seededBytes(len, batch + 10_000);
    out.append(want);
    const one = out.takeSingle();
    const got = one !== null ? one : concat(out.take());
    assert.ok(got.equals(want), `batch ${batch}`);
    kept.push({ buf: got, len, bytes: want, batch });
    total += len;
  }
  assert.ok(total > 8 * 64 * 1024, 'spans more chunks than are kept for reuse');
  // Chunks retired past the lent limit are left to the GC, never refilled: all still intact.
  for (const x of kept) assert.ok(x.buf.equals(x.bytes), `batch ${x.batch} was overwritten`);
});

test('appendBytes of 33..192-byte pieces from slices of other buffers is byte-exact', () => {
  const out = new OutBuffer();
  const r = new SeededRandom(4242);
  const sources = [seededSlice(4000, 0, 1), seededSlice(4000, 3, 2), seededSlice(4000, 7, 3), seededSlice(4000, 1, 4)];
  // Also a plain Uint8Array that is not a Buffer.
  const u8 = new Uint8Array(new ArrayBuffer(5000), 5, 4000);
  u8.set(seededBytes(4000, 5));
  for (let round = 0; round < 60; round++) {
    const expected: Buffer[] = [];
    const pieces = 1 + r.int(400); // up to ~50 KB: some rounds cross into a new chunk
    for (let i = 0; i < pieces; i++) {
      const n = 33 + r.int(160); // 33..192
      const k = r.int(5);
      const start = r.int(4000 - n);
      if (k === 4) {
        out.appendBytes(u8, start, start + n);
        expected.push(Buffer.from(u8.buffer, u8.byteOffset + start, n));
      } else {
        const src = sources[k]!;
        out.appendBytes(src, start, start + n);
        expected.push(src.subarray(start, start + n));
      }
      // Short pieces in between shift the destination to odd offsets.
      if (r.int(3) === 0) {
        out.appendByte(0x2a);
        expected.push(Buffer.from([0x2a]));
      }
    }
    const want = Buffer.concat(expected);
    assert.equal(out.length, want.length);
    const one = out.takeSingle();
    const got = one !== null ? one : concat(out.take());
    assert.ok(got.equals(want), `round ${round}: ${pieces} pieces`);
    if (round % 3 !== 0) out.recycle();
  }
});

test('appendBytes pieces at the word-copy bounds, at the end of a chunk', () => {
  const out = new OutBuffer();
  const src = seededSlice(70_000, 3, 9);
  // Fill a chunk up to a few bytes short of 64 KiB, then pieces of 32, 33, 192, 193 bytes
  // that do not fit in what is left: they must continue correctly in the next chunk.
  for (const n of [32, 33, 100, 192, 193]) {
    for (const shortBy of [0, 1, 5, 31, 40, 191]) {
      const fill = 65536 - shortBy;
      out.appendBytes(src, 1, 1 + fill);
      out.appendBytes(src, 5, 5 + n);
      const want = Buffer.concat([src.subarray(1, 1 + fill), src.subarray(5, 5 + n)]);
      const parts = out.take();
      assert.ok(concat(parts).equals(want), `piece ${n}, ${shortBy} left in the chunk`);
      out.recycle();
    }
  }
});

test('several OutBuffers (connections) interleaved: one never overwrites what another handed out', () => {
  // Reply chunks may be shared between connections once recycled: a connection's hand-outs
  // stay intact until it recycles, whatever the others do meanwhile.
  const outs = [new OutBuffer(), new OutBuffer(), new OutBuffer()];
  const live: HandedOut[][] = [[], [], []];
  const r = new SeededRandom(777);
  const lengths = [5, 21, 37, 16, 300, 5000, 60_000, 70_000];
  for (let step = 0; step < 3000; step++) {
    const k = r.int(outs.length);
    const out = outs[k]!;
    const len = lengths[r.int(lengths.length)]!;
    const want = seededBytes(len, step + 90_000);
    out.appendBytes(want, 0, len);
    const one = out.takeSingle();
    const got = one !== null ? one : concat(out.take());
    assert.ok(got.equals(want), `step ${step}: connection ${k} took wrong bytes`);
    live[k]!.push({ buf: got, len, bytes: want, batch: step });
    if (r.int(3) === 0) {
      out.recycle();
      live[k] = [];
    }
    for (let j = 0; j < outs.length; j++) {
      for (const x of live[j]!) {
        assert.equal(x.buf.length, x.len);
        assert.ok(x.buf.equals(x.bytes), `connection ${j}: batch ${x.batch} overwritten by step ${step} (connection ${k})`);
      }
    }
  }
});

test('appendValueLine: the bytes of VALUE lines, with and without cas, short and long keys, across chunk ends', () => {
  const out = new OutBuffer();
  const r = new SeededRandom(777);
  let expected = '';
  // enough lines that several cross into a new chunk
  for (let i = 0; i < 2000; i++) {
    const keyLen = [1, 30, 32, 33, 100, 250][i % 6]!;
    const key = 'k'.repeat(keyLen - 1) + String.fromCharCode(97 + (i % 26));
    const src = Buffer.from('xx ' + key + ' yy', 'latin1'); // the key inside a larger line
    const flags = [0, 9, 10, 4294967295][r.int(4)]!;
    const bytes = r.int(1_000_000);
    const cas = i % 3 === 0 ? -1 : [0, 1, 123456789, 2 ** 53 - 1][r.int(4)]!;
    out.appendValueLine(src, 3, 3 + keyLen, flags, bytes, cas);
    expected += `VALUE ${key} ${flags} ${bytes}${cas >= 0 ? ' ' + cas : ''}\r\n`;
  }
  assert.equal(concat(out.take()).toString('latin1'), expected);
});

test('appendUint: every digit count, and both sides of 2^31', () => {
  const out = new OutBuffer();
  const ns: number[] = [0, 1, 9, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1];
  for (let k = 1; k <= 15; k++) ns.push(10 ** k - 1, 10 ** k, 10 ** k + 1);
  let expected = '';
  for (const n of ns) {
    out.appendUint(n);
    out.appendByte(0x20);
    expected += `${n} `;
  }
  assert.equal(concat(out.take()).toString('latin1'), expected);
});
