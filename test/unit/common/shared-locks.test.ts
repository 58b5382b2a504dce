// The shared-memory locks: the word protocol on one thread, and mutual exclusion between real
// worker_threads (plain counters incremented under the lock come out exact).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { lock, soloLock, soloTryLock, soloUnlock, StripedLocks, tryLock, unlock } from '../../../src/common/shared-locks.js';
import { SHARED_WORDS, STRIPES, W_CONTENDED, W_LOCK, W_PAIRS, W_READY, W_STRIPES, W_TORN, type LockWorkerData } from './shared-locks-worker.js';
import { sleep, waitFor, within } from '../../support/wait.js';

const WORKER_URL = new URL('./shared-locks-worker.js', import.meta.url);
const WORKERS = 4;
const ITERATIONS = 100_000;
/** How long the locks stay held after the last worker started (time to reach its first lock). */
const GATE_MS = 50;

/**
 * Runs WORKERS workers over a fresh shared array and returns it. Every lock is held here until
 * all workers have started (and a little longer), so that each one's first attempt waits.
 */
async function runWorkers(mode: LockWorkerData['mode']): Promise<Int32Array> {
  const shared = new SharedArrayBuffer(SHARED_WORDS * 4);
  const words = new Int32Array(shared);
  const stripes = new StripedLocks(words, W_STRIPES, STRIPES);
  lock(words, W_LOCK);
  for (let s = 0; s < STRIPES; s++) stripes.lock(s);
  const workers = Array.from({ length: WORKERS }, (_, i) => {
    const data: LockWorkerData = { shared, mode, iterations: ITERATIONS, seed: 1000 + i };
    return new Worker(WORKER_URL, { workerData: data });
  });
  const finished = workers.map((w) => new Promise<void>((resolve, reject) => {
    w.once('message', () => resolve());
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 ? resolve() : reject(new Error('worker exited ' + code))));
  }));
  try {
    await waitFor(() => Atomics.load(words, W_READY) === WORKERS, 'the lock workers to start', 20_000);
    await sleep(GATE_MS);
    unlock(words, W_LOCK);
    for (let s = 0; s < STRIPES; s++) stripes.unlock(s);
    await within(Promise.all(finished), 30_000, 'the lock workers');
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return words;
}

test('an uncontended lock goes 0 -> 1 -> 0; tryLock fails while it is held', () => {
  const words = new Int32Array(new SharedArrayBuffer(8));
  lock(words, 1);
  assert.equal(words[1], 1);
  assert.equal(tryLock(words, 1), false);
  unlock(words, 1);
  assert.equal(words[1], 0);
  assert.equal(tryLock(words, 1), true);
  unlock(words, 1);
  assert.equal(words[0], 0, 'the neighbouring word is untouched');
});

test('solo locks (one thread, -t 1): the same words, a try-lock fails on a held word, a second lock is a bug', () => {
  const words = new Int32Array(new SharedArrayBuffer(8));
  soloLock(words, 1);
  assert.equal(words[1], 1);
  assert.equal(soloTryLock(words, 1), false, 'a tail pull meeting its own item lock skips the item');
  assert.equal(tryLock(words, 1), false, 'the word is the shared protocol\'s held state');
  assert.throws(() => soloLock(words, 1), /taken twice/);
  soloUnlock(words, 1);
  assert.equal(words[1], 0);
  assert.equal(soloTryLock(words, 1), true);
  soloUnlock(words, 1);
  const stripes = new StripedLocks(words, 0, 2, false);
  stripes.lock(3);
  assert.equal(words[1], 1, 'hash 3 is stripe 1');
  assert.equal(stripes.tryLock(1), false);
  assert.equal(stripes.tryLock(2), true);
  stripes.unlock(2);
  stripes.unlock(3);
  assert.deepEqual([...words], [0, 0]);
});

test('striped locks: the stripe is the low bits of the hash; stripes are independent', () => {
  const words = new Int32Array(new SharedArrayBuffer(4 * 12));
  const locks = new StripedLocks(words, 4, 8);
  assert.equal(locks.stripeOf(0), 4);
  assert.equal(locks.stripeOf(13), 4 + 5);
  assert.equal(locks.stripeOf(0xffffffff | 0), 4 + 7);
  locks.lock(3);
  assert.equal(locks.tryLock(3 + 8), false, 'same low bits, same lock');
  assert.equal(locks.tryLock(4), true, 'another stripe is free');
  locks.unlock(4);
  locks.unlock(3);
  assert.deepEqual([...words], new Array<number>(12).fill(0));
  assert.throws(() => new StripedLocks(words, 0, 6), RangeError);
  assert.throws(() => new StripedLocks(words, 8, 8), RangeError);
});

test(`a mutex keeps ${WORKERS} worker threads out of each other: ${ITERATIONS} increments each, exact`, async () => {
  const words = await runWorkers('mutex');
  assert.equal(words[W_TORN], 0, 'no thread ever saw the counter pair torn');
  assert.equal(words[W_PAIRS], WORKERS * ITERATIONS);
  assert.equal(words[W_PAIRS + 1], WORKERS * ITERATIONS);
  assert.equal(words[W_LOCK], 0, 'the lock is free at the end');
  assert.ok(words[W_CONTENDED]! > 0, 'the threads did meet at the lock (else the test proves nothing)');
});

test('striped locks keep worker threads out of each other per stripe, and the totals add up', async () => {
  const words = await runWorkers('striped');
  assert.equal(words[W_TORN], 0);
  let total = 0;
  for (let s = 0; s < STRIPES; s++) {
    const count = words[W_PAIRS + 2 * s]!;
    assert.equal(words[W_PAIRS + 2 * s + 1], count, 'stripe ' + s + ' pair agrees');
    assert.ok(count > 0, 'stripe ' + s + ' was used');
    total += count;
  }
  assert.equal(total, WORKERS * ITERATIONS);
  assert.ok(words[W_CONTENDED]! > 0, 'the threads did meet at a lock');
});
