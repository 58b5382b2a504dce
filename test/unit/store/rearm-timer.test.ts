// RearmTimer: a wake-up that arms the same delay again keeps one interval running; a new delay
// replaces it; a wake-up that arms nothing stops it; cancel() stops it; it never holds the
// process open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RearmTimer } from '../../../src/store/rearm-timer.js';
import { sleep } from '../../support/wait.js';

test('re-arming the same delay keeps firing; arming nothing stops it', async () => {
  let fires = 0;
  let rearm = true;
  const t = new RearmTimer(() => {
    fires++;
    if (rearm) t.arm(5);
  });
  t.arm(5);
  await sleep(120);
  assert.ok(fires >= 5, `fired ${fires} times in 120 ms at 5 ms`);
  rearm = false;
  await sleep(30);
  const stoppedAt = fires;
  await sleep(60);
  assert.equal(fires, stoppedAt, 'a wake-up that armed nothing stopped the timer');
  t.cancel();
});

test('a different delay replaces the running one; cancel stops everything', async () => {
  const delays: number[] = [];
  let last = Date.now();
  const t = new RearmTimer(() => {
    const now = Date.now();
    delays.push(now - last);
    last = now;
    if (delays.length === 1) t.arm(5); // same delay: the interval goes on
    else t.arm(60); // from the second wake-up on: every 60 ms
  });
  t.arm(5);
  await sleep(200);
  assert.ok(delays.length >= 3, `wake-ups: ${delays.join(',')}`);
  assert.ok(delays[0]! < 40 && delays[1]! < 40, `the first two at ~5 ms: ${delays.join(',')}`);
  assert.ok(delays[2]! >= 50, `then at ~60 ms: ${delays.join(',')}`);
  const n = delays.length;
  t.cancel();
  await sleep(100);
  assert.equal(delays.length, n, 'no wake-up after cancel');
});

test('cancel before any wake-up: nothing fires', async () => {
  let fired = false;
  const t = new RearmTimer(() => {
    fired = true;
  });
  t.arm(10);
  t.cancel();
  await sleep(40);
  assert.equal(fired, false);
});
