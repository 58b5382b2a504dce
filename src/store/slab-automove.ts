// The slab automover (`slabs automove 1`, memcached's slab_automove.c): once a second it samples
// every class (COLD tail age, evictions, out-of-memory, pages, free chunks) into a window of
// slab_automove_window samples and decides one page move:
//   - a class with more than 2.5 pages of free chunks and a quiet window gives a page back to
//     the global pool (dst 0), and the next decision comes at once;
//   - else the class with the oldest average COLD age (over 2 pages) gives a page to the
//     youngest class that keeps evicting, when the youngest age is below oldest age * ratio.
// The ratio is `slabs automove ratio` / -o slab_automove_ratio, read live; a new ratio starts a
// new window, as memcached re-initialises its automover.

import type { RuntimeSettings } from '../config/runtime-settings.js';
import type { ServerClock } from './clock.js';
import type { LruLists } from './lru.js';
import type { SlabMover } from './slab-mover.js';
import type { Slabs } from './slabs.js';
import type { StoreCounters } from './stats.js';
import { MAX_SLAB_CLASSES } from './slab-classes.js';
import { LRU_COLD } from './item-layout.js';

const MIN_PAGES_FOR_SOURCE = 2;
const MIN_PAGES_FOR_RECLAIM = 2.5;

/** A decision: move one page of class src to class dst (0 = the global pool); src -1 = none. */
export interface AutomoveDecision {
  src: number;
  dst: number;
}

export class SlabAutomover {
  private readonly windowSize: number;
  private readonly runtime: RuntimeSettings;
  private readonly slabs: Slabs;
  private readonly lists: LruLists;
  private readonly counters: StoreCounters;
  private readonly clock: ServerClock;
  // per class x window slot
  private readonly age: Float64Array;
  private readonly dirty: Uint8Array;
  private readonly evictedRatio: Float64Array;
  private readonly evictedSeen: Uint8Array;
  // the previous sample, per class
  private readonly evictedBefore = new Float64Array(MAX_SLAB_CLASSES);
  private readonly oomBefore = new Float64Array(MAX_SLAB_CLASSES);
  private readonly pagesBefore = new Float64Array(MAX_SLAB_CLASSES);
  private windowCur = 0;
  private ratio: number;
  private readonly decision: AutomoveDecision = { src: -1, dst: -1 };
  /** Server second of the last `slabs automove 1` decision (it decides at most once a second). */
  private lastDecided = -1;
  /** COLD evictions per class at the last `slabs automove 2` turn. */
  private readonly evictionsSeen = new Float64Array(MAX_SLAB_CLASSES);

  constructor(windowSize: number, parts: {
    runtime: RuntimeSettings; slabs: Slabs; lists: LruLists; counters: StoreCounters; clock: ServerClock;
  }) {
    this.windowSize = windowSize;
    this.runtime = parts.runtime;
    this.slabs = parts.slabs;
    this.lists = parts.lists;
    this.counters = parts.counters;
    this.clock = parts.clock;
    const n = windowSize * MAX_SLAB_CLASSES;
    this.age = new Float64Array(n);
    this.dirty = new Uint8Array(n);
    this.evictedRatio = new Float64Array(n);
    this.evictedSeen = new Uint8Array(n);
    this.ratio = parts.runtime.slabAutomoveRatio;
    this.restart();
  }

  /** A fresh window whose "before" sample is now (memcached's slab_automove_init). */
  private restart(): void {
    this.age.fill(0);
    this.dirty.fill(0);
    this.evictedRatio.fill(0);
    this.evictedSeen.fill(0);
    this.windowCur = 0;
    for (let c = 1; c < MAX_SLAB_CLASSES; c++) {
      this.evictedBefore[c] = this.evictedOf(c);
      this.oomBefore[c] = this.counters.outOfMemory[c]!;
      this.pagesBefore[c] = this.slabs.classPages[c]!;
    }
  }

  private evictedOf(cls: number): number {
    return this.counters.evicted[cls | LRU_COLD]!;
  }

  /** Seconds since the COLD tail of cls was last touched; 0 when COLD is empty. */
  private coldAge(cls: number): number {
    const time = this.lists.tailTime(cls | LRU_COLD);
    return time < 0 ? 0 : this.clock.current - time;
  }

