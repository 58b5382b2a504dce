// ServerClock: memcached's current_time, with memcached-debug's debugtime shift and pause.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeSettings } from '../../../src/config/settings.js';
import { CLOCK_START_OFFSET_SEC, ManualClock, type Clock, ServerClock } from '../../../src/store/clock.js';
import { StoreMemory } from '../../../src/store/store-memory.js';

/** A clock over a store memory of its own. */
function serverClock(source: Clock): ServerClock {
  return new ServerClock(source, StoreMemory.create(makeSettings({})), { ticks: true });
}

test('the source clock never runs the server clock backwards, a shift does', () => {
  const source = new ManualClock(1_700_000_000);
  const clock = serverClock(source);
  assert.equal(clock.now(), CLOCK_START_OFFSET_SEC);
  source.advance(10);
  assert.equal(clock.now(), CLOCK_START_OFFSET_SEC + 10);
  source.advance(-5);
  assert.equal(clock.now(), CLOCK_START_OFFSET_SEC + 10, 'a wall clock step back is ignored');
  clock.shift(100);
  assert.equal(clock.current, CLOCK_START_OFFSET_SEC + 110, 'applied at once');
  clock.shift(-30);
  assert.equal(clock.now(), CLOCK_START_OFFSET_SEC + 80);
  source.advance(7); // back to +12 on the source
  assert.equal(clock.now(), CLOCK_START_OFFSET_SEC + 82);
});

test('a relative exptime counts from the shifted clock, an absolute one does not', () => {
  const source = new ManualClock(1_700_000_000);
  const clock = serverClock(source);
  clock.shift(1000);
  assert.equal(clock.realTime(30), clock.now() + 30);
  assert.equal(clock.realTime(1_700_000_100), 1_700_000_100 - clock.processStarted);
});

test('paused, the clock holds still; resumed, it catches up with the source', () => {
  const source = new ManualClock(1_700_000_000);
  const clock = serverClock(source);
  clock.setPaused(true);
  source.advance(20);
  assert.equal(clock.now(), CLOCK_START_OFFSET_SEC);
  clock.shift(5);
  assert.equal(clock.now(), CLOCK_START_OFFSET_SEC + 5, 'a shift still moves a paused clock');
  clock.setPaused(false);
  assert.equal(clock.now(), CLOCK_START_OFFSET_SEC + 25);
});

test('huge shifts clamp the clock to 1 .. 2^31-1', () => {
  const clock = serverClock(new ManualClock());
  clock.shift(-9223372036854775808);
  assert.equal(clock.now(), 1);
  clock.shift(9223372036854775807);
  clock.shift(9223372036854775807);
  assert.equal(clock.now(), 0x7fffffff);
});

test('two clocks over one store memory tell one time: start, shift and pause are shared', () => {
  const memory = StoreMemory.create(makeSettings({}));
  const source = new ManualClock(1_700_000_000);
  const first = new ServerClock(source, memory, { ticks: true });
  source.advance(40);
  // the second starts later, but the store's clock had started already
  const second = new ServerClock(source, memory, { ticks: true });
  assert.equal(second.processStarted, first.processStarted);
  assert.equal(second.now(), CLOCK_START_OFFSET_SEC + 40);
  first.shift(100);
  assert.equal(second.current, CLOCK_START_OFFSET_SEC + 140);
  first.setPaused(true);
  source.advance(20);
  assert.equal(second.now(), CLOCK_START_OFFSET_SEC + 140, 'paused for both');
  first.setPaused(false);
  assert.equal(second.now(), CLOCK_START_OFFSET_SEC + 160);
});
