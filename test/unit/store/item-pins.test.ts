// ItemPins on its own: pin counts, the busy item, and frees deferred to the last unpin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ItemPins } from '../../../src/store/item-pins.js';
import { NIL } from '../../../src/store/item-layout.js';

test('an item stays pinned until its last unpin', () => {
  const pins = new ItemPins();
  pins.pin(7);
  pins.pin(7);
  assert.equal(pins.isPinned(7), true);
  assert.equal(pins.isPinned(8), false);
  assert.equal(pins.unpin(7), false);
  assert.equal(pins.isPinned(7), true);
  assert.equal(pins.unpin(7), false);
  assert.equal(pins.isPinned(7), false);
  assert.equal(pins.unpin(7), false, 'an unpin too many is ignored');
});

test('the busy item is pinned only while it is busy', () => {
  const pins = new ItemPins();
  pins.busy = 3;
  assert.equal(pins.isPinned(3), true);
  pins.busy = NIL;
  assert.equal(pins.isPinned(3), false);
});

test('a pinned item unlinked meanwhile is freed at its last unpin, once', () => {
  const pins = new ItemPins();
  assert.equal(pins.deferFree(5), false, 'an unpinned item is freed at once');
  pins.pin(5);
  pins.pin(5);
  assert.equal(pins.deferFree(5), true);
  assert.equal(pins.unpin(5), false);
  assert.equal(pins.unpin(5), true);
  pins.pin(5);
  assert.equal(pins.unpin(5), false, 'no longer deferred');
});

test('dropAll forgets every pin and hands back the deferred frees', () => {
  const pins = new ItemPins();
  pins.pin(1);
  pins.pin(2);
  assert.equal(pins.deferFree(2), true);
  assert.deepEqual(pins.dropAll(), [2]);
  assert.equal(pins.isPinned(1), false);
  assert.equal(pins.unpin(2), false);
});
