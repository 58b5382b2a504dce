import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { StoreMode, StoreResult } from '../../../src/store/store.js';
import { makeStore, MIB } from './helpers.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Writes `key:<i>` zero-padded into buf (no allocation); returns the length. */
function writeKey(buf: Buffer, i: number): number {
  buf.write('key:', 0, 'latin1');
  let n = i;
  for (let p = 13; p >= 4; p--) {
    buf[p] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return 14;
}

test('V8 heap does not grow with the number of items', () => {
  const { store } = makeStore({ memLimitBytes: 128 * MIB });
  const key = Buffer.alloc(32);
  const value = Buffer.alloc(100, 0x76);
  const fill = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const kl = writeKey(key, i);
      const ref = store.allocate(key, 0, kl, 0, 0, value.length);
      assert.ok(ref >= 0);
      store.writeValue(ref, 0, value, 0, value.length);
      if (store.link(ref, StoreMode.Set, 0) !== StoreResult.Stored) assert.fail('not stored');
    }
  };
  fill(0, 1000);
  store.finishExpansion();
  gc();
  const before = process.memoryUsage().heapUsed;
  fill(1000, 200_000);
  store.finishExpansion();
  gc();
  const after = process.memoryUsage().heapUsed;
  assert.equal(store.stats().curr_items, 200_000);
  const growth = after - before;
  assert.ok(growth < 2 * MIB, `heap grew by ${(growth / MIB).toFixed(2)} MiB`);
  store.close();
});
