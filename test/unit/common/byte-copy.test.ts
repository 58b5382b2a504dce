// copyBytes against Buffer.copy for every length across the three strategies (byte loop, word
// copies through DataViews, Buffer.copy), unaligned offsets and buffers that are slices of a
// larger ArrayBuffer; copyRange (the native copy) into and out of SharedArrayBuffers, overlapping
// and out-of-range as Buffer.copy; LastViewCache's view reuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BYTE_LOOP_MAX, copyBytes, copyRange, dataViewOf, LastViewCache, NO_VIEW, WORD_COPY_MAX } from '../../../src/common/byte-copy.js';
import { seededBytes, seededSlice } from '../../support/bytes.js';

const MAX_LEN = 400;
const OFFSETS = [0, 1, 2, 3, 4, 5, 7, 8, 13];

test('the thresholds are what the strategies assume', () => {
  assert.ok(BYTE_LOOP_MAX >= 0 && BYTE_LOOP_MAX < WORD_COPY_MAX);
  assert.ok(WORD_COPY_MAX < MAX_LEN, 'the test covers lengths past the word-copy range');
  assert.equal(NO_VIEW.byteLength, 0);
});

test('copyBytes equals Buffer.copy for every length 0..400, unaligned offsets, sliced buffers', () => {
  const size = MAX_LEN + 32;
  // Sources and destinations at several byteOffsets of their ArrayBuffers (odd ones included).
  for (const srcShift of [0, 3]) {
    for (const dstShift of [0, 1, 6]) {
      const src = seededSlice(size, srcShift, 7 + srcShift);
      const srcView = dataViewOf(src);
      const dstBase = seededSlice(size, dstShift, 99 + dstShift);
      const dst = Buffer.from(dstBase.buffer, dstBase.byteOffset, dstBase.byteLength);
      const dstView = dataViewOf(dst);
      const expected = Buffer.alloc(size);
      // The bytes of dst's ArrayBuffer outside dst itself must never change either.
      const whole = new Uint8Array(dst.buffer);
      const outsideBefore = Buffer.from(whole.slice(0, dst.byteOffset));
      const outsideAfter = Buffer.from(whole.slice(dst.byteOffset + dst.byteLength));
      for (let len = 0; len <= MAX_LEN; len++) {
        for (const srcStart of OFFSETS) {
          for (const dstStart of OFFSETS) {
            if (srcStart + len > size || dstStart + len > size) continue;
            dst.set(dstBase);
            expected.set(dstBase);
            src.copy(expected, dstStart, srcStart, srcStart + len);
            copyBytes(src, srcView, srcStart, dst, dstView, dstStart, len);
            if (!dst.equals(expected)) {
              let at = 0;
              while (dst[at] === expected[at]) at++;
              assert.fail(
                `len ${len} src@${srcStart} (shift ${srcShift}) dst@${dstStart} (shift ${dstShift}): first difference at ${at}: ` +
                  `${dst[at]} != ${expected[at]}`,
              );
            }
          }
        }
      }
      assert.ok(Buffer.from(whole.slice(0, dst.byteOffset)).equals(outsideBefore), 'bytes before dst in its ArrayBuffer changed');
      assert.ok(Buffer.from(whole.slice(dst.byteOffset + dst.byteLength)).equals(outsideAfter), 'bytes after dst in its ArrayBuffer changed');
    }
  }
});

test('bytes just outside the destination range stay untouched at every length', () => {
  const size = MAX_LEN + 40;
  const src = seededSlice(size, 5, 3);
  const srcView = dataViewOf(src);
  const dst = seededSlice(size, 3, 4);
  const dstView = dataViewOf(dst);
  const FILL = Buffer.alloc(size, 0xa5);
  for (let len = 0; len <= MAX_LEN; len++) {
    for (const dstStart of [1, 4, 9]) {
      dst.fill(0xa5);
      copyBytes(src, srcView, 2, dst, dstView, dstStart, len);
      assert.ok(dst.subarray(0, dstStart).equals(FILL.subarray(0, dstStart)), `len ${len}: a byte before the range changed`);
      assert.ok(dst.subarray(dstStart + len).equals(FILL.subarray(0, size - dstStart - len)), `len ${len}: a byte after the range changed`);
      assert.ok(dst.subarray(dstStart, dstStart + len).equals(src.subarray(2, 2 + len)), `len ${len}: copied bytes differ`);
    }
  }
});

test('plain Uint8Arrays (not Buffers) as source and destination', () => {
  const ab = new ArrayBuffer(1024);
  const src = new Uint8Array(ab, 7, 500);
  src.set(seededBytes(500, 21));
  const dst = new Uint8Array(new ArrayBuffer(600), 1, 520);
  for (const len of [0, 1, BYTE_LOOP_MAX, BYTE_LOOP_MAX + 1, 100, WORD_COPY_MAX, WORD_COPY_MAX + 1, 450]) {
    dst.fill(0x11);
    copyBytes(src, dataViewOf(src), 3, dst, dataViewOf(dst), 5, len);
    const want = new Uint8Array(520).fill(0x11);
    want.set(src.subarray(3, 3 + len), 5);
    assert.deepEqual(Buffer.from(dst.buffer, dst.byteOffset, dst.byteLength), Buffer.from(want), `len ${len}`);
  }
});