  /**
   * The background turn's part, by `slabs automove` mode. 1: the decision, once a second (at
   * once again after a page went back to the pool, as memcached's maintainer does). 2: a class
   * that evicted since the last turn gets a page from any class that can spare one (memcached
   * asks on every eviction; one page move runs at a time). True when the next decision is due
   * at once.
   */
  turn(mover: SlabMover): boolean {
    const mode = this.runtime.slabAutomove;
    if (mode === 1 && this.clock.current !== this.lastDecided) {
      const d = this.run();
      if (d.src !== -1 && d.dst !== -1) mover.reassign(d.src, d.dst);
      if (d.dst === 0) return true;
      this.lastDecided = this.clock.current;
    } else if (mode === 2) {
      const evicted = this.counters.evicted;
      const seen = this.evictionsSeen;
      let dst = 0;
      let most = 0;
      for (let c = 1; c <= this.slabs.largest; c++) {
        const delta = evicted[c | LRU_COLD]! - seen[c]!;
        seen[c] = evicted[c | LRU_COLD]!;
        if (delta > most) {
          most = delta;
          dst = c;
        }
      }
      if (dst !== 0) mover.reassign(-1, dst);
    }
    return false;
  }

  /** One sample and decision (memcached's slab_automove_run); the result object is reused. */
  private run(): AutomoveDecision {
    if (this.runtime.slabAutomoveRatio !== this.ratio) {
      this.ratio = this.runtime.slabAutomoveRatio;
      this.restart();
    }
    const out = this.decision;
    out.src = -1;
    out.dst = -1;
    const slabs = this.slabs;
    const size = this.windowSize;
    let evictedTotal = 0;
    for (let c = 1; c < MAX_SLAB_CLASSES; c++) evictedTotal += this.evictedOf(c) - this.evictedBefore[c]!;
    this.windowCur++;

    let oldest = -1;
    let oldestAge = 0;
    let youngest = -1;
    let youngestAge = Infinity;
    let youngestEvicting = false;
    for (let c = 1; c < MAX_SLAB_CLASSES; c++) {
      const base = c * size;
      const slot = base + (this.windowCur % size);
      const evictedDelta = this.evictedOf(c) - this.evictedBefore[c]!;
      this.dirty[slot] = 0;
      this.evictedSeen[slot] = 0;
      this.evictedRatio[slot] = 0;
      if (evictedDelta > 0) {
        this.evictedRatio[slot] = evictedDelta / evictedTotal;
        this.evictedSeen[slot] = 1;
        this.dirty[slot] = 1;
      }
      if (this.counters.outOfMemory[c]! - this.oomBefore[c]! > 0) this.dirty[slot] = 1;
      if (slabs.classPages[c]! - this.pagesBefore[c]! > 0) this.dirty[slot] = 1;
      this.age[slot] = this.coldAge(c);

      let ageSum = 0;
      let dirtySum = 0;
      let ratioSum = 0;
      let seenSum = 0;
      for (let i = base; i < base + size; i++) {
        ageSum += this.age[i]!;
        dirtySum += this.dirty[i]!;
        ratioSum += this.evictedRatio[i]!;
        seenSum += this.evictedSeen[i]!;
      }
      const age = Math.floor(ageSum / size);
      const pages = slabs.classPages[c]!;
      if (slabs.freeChunksOf(c) > slabs.perSlab[c]! * MIN_PAGES_FOR_RECLAIM && dirtySum === 0) {
        out.src = c;
        out.dst = 0;
        youngest = -1;
        oldest = -1;
        break;
      }
      if (age > oldestAge && pages > MIN_PAGES_FOR_SOURCE) {
        oldest = c;
        oldestAge = age;
      }
      if (age < youngestAge && (seenSum > size / 2 || ratioSum / size > 0.25)) {
        youngest = c;
        youngestAge = age;
        youngestEvicting = this.evictedSeen[slot] === 1;
      }
    }
    for (let c = 1; c < MAX_SLAB_CLASSES; c++) {
      this.evictedBefore[c] = this.evictedOf(c);
      this.oomBefore[c] = this.counters.outOfMemory[c]!;
      this.pagesBefore[c] = slabs.classPages[c]!;
    }
    // only once the window has filled, and only towards a class evicting right now
    if (youngest !== -1 && oldest !== -1 && this.windowCur > size &&
      youngestAge < oldestAge * this.ratio && youngestEvicting) {
      out.src = oldest;
      out.dst = youngest;
    }
    return out;
  }
}
