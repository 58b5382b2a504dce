// Mutexes that work across worker_threads: each lock is one Int32 word of a SharedArrayBuffer,
// taken with Atomics (the futex mutex of Drepper's "Futexes Are Tricky", third version). A word
// holds 0 (free), 1 (held, nobody waits) or 2 (held, someone may wait). A taker that loses the
// race spins a little (the holder is usually on another core and about to let go), then marks
// the word 2 and sleeps in Atomics.wait; the holder notifies only when the word says 2, so an
// uncontended lock and unlock is two atomic instructions and no system call. Nothing here
// allocates: callers hold the Int32Array and pass word indexes. docs/threads.md has the lock
// order these locks must be taken in.

const FREE = 0;
const HELD = 1;
const CONTENDED = 2;

/**
 * Loads of a held word before a taker sleeps: at 6-10 ns an Atomics.load (test/bench/threads-primitives.ts)
 * about a microsecond, longer than a store verb holds a lock, far shorter than a sleep and wake.
 */
const SPINS = 100;

/** Takes the lock in words[index] if it is free; never waits. */
export function tryLock(words: Int32Array, index: number): boolean {
  return Atomics.compareExchange(words, index, FREE, HELD) === FREE;
}

/** Takes the lock in words[index], waiting for as long as another thread holds it. */
export function lock(words: Int32Array, index: number): void {
  let state = Atomics.compareExchange(words, index, FREE, HELD);
  if (state === FREE) return;
  for (let i = 0; i < SPINS; i++) {
    if (Atomics.load(words, index) === FREE) {
      state = Atomics.compareExchange(words, index, FREE, HELD);
      if (state === FREE) return;
    }
  }
  // Taken as CONTENDED from here on: we cannot know whether other sleepers remain, so our
  // unlock must notify.
  if (state !== CONTENDED) state = Atomics.exchange(words, index, CONTENDED);
  while (state !== FREE) {
    Atomics.wait(words, index, CONTENDED);
    state = Atomics.exchange(words, index, CONTENDED);
  }
}

/** Lets go of a lock this thread holds; wakes one sleeper if any may wait. */
export function unlock(words: Int32Array, index: number): void {
  if (Atomics.exchange(words, index, FREE) === CONTENDED) Atomics.notify(words, index, 1);
}

// The same locks when one thread alone uses the words (-t 1): plain loads and stores, since
// Atomics' read-modify-write operations are calls into V8 builtins, not inlined instructions.
// A try-lock still fails on a word the thread holds itself (a tail pull meeting the caller's
// own item lock skips it, as with threads), and taking a held lock is a bug: with threads it
// would wait forever.

export function soloTryLock(words: Int32Array, index: number): boolean {
  if (words[index] !== FREE) return false;
  words[index] = HELD;
  return true;
}

export function soloLock(words: Int32Array, index: number): void {
  if (words[index] !== FREE) throw new Error('lock word ' + index + ' taken twice by its only thread');
  words[index] = HELD;
}

export function soloUnlock(words: Int32Array, index: number): void {
  words[index] = FREE;
}

/**
 * Lock words of one array, taken with the shared functions above or, when one thread alone uses
 * them (isShared false), with the solo ones: the choice made once, for every lock of a store.
 */
export class WordLocks {
  readonly words: Int32Array;
  readonly isShared: boolean;

  constructor(words: Int32Array, isShared: boolean) {
    this.words = words;
    this.isShared = isShared;
  }

  lock(index: number): void {
    if (this.isShared) lock(this.words, index);
    else soloLock(this.words, index);
  }

  tryLock(index: number): boolean {
    return this.isShared ? tryLock(this.words, index) : soloTryLock(this.words, index);
  }

  unlock(index: number): void {
    if (this.isShared) unlock(this.words, index);
    else soloUnlock(this.words, index);
  }
}

/**
 * A table of locks over hash values, as memcached's item_locks: the lock of hash value hv is
 * word `first + (hv & mask)`, so two keys share a lock only when their hashes agree in the low
 * bits. The stripe count is a power of two; the words live in whatever SharedArrayBuffer the
 * caller laid out (the store's control block).
 */
export class StripedLocks {
  /** Index of the first lock word in the array. */
  readonly first: number;
  /** Stripe count - 1 (the count is a power of two). */
  readonly mask: number;
  private readonly locks: WordLocks;

  /** isShared false: one thread alone takes these locks (WordLocks). */
  constructor(words: Int32Array, first: number, stripes: number, isShared = true) {
    if (stripes < 1 || (stripes & (stripes - 1)) !== 0) throw new RangeError('stripe count must be a power of two: ' + stripes);
    if (first < 0 || first + stripes > words.length) throw new RangeError('lock words outside the array');
    this.first = first;
    this.mask = stripes - 1;
    this.locks = new WordLocks(words, isShared);
  }

  /** The word index of hv's lock (two hash values with the same index share a lock). */
  stripeOf(hv: number): number {
    return this.first + (hv & this.mask);
  }

  lock(hv: number): void {
    this.locks.lock(this.stripeOf(hv));
  }

  tryLock(hv: number): boolean {
    return this.locks.tryLock(this.stripeOf(hv));
  }

  unlock(hv: number): void {
    this.locks.unlock(this.stripeOf(hv));
  }
}
