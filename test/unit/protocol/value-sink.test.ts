// The value sink over the real store: bytes land in the item wherever the input splits, the
// trailer is checked, a swallowed block stores nothing, and a direct read target is exactly
// the rest of the value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestContext } from '../../support/context.js';
import { DIRECT_READ_MIN, ValueSink } from '../../../src/protocol/value-sink.js';
import { StoreMode, StoreResult, newItemView } from '../../../src/store/store.js';

const KEY = Buffer.from('k');

function readBack(ctx: ReturnType<typeof makeTestContext>): string | null {
  const view = newItemView();
  if (!ctx.store.get(KEY, 0, KEY.length, view, 0, 0)) return null;
  const out = Buffer.alloc(view.valueLen);
  ctx.store.copyValue(view.ref, 0, out, 0, view.valueLen);
  return out.toString('latin1');
}

test('a text block split at every offset is stored whole, with its trailer checked', () => {
  const input = Buffer.from('hello\r\nNEXT');
  for (let cut = 0; cut < 7; cut++) {
    const ctx = makeTestContext();
    const sink = new ValueSink(ctx.store);
    sink.start(ctx.store.allocate(KEY, 0, 1, 0, 0, 5), 5, true);
    let used = sink.consume(input, 0, cut, false);
    assert.equal(sink.isComplete, false, `cut ${cut}`);
    used += sink.consume(input, used, input.length, false);
    assert.equal(used, 7, 'the next request is left in the input');
    assert.ok(sink.isComplete && sink.isTrailerOk);
    const ref = sink.finish();
    assert.equal(sink.isActive, false);
    assert.equal(ctx.store.link(ref, StoreMode.Set, 0), StoreResult.Stored);
    assert.equal(readBack(ctx), 'hello');
  }
});

test('a bad trailer is reported; a swallowed block hands over no item', () => {
  const ctx = makeTestContext();
  const sink = new ValueSink(ctx.store);
  sink.start(ctx.store.allocate(KEY, 0, 1, 0, 0, 2), 2, true);
  assert.equal(sink.consume(Buffer.from('ab\rx'), 0, 4, false), 4);
  assert.equal(sink.isTrailerOk, false);
  ctx.store.release(sink.finish());

  sink.swallow(3, false);
  assert.equal(sink.isSwallowing, true);
  assert.equal(sink.consume(Buffer.from('xyzw'), 0, 4, false), 3);
  assert.equal(sink.finish(), -1);
  assert.equal(readBack(ctx), null);
});

test('the direct target is the rest of a large value and its \\r\\n; in-place bytes are not copied again', () => {
  const ctx = makeTestContext();
  const sink = new ValueSink(ctx.store);
  const len = DIRECT_READ_MIN * 2;
  sink.start(ctx.store.allocate(KEY, 0, 1, 0, 0, len), len, true);
  sink.consume(Buffer.alloc(10, 0x61), 0, 10, false);
  const target = sink.directTarget();
  assert.ok(target !== null);
  assert.equal(target.length, len - 10 + 2);
  target.fill(0x62, 0, len - 10);
  target[len - 10] = 0x0d;
  target[len - 9] = 0x0a;
  assert.equal(sink.consume(target, 0, target.length, true), target.length);
  assert.ok(sink.isComplete && sink.isTrailerOk);
  assert.equal(ctx.store.link(sink.finish(), StoreMode.Set, 0), StoreResult.Stored);
  assert.equal(readBack(ctx), 'a'.repeat(10) + 'b'.repeat(len - 10));
  assert.equal(sink.directTarget(), null, 'nothing in progress');
});
