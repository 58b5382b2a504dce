// What the watch logs (watch.ts) of a server's serving threads share, in one SharedArrayBuffer
// (docs/threads.md, "verbosity / watch"): the union of every thread's watchers' flags and the
// store events it asks for (each thread's store reads that word before building an event, so a
// watcher on one thread makes every thread record), the watcher count, memcached's logger_gid,
// and each thread's log_* counters, which `stats` sums. Entries recorded on one thread reach the
// watchers of the others on a BroadcastChannel (watch.ts); its name is here. One thread (tests,
// tools) makes its own with buffersFor(1) and no channel.

import { randomUUID } from 'node:crypto';
import { lock, unlock } from '../common/shared-locks.js';

/** Structured-clonable: what a thread needs to attach. */
export interface WatchShareBuffers {
  readonly words: SharedArrayBuffer;
  /** The BroadcastChannel carrying recorded entries between threads; null with one thread. */
  readonly channel: string | null;
}

/** The log_* counters each thread keeps (one Float64 each, written by its thread only). */
export const WatchCount = { WorkerDropped: 0, WorkerWritten: 1, WatcherSkipped: 2, WatcherSent: 3 } as const;
const COUNTS = 4;

// Int32 words.
const LOCK = 0; // guards FLAGS, EVENTS and the per-thread flags together
const FLAGS = 1; // the union of every watcher's flags
const EVENTS = 2; // the StoreEvents bits those flags need
const WATCHERS = 3; // log_watchers, server-wide
const GID = 4; // the last gid handed out
const THREADS = 5; // how many threads share this
const THREAD_FLAGS = 6; // one word per thread: the union of that thread's watchers' flags

function countsAt(threads: number): number {
  return Math.ceil(((THREAD_FLAGS + threads) * 4) / 8) * 8;
}

export class WatchShare {
  readonly thread: number;
  readonly threads: number;
  readonly channel: string | null;
  /** The store's event mask (a view of the EVENTS word, handed to Store.setListener). */
  readonly events: Int32Array;
  /** This thread's counters, indexed by WatchCount. */
  readonly counts: Float64Array;
  private readonly words: Int32Array;
  private readonly all: Float64Array;

  /** Shared state for threads serving threads (channel named only when there are several). */
  static buffersFor(threads: number): WatchShareBuffers {
    const words = new SharedArrayBuffer(countsAt(threads) + threads * COUNTS * 8);
    new Int32Array(words)[THREADS] = threads;
    return { words, channel: threads > 1 ? 'memcachedts-watch-' + randomUUID() : null };
  }

  /** thread: 1..threads. */
  constructor(buffers: WatchShareBuffers, thread: number) {
    const threads = new Int32Array(buffers.words, 0, THREAD_FLAGS)[THREADS]!;
    this.thread = thread;
    this.threads = threads;
    this.channel = buffers.channel;
    this.words = new Int32Array(buffers.words, 0, THREAD_FLAGS + threads);
    this.events = new Int32Array(buffers.words, EVENTS * 4, 1);
    this.all = new Float64Array(buffers.words, countsAt(threads), threads * COUNTS);
    this.counts = new Float64Array(buffers.words, countsAt(threads) + (thread - 1) * COUNTS * 8, COUNTS);
  }

  /** The union of every thread's watchers' flags (a plain read: checked before recording). */
  get flags(): number {
    return this.words[FLAGS]!;
  }

  /** Watchers on every thread. */
  get watchers(): number {
    return Atomics.load(this.words, WATCHERS);
  }

  /** memcached's logger_gid: one per entry and one per watcher, server-wide. */
  nextGid(): number {
    return (Atomics.add(this.words, GID, 1) + 1) >>> 0;
  }

  /**
   * This thread's watchers now want ownFlags, and their count moved by watcherDelta; the union
   * and the store events (toEvents of the union) are recomputed for every thread.
   */
  update(ownFlags: number, watcherDelta: number, toEvents: (flags: number) => number): void {
    const w = this.words;
    lock(w, LOCK);
    Atomics.store(w, THREAD_FLAGS + this.thread - 1, ownFlags);
    let flags = 0;
    for (let t = 0; t < this.threads; t++) flags |= Atomics.load(w, THREAD_FLAGS + t);
    Atomics.store(w, FLAGS, flags);
    Atomics.store(w, EVENTS, toEvents(flags));
    Atomics.add(w, WATCHERS, watcherDelta);
    unlock(w, LOCK);
  }

  /** Counter i (WatchCount) summed over the threads. */
  sum(i: number): number {
    let n = 0;
    for (let t = 0; t < this.threads; t++) n += this.all[t * COUNTS + i]!;
    return n;
  }

  /** `stats reset`: every thread's counters to 0 (a racing increment on another thread may survive). */
  reset(): void {
    this.all.fill(0);
  }
}
