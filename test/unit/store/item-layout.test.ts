import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chunkOffset,
  chunkRef,
  HDR_BYTES,
  headerWord,
  keyOffset,
  pageIndex,
  pageWords,
  REF_OFF_MASK,
  REF_PAGE_STRIDE,
  setHeaderWord,
  W_HASH,
  wordBase,
} from '../../../src/store/item-layout.js';

// The accessors write the ref geometry as literals (item-layout.ts says why): they must agree
// with the constants everywhere a ref can point, the last page slot and the last chunk included.
test('item-layout: the accessors follow REF_PAGE_STRIDE, REF_OFF_MASK and HDR_BYTES', () => {
  const lastPage = 32767;
  for (const page of [0, 1, 2, 1000, lastPage]) {
    for (const off of [0, 8, 48, 1024, 1048568]) {
      const ref = chunkRef(page, off);
      assert.equal(ref, page * REF_PAGE_STRIDE + off / 8);
      assert.equal(pageIndex(ref), Math.floor(ref / REF_PAGE_STRIDE), `page of ${ref}`);
      assert.equal(wordBase(ref), (ref % REF_PAGE_STRIDE) * 2);
      assert.equal(chunkOffset(ref), off);
      assert.equal(keyOffset(ref), off + HDR_BYTES);
    }
  }
  assert.equal(REF_OFF_MASK, REF_PAGE_STRIDE - 1);
});

test('item-layout: header words are read and written in the chunk the ref names', () => {
  const words = [new Uint32Array(REF_PAGE_STRIDE * 2), new Uint32Array(REF_PAGE_STRIDE * 2)];
  const ref = chunkRef(1, 4096);
  setHeaderWord(words, ref, W_HASH, 0xdeadbeef);
  assert.equal(headerWord(words, ref, W_HASH), 0xdeadbeef);
  assert.equal(pageWords(words, ref), words[1]);
  assert.equal(words[1]![4096 / 4 + W_HASH], 0xdeadbeef);
  assert.equal(words[0]!.every((w) => w === 0), true);
});
