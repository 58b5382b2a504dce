// ServerClock: memcached's current_time, with memcached-debug's debugtime shift and pause.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOCK_START_OFFSET_SEC, ManualClock, ServerClock } from '../../../src/store/clock.js';

test('the source clock never runs the server clock backwards, a shift does', () => {
  const source = new ManualClock(1_700_000_000);
  const clock = new ServerClock(source);
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
  const clock = new ServerClock(source);
  clock.shift(1000);
  assert.equal(clock.realTime(30), clock.now() + 30);
  assert.equal(clock.realTime(1_700_000_100), 1_700_000_100 - clock.processStarted);
});

test('paused, the clock holds still; resumed, it catches up with the source', () => {
  const source = new ManualClock(1_700_000_000);
  const clock = new ServerClock(source);
  clock.setPaused(true);
  source.advance(20);
  assert.equal(clock.now(), CLOCK_START_OFFSET_SEC);
  clock.shift(5);
  assert.equal(clock.now(), CLOCK_START_OFFSET_SEC + 5, 'a shift still moves a paused clock');
  clock.setPaused(false);
  assert.equal(clock.now(), CLOCK_START_OFFSET_SEC + 25);
});

test('huge shifts clamp the clock to 1 .. 2^31-1', () => {
  const clock = new ServerClock(new ManualClock());
  clock.shift(-9223372036854775808);
  assert.equal(clock.now(), 1);
  clock.shift(9223372036854775807);
  clock.shift(9223372036854775807);
  assert.equal(clock.now(), 0x7fffffff);
});
