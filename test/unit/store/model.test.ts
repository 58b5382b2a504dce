// Random operations against a plain Map model (no evictions at this size): values, flags and
// item counts must agree after every step, and memory accounting must return to zero.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeleteResult, DeltaResult, StoreMode, StoreResult } from '../../../src/store/store.js';
import { get, getView, makeStore, MIB, set, slabStats } from './helpers.js';

test('random operations agree with a Map model', () => {
  const { store } = makeStore({ memLimitBytes: 64 * MIB, itemSizeMax: 2 * MIB, hashPowerInit: 8 });
  const model = new Map<string, { v: string; flags: number }>();
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const value = (): string => {
    const r = rnd(100);
    const len = r < 60 ? rnd(50) : r < 90 ? rnd(3000) : r < 98 ? rnd(100000) : 600000 + rnd(500000);
    return String.fromCharCode(97 + rnd(26)).repeat(len);
  };
  for (let step = 0; step < 20000; step++) {
    const key = `k${rnd(300)}`;
    const kb = Buffer.from(key);
    const m = model.get(key);
    switch (rnd(8)) {
      case 0:
      case 1: {
        const v = value();
        const flags = rnd(3) === 0 ? 0 : rnd(1 << 30);
        assert.equal(set(store, key, v, { flags }), StoreResult.Stored);
        model.set(key, { v, flags });
        break;
      }
      case 2: {
        const v = value().slice(0, 2000);
        const r = set(store, key, v, { mode: StoreMode.Append });
        assert.equal(r, m ? StoreResult.Stored : StoreResult.NotStored);
        if (m) m.v += v;
        break;
      }
      case 3: {
        const v = value().slice(0, 2000);
        const r = set(store, key, v, { mode: StoreMode.Prepend });
        assert.equal(r, m ? StoreResult.Stored : StoreResult.NotStored);
        if (m) m.v = v + m.v;
        break;
      }
      case 4:
        assert.equal(store.delete(kb, 0, kb.length, 0), m ? DeleteResult.Deleted : DeleteResult.NotFound);
        model.delete(key);
        break;
      case 5: {
        const r = store.delta(kb, 0, kb.length, true, 7n, 0, 0n, null, null);
        if (!m) assert.equal(r, DeltaResult.NotFound);
        else if (/^\d+ *$/.test(m.v) && m.v.length > 0 && BigInt(m.v.trim()) < 2n ** 64n) {
          assert.equal(r, DeltaResult.Ok);
          const nv = ((BigInt(m.v.trim()) + 7n) % 2n ** 64n).toString();
          m.v = nv.length <= m.v.length ? nv + ' '.repeat(m.v.length - nv.length) : nv;
        } else assert.equal(r, DeltaResult.NonNumeric);
        break;
      }
      case 6: {
        const v = String(rnd(1000));
        set(store, key, v);
        model.set(key, { v, flags: 0 });
        break;
      }
      default: {
        const got = get(store, key);
        assert.equal(got, m ? m.v : null, key);
        if (m) assert.equal(getView(store, key)?.flags, m.flags);
      }
    }
    assert.equal(store.stats().curr_items, model.size);
  }
  for (const [key, m] of model) assert.equal(get(store, key), m.v, key);
  for (const key of model.keys()) store.delete(Buffer.from(key), 0, key.length, 0);
  const s = store.stats();
  assert.equal(s.curr_items, 0);
  assert.equal(s.bytes, 0);
  assert.equal(s.evictions, 0);
  for (const [name, v] of slabStats(store)) if (name.endsWith(':used_chunks')) assert.equal(v, '0', name);
  store.close();
});

test('under memory pressure a get returns the stored value or a miss, never other bytes', () => {
  const { store } = makeStore({ memLimitBytes: 8 * MIB, itemSizeMax: 2 * MIB });
  const model = new Map<string, string>();
  let seed = 777;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  for (let step = 0; step < 20000; step++) {
    const key = `k${rnd(2000)}`;
    if (rnd(3) === 0) {
      const got = get(store, key);
      if (got !== null) assert.equal(got, model.get(key), key);
      continue;
    }
    const r = rnd(100);
    const len = r < 70 ? rnd(200) : r < 95 ? rnd(20000) : 300000 + rnd(1500000);
    const v = String.fromCharCode(97 + rnd(26)) + String.fromCharCode(65 + rnd(26)).repeat(len);
    const append = rnd(5) === 0;
    const res = set(store, key, v, { mode: append ? StoreMode.Append : StoreMode.Set });
    if (res === StoreResult.Stored) model.set(key, append ? model.get(key)! + v : v);
    else if (!append) model.delete(key); // too large or no memory: a set leaves no old value visible
    if (!append && res !== StoreResult.Stored) store.noteAllocFailure(res, Buffer.from(key), 0, key.length, true, StoreMode.Set);
    assert.ok(store.pagesAllocated <= 8);
  }
  assert.ok(store.stats().evictions > 0);
  store.close();
});