test('source and destination in the same ArrayBuffer (disjoint ranges, different Buffer objects)', () => {
  const ab = new ArrayBuffer(2048);
  new Uint8Array(ab).set(seededBytes(2048, 55));
  const a = Buffer.from(ab, 3, 900); // source part
  const b = Buffer.from(ab, 1000, 1000); // destination part
  const ref = Buffer.from(new Uint8Array(ab).slice(0)); // copy of the whole thing for the expectation
  for (const len of [7, 8, 9, 33, 150, 192, 193, 399]) {
    const refA = ref.subarray(3, 903);
    const refB = ref.subarray(1000, 2000);
    refA.copy(refB, 11, 17, 17 + len);
    copyBytes(a, dataViewOf(a), 17, b, dataViewOf(b), 11, len);
    assert.ok(Buffer.from(ab).equals(ref), `len ${len}`);
  }
});

test('word copies use the views given (the offsets are relative to the Buffers, not their ArrayBuffers)', () => {
  // A view of the wrong window would copy shifted bytes: this pins down that the DataViews from
  // dataViewOf start at the Buffer's byteOffset.
  const src = seededSlice(300, 9, 77);
  const dst = Buffer.alloc(300);
  const v = dataViewOf(src);
  assert.equal(v.byteOffset, src.byteOffset);
  assert.equal(v.byteLength, src.byteLength);
  assert.equal(v.buffer, src.buffer);
  copyBytes(src, v, 0, dst, dataViewOf(dst), 0, 100);
  assert.ok(dst.subarray(0, 100).equals(src.subarray(0, 100)));
});

test('copyRange equals Buffer.copy into and out of SharedArrayBuffers, slices of one included', () => {
  const shared = Buffer.from(new SharedArrayBuffer(4096), 64, 2048); // a page's window
  const plain = seededSlice(2048, 3, 31);
  for (const len of [0, 1, 9, 100, 193, 1000, 2000]) {
    for (const [srcStart, dstStart] of [[0, 0], [1, 7], [13, 40]] as const) {
      if (srcStart + len > 2048 || dstStart + len > 2048) continue;
      shared.fill(0x5a);
      const want = Buffer.alloc(2048, 0x5a);
      plain.copy(want, dstStart, srcStart, srcStart + len);
      copyRange(plain, srcStart, shared, dstStart, len);
      assert.ok(shared.equals(want), `into: len ${len} src@${srcStart} dst@${dstStart}`);
      const back = Buffer.alloc(2048, 0x11);
      const wantBack = Buffer.alloc(2048, 0x11);
      shared.copy(wantBack, srcStart, dstStart, dstStart + len);
      copyRange(shared, dstStart, back, srcStart, len);
      assert.ok(back.equals(wantBack), `out of: len ${len}`);
    }
  }
  const whole = new Uint8Array(shared.buffer);
  assert.ok(whole.subarray(0, 64).every((b) => b === 0) && whole.subarray(64 + 2048).every((b) => b === 0), 'bytes outside the window changed');
});

test('copyRange: overlapping ranges as memmove, ranges past either end as Buffer.copy (clamped)', () => {
  const a = seededBytes(600, 8);
  const want = Buffer.from(a);
  want.copy(want, 10, 0, 500);
  copyRange(a, 0, a, 10, 500);
  assert.ok(a.equals(want), 'forward overlap');
  want.copy(want, 0, 10, 510);
  copyRange(a, 10, a, 0, 500);
  assert.ok(a.equals(want), 'backward overlap');
  const src = seededBytes(300, 9);
  for (const [srcStart, dstStart, len] of [[250, 0, 100], [0, 250, 100], [290, 295, 50]] as const) {
    const dst = Buffer.alloc(300, 1);
    const expected = Buffer.alloc(300, 1);
    src.copy(expected, dstStart, srcStart, srcStart + len);
    copyRange(src, srcStart, dst, dstStart, len);
    assert.ok(dst.equals(expected), `src@${srcStart} dst@${dstStart} len ${len}`);
  }
});

test('LastViewCache: same view for the same buffer, a new correct one when the buffer changes', () => {
  const cache = new LastViewCache();
  const a = seededSlice(64, 3, 1);
  const b = seededSlice(80, 5, 2);
  const va = cache.of(a);
  assert.equal(va.buffer, a.buffer);
  assert.equal(va.byteOffset, a.byteOffset);
  assert.equal(va.byteLength, a.byteLength);
  assert.equal(cache.of(a), va, 'same buffer: the same DataView object');
  assert.equal(cache.of(a), va);
  const vb = cache.of(b);
  assert.notEqual(vb, va);
  assert.equal(vb.buffer, b.buffer);
  assert.equal(vb.byteOffset, b.byteOffset);
  assert.equal(vb.byteLength, b.byteLength);
  assert.equal(cache.of(b), vb);
  // Back to a: a fresh view of a (only the last buffer is remembered), still correct.
  const va2 = cache.of(a);
  assert.equal(va2.buffer, a.buffer);
  assert.equal(va2.byteOffset, a.byteOffset);
  assert.equal(va2.byteLength, a.byteLength);
  // A different Buffer object over the same bytes is a different buffer to the cache.
  const a2 = Buffer.from(a.buffer, a.byteOffset + 1, a.byteLength - 1);
  const va3 = cache.of(a2);
  assert.equal(va3.byteOffset, a2.byteOffset);
  assert.equal(va3.byteLength, a2.byteLength);
  // And copies through the cached views are right.
  const dst = Buffer.alloc(100);
  copyBytes(b, cache.of(b), 4, dst, dataViewOf(dst), 2, 70);
  assert.ok(dst.subarray(2, 72).equals(b.subarray(4, 74)));
  copyBytes(a2, cache.of(a2), 1, dst, dataViewOf(dst), 0, 50);
  assert.ok(dst.subarray(0, 50).equals(a2.subarray(1, 51)));
});
