// Which LRU an item lives in, and the work at the LRU tails (memcached's segmented LRU in
// items.c: do_item_bump, lru_pull_tail, do_item_alloc_pull, lru_maintainer_juggle and the
// maintainer thread's sleep/back-off loop, here a timer).
//
// Segmented mode (default): new items enter HOT. An item hit twice is ACTIVE. The maintainer
// keeps HOT at hot_lru_pct and WARM at warm_lru_pct of the class's bytes, moving the tails on
// to COLD (or by age: hot_max_factor / warm_max_factor times the age of COLD's tail); ACTIVE
// items at the HOT tail go to WARM, at the WARM tail back to WARM's head; a COLD item that
// turns ACTIVE moves to WARM at once. Stores that need a chunk evict from the COLD tail.
// Flat mode (-o no_lru_maintainer, or `lru mode flat` while the maintainer runs): new items enter
// COLD, items hit twice get one second chance at the head before eviction, the COLD tail is
// looked at before every allocation, and the maintainer drains HOT and WARM into COLD.
//
// The segmented/flat mode, the HOT/WARM limits and ages and the TEMP LRU are run-time settings
// (`lru mode`, `lru tune`, `lru temp_ttl`): every decision reads them live from RuntimeSettings.
//
// Threads: a tail pull holds the list's LRU lock and only try-locks the items it looks at; an
// item whose lock is busy or that anyone else holds a reference to (a reader, a reply) is
// skipped, as memcached's lru_pull_tail skips refcounted items. An item moving to another list
// leaves this one under both locks and joins the other once the first LRU lock is let go.

import type { RuntimeSettings } from '../config/runtime-settings.js';
import type { Settings } from '../config/settings.js';
import type { ServerClock } from './clock.js';
import type { Expiry } from './expiry.js';
import type { LruLists } from './lru.js';
import { RearmTimer } from './rearm-timer.js';
import type { Slabs } from './slabs.js';
import type { StoreCounters } from './stats.js';
import type { StoreLocks } from './store-locks.js';
import { BG_JUGGLES } from './shared-layout.js';
import {
  CLASS_MASK,
  IF_ACTIVE,
  IF_FETCHED,
  LRU_COLD,
  LRU_HOT,
  LRU_TEMP,
  LRU_WARM,
  mcItemTotal,
  META_FLAG_SHIFT,
  META_LRU_SHIFT,
  NIL,
  pageWords,
  refsOfHeader,
  SEGMENT_MASK,
  W_EXP,
  W_FLAGS,
  W_HASH,
  W_META,
  W_PREV,
  W_TIME,
  W_VLEN,
  wordBase,
} from './item-layout.js';

/** lru_pull_tail flags. */
export const PULL_EVICT = 1;
/** A store needs one chunk: stop at the first reclaimed item instead of reaping on. */
const PULL_ONE_RECLAIM = 8;

const TAIL_TRIES = 5; // items looked at from a tail per pull (memcached: 5)
const FLAT_SECOND_CHANCES = 5;
const ALLOC_TRIES = 10;
/** HOT tail items pushed to COLD at once when a store finds COLD empty. */
const ALLOC_HOT_SLICE = 32;
const JUGGLE_ROUNDS = 500;
const MIN_SLEEP_US = 1000;
const MAX_SLEEP_US = 1000000 - 1;
/** One maintainer wake-up works at most this long before yielding to the event loop. */
const WAKE_SLICE_MS = 1;

/** What tail pulls need from the item layer. */
export interface LruHost {
  /**
   * Removes a linked item from the index and its LRU and drops the link's reference (its
   * chunks go when nobody else holds one); the caller holds the item's lock and its LRU lock.
   */
  unlinkItemLruHeld(ref: number): void;
  /** A live item is about to be evicted (watchers hear of it). */
  onEvict(ref: number): void;
  /** Views of pages and tables another thread added (before following refs from shared lists). */
  checkViews(): void;
  /** The maintainer's timer woke up (the store's chance to see requests from other threads). */
  onWake(): void;
}

export class LruMaintainer {
  /** The maintainer runs (not -o no_lru_maintainer): fixed at start, as memcached's thread. */
  readonly hasMaintainer: boolean;
  private readonly runtime: RuntimeSettings;
  private readonly lists: LruLists;
  private readonly words: Uint32Array[];
  private readonly slabs: Slabs;
  private readonly counters: StoreCounters;
  private readonly clock: ServerClock;
  private readonly expiry: Expiry;
  private readonly host: LruHost;
  private readonly locks: StoreLocks;
  private readonly casEnabled: boolean;
  private readonly evictionsDisabled: boolean;
  // maintainer loop state (microseconds, as memcached's)
  private readonly nextJuggle = new Float64Array(64);
  private readonly backoff = new Float64Array(64);
  private lastSleepUs = MIN_SLEEP_US;
  private readonly timer = new RearmTimer(() => this.tick());
  private closed = false;

  constructor(settings: Settings, parts: {
    runtime: RuntimeSettings; lists: LruLists; slabs: Slabs; counters: StoreCounters; clock: ServerClock; expiry: Expiry;
    host: LruHost; locks: StoreLocks;
  }) {
    this.locks = parts.locks;
    this.hasMaintainer = settings.lruSegmented;
    this.casEnabled = settings.casEnabled;
    this.evictionsDisabled = settings.evictionsDisabled;
    this.runtime = parts.runtime;
    this.lists = parts.lists;
    this.slabs = parts.slabs;
    this.words = parts.slabs.words;
    this.counters = parts.counters;
    this.clock = parts.clock;
    this.expiry = parts.expiry;
    this.host = parts.host;
  }

  /**
   * The segment a newly stored item enters (exptimeRel server-relative, 0 = never). As memcached's
   * do_item_link: a short TTL goes to TEMP (temp_lru, whatever the mode), else HOT when segmented,
   * else COLD. The TTL is unsigned there: no exptime, or one already past, is never short.
   */
  entrySegment(exptimeRel: number): number {
    const rt = this.runtime;
    if (rt.tempLru && ((exptimeRel - this.clock.current) >>> 0) <= rt.temporaryTtl) return LRU_TEMP;
    return rt.lruSegmented ? LRU_HOT : LRU_COLD;
  }

  private totalOf(w: Uint32Array, b: number): number {
    return mcItemTotal(w[b + W_META]! & 0xff, w[b + W_VLEN]!, w[b + W_FLAGS]!, this.casEnabled);
  }

  /**
   * do_item_bump on a fetch: the first hit marks the item fetched, the second active. Segmented:
   * an active HOT/WARM item only gets a fresh access time; a COLD one moves to WARM at once.
   * Flat: the active item goes to the head of its list.
   */
  bump(ref: number, markFetched: boolean): void {
    const w = pageWords(this.words, ref);
    const b = wordBase(ref);
    const meta = w[b + W_META]!;
    const flags = meta >>> META_FLAG_SHIFT;
    if ((flags & IF_ACTIVE) !== 0) return;
    if ((flags & IF_FETCHED) === 0) {
      if (markFetched) w[b + W_META] = (meta | (IF_FETCHED << META_FLAG_SHIFT)) >>> 0;
      return;
    }
    const id = (meta >>> META_LRU_SHIFT) & 0xff;
    w[b + W_TIME] = this.clock.current;
    const segmented = this.runtime.lruSegmented;
    if (segmented && (id & SEGMENT_MASK) === LRU_COLD) {
      // memcached queues this for its maintainer thread, which moves it to WARM, not active
      const warm = (id & CLASS_MASK) | LRU_WARM;
      this.lists.move(ref, id, warm, this.totalOf(w, b));
      this.counters.movesToWarm[warm]!++;
      return;
    }
    w[b + W_META] = (meta | (IF_ACTIVE << META_FLAG_SHIFT)) >>> 0;
    if (!segmented) this.lists.moveToHead(ref, id, this.totalOf(w, b));
  }

  /**
   * Without the segmented LRU, memcached looks at the COLD tail before every allocation and
   * reclaims expired or flushed items there (t/issue_183.t: `reclaimed` after flush_all + set).
   */
  pullBeforeAlloc(cls: number): void {
    if (!this.runtime.lruSegmented) this.pullTail(cls, LRU_COLD, 0, 0, 0);
  }

  /**
   * do_item_alloc_pull after the free list came up empty: evict or reclaim from the tails and
   * retry, up to 10 times. Returns a chunk of cls or NIL.
   */
  allocPull(cls: number): number {
    let ref = NIL;
    if (!this.runtime.lruSegmented) {
      for (let tries = 0; tries < ALLOC_TRIES; tries++) {
        if (!this.pullTailFlat(cls)) break;
        ref = this.slabs.takeChunk(cls);
        if (ref !== NIL) return ref;
      }
      return NIL;
    }
    let i = 1;
    for (; i < ALLOC_TRIES; i++) {
      if (this.pullTail(cls, LRU_COLD, 0, PULL_EVICT | PULL_ONE_RECLAIM, 0) <= 0) {
        // COLD had nothing to give: push HOT's tail down (memcached moves one item; we move a
        // small slice, so the next stores evict straight from COLD while the maintainer timer
        // cannot run). When HOT is empty too, WARM's tail (our addition: a starved maintainer
        // must not turn into NoMemory).
        for (let j = 0; j < ALLOC_HOT_SLICE; j++) {
          if (this.pullTail(cls, LRU_HOT, 0, PULL_ONE_RECLAIM, 0) <= 0) {
            if (j === 0) this.pullTail(cls, LRU_WARM, 0, PULL_ONE_RECLAIM, 0);
            break;
          }
        }
      }
      ref = this.slabs.takeChunk(cls);
      if (ref !== NIL) break;
    }
    this.counters.directReclaims[cls]! += i;
    return ref;
  }

  /**
   * memcached's lru_pull_tail over list cls|seg: reclaims expired/flushed tail items, and
   * moves (HOT/WARM over their limit or age), rescues (ACTIVE) or evicts (COLD with
   * PULL_EVICT) the tail. Returns the number of items removed or moved.
   */
  pullTail(cls: number, seg: number, totalBytes: number, flags: number, maxAge: number): number {
    const id = cls | seg;
    const lists = this.lists;
    const k = this.counters;
    const items = this.locks.items;
    let removed = 0;
    // an item leaving for list movingTo, still item-locked, linked there after the LRU lock goes
    let moving = NIL;
    let movingHv = 0;
    let movingTo = 0;
    let movingTotal = 0;
    this.locks.lockLru(id);
    this.host.checkViews();
    let it = lists.tail[id]!;
    for (let tries = TAIL_TRIES; tries > 0 && it !== NIL; tries--) {
      const w = pageWords(this.words, it);
      const b = wordBase(it);
      const prev = w[b + W_PREV]!;
      const hv = w[b + W_HASH]! | 0;
      if (!this.lockIdle(w, b, hv)) {
        it = prev;
        continue;
      }
      const itFlags = w[b + W_META]! >>> META_FLAG_SHIFT;
      if (this.expiry.isDead(it)) {
        this.reclaimTail(it, id, itFlags);
        items.unlock(hv);
        removed++;
        if ((flags & PULL_ONE_RECLAIM) !== 0) break;
        it = prev;
        continue; // all expired so far: keep reaping
      }
      let to = -1;
      switch (seg) {
        case LRU_HOT:
        case LRU_WARM: {
          let limit = seg === LRU_HOT ? Math.floor((totalBytes * this.runtime.hotLruPct) / 100) : 0;
          if (limit === 0) limit = Math.floor((totalBytes * this.runtime.warmLruPct) / 100);
          if ((itFlags & IF_ACTIVE) !== 0) {
            // rescue active items aggressively
            w[b + W_META] = (w[b + W_META]! & ~(IF_ACTIVE << META_FLAG_SHIFT)) >>> 0;
            removed++;
            if (seg === LRU_WARM) {
              k.movesWithinLru[id]!++;
              lists.moveToHeadHeld(it, id, this.totalOf(w, b));
            } else {
              k.movesToWarm[id]!++;
              to = cls | LRU_WARM;
            }
          } else if (lists.bytes[id]! > limit || this.clock.current - w[b + W_TIME]! > maxAge) {
            k.movesToCold[id]!++;
            to = cls | LRU_COLD;
            removed++;
          }
          break;
        }
        case LRU_COLD:
          if ((flags & PULL_EVICT) !== 0) {
            if (this.evictionsDisabled) break;
            this.evictTail(it, id, w, b, itFlags);
            removed++;
          } else if ((itFlags & IF_ACTIVE) !== 0 && this.runtime.lruSegmented) {
            w[b + W_META] = (w[b + W_META]! & ~(IF_ACTIVE << META_FLAG_SHIFT)) >>> 0;
            k.movesToWarm[id]!++;
            to = cls | LRU_WARM;
            removed++;
          }
          break;
        default: // TEMP: only reclaims matter
          break;
      }
      if (to === -1) {
        items.unlock(hv);
      } else {
        moving = it;
        movingHv = hv;
        movingTo = to;
        movingTotal = this.totalOf(w, b);
        lists.unlinkHeld(it, id, movingTotal);
      }
      break;
    }
    this.locks.unlockLru(id);
    if (moving !== NIL) {
      lists.link(moving, movingTo, movingTotal);
      items.unlock(movingHv);
    }
    return removed;
  }

  /**
   * Try-locks a tail item (its header at w[b], hash hv) and keeps the lock only when nobody
   * but its link holds a reference: false for a busy item, which the pull skips.
   */
  private lockIdle(w: Uint32Array, b: number, hv: number): boolean {
    if (!this.locks.items.tryLock(hv)) return false;
    if (refsOfHeader(w, b) === 1) return true;
    this.locks.items.unlock(hv);
    return false;
  }

  /** The flat LRU's tail pull: reclaim, else evict (active items get a second chance). */
  private pullTailFlat(cls: number): boolean {
    const id = cls | LRU_COLD;
    const lists = this.lists;
    const k = this.counters;
    const items = this.locks.items;
    let did = false;
    this.locks.lockLru(id);
    this.host.checkViews();
    let it = lists.tail[id]!;
    let secondChances = 0;
    while (it !== NIL) {
      const w = pageWords(this.words, it);
      const b = wordBase(it);
      const prev = w[b + W_PREV]!;
      const hv = w[b + W_HASH]! | 0;
      if (!this.lockIdle(w, b, hv)) {
        it = prev;
        continue;
      }
      const flags = w[b + W_META]! >>> META_FLAG_SHIFT;
      if (this.expiry.isDead(it)) {
        this.reclaimTail(it, id, flags);
        items.unlock(hv);
        did = true;
        break;
      }
      if (this.evictionsDisabled) {
        items.unlock(hv);
        break;
      }
      if ((flags & IF_ACTIVE) !== 0 && secondChances < FLAT_SECOND_CHANCES && lists.count[id]! > 1) {
        w[b + W_META] = (w[b + W_META]! & ~(IF_ACTIVE << META_FLAG_SHIFT)) >>> 0;
        lists.moveToHeadHeld(it, id, this.totalOf(w, b));
        k.movesToWarm[id]!++;
        secondChances++;
        items.unlock(hv);
        it = prev;
        continue;
      }
      this.evictTail(it, id, w, b, flags);
      items.unlock(hv);
      did = true;
      break;
    }
    this.locks.unlockLru(id);
    return did;
  }

  /** A dead (expired or flushed) tail item of list id: counted as reclaimed and freed. */
  private reclaimTail(it: number, id: number, itFlags: number): void {
    const k = this.counters;
    k.reclaimed[id]!++;
    if ((itFlags & IF_FETCHED) === 0) k.expiredUnfetched[id]!++;
    this.host.unlinkItemLruHeld(it);
  }

  /** A live tail item of list id (its words at w[b]): counted as evicted and freed. */
  private evictTail(it: number, id: number, w: Uint32Array, b: number, itFlags: number): void {
    const k = this.counters;
    k.evicted[id]!++;
    k.evictedTime[id] = this.clock.current - w[b + W_TIME]!;
    if (w[b + W_EXP] !== 0) k.evictedNonzero[id]!++;
    if ((itFlags & IF_FETCHED) === 0) k.evictedUnfetched[id]!++;
    if ((itFlags & IF_ACTIVE) !== 0) k.evictedActive[id]!++;
    this.host.onEvict(it);
    this.host.unlinkItemLruHeld(it);
  }

  /**
   * lru_maintainer_juggle: TEMP reclaims, then up to 500 rounds of HOT, WARM and COLD tail pulls
   * for one class. In flat mode (`lru mode flat`) the limits and ages are 0, so HOT and WARM
   * drain into COLD and COLD is left alone.
   */
  juggle(cls: number): number {
    const rt = this.runtime;
    let did = 0;
    if (rt.tempLru) {
      for (let i = 0; i < JUGGLE_ROUNDS; i++) {
        if (this.pullTail(cls, LRU_TEMP, 0, 0, 0) <= 0) break;
        did++;
      }
    }
    const lists = this.lists;
    const segmented = rt.lruSegmented;
    let hotAge = 0;
    let warmAge = 0;
    let total = 0;
    if (segmented) {
      const coldTime = lists.tailTime(cls | LRU_COLD);
      const coldAge = coldTime < 0 ? 0 : this.clock.current - coldTime;
      hotAge = Math.floor(coldAge * rt.hotMaxFactor);
      warmAge = Math.floor(coldAge * rt.warmMaxFactor);
      total = lists.bytes[cls | LRU_HOT]! + lists.bytes[cls | LRU_WARM]! + lists.bytes[cls | LRU_COLD]!;
    }
    for (let i = 0; i < JUGGLE_ROUNDS; i++) {
      let more = 0;
      if (this.pullTail(cls, LRU_HOT, total, 0, hotAge) > 0 || this.pullTail(cls, LRU_WARM, total, 0, warmAge) > 0) more++;
      if (segmented) more += this.pullTail(cls, LRU_COLD, total, 0, 0);
      if (more === 0) break;
      did++;
    }
    return did;
  }

  /**
   * One wake-up of the maintainer (memcached's lru_maintainer_thread loop body): juggles every
   * class whose back-off has run out, within a ~1 ms slice. Returns the sleep before the next
   * wake-up, in microseconds.
   */
  runOnce(): number {
    this.clock.now();
    this.counters.background[BG_JUGGLES]!++;
    const lastSleep = this.lastSleepUs;
    let toSleep = MAX_SLEEP_US;
    const deadline = performance.now() + WAKE_SLICE_MS;
    const largest = this.slabs.largest;
    for (let c = 1; c <= largest; c++) {
      const next = this.nextJuggle[c]!;
      this.nextJuggle[c] = next > lastSleep ? next - lastSleep : 0;
      if (this.nextJuggle[c]! > 0) {
        if (this.nextJuggle[c]! < toSleep) toSleep = this.nextJuggle[c]!;
        continue;
      }
      if (performance.now() >= deadline) {
        toSleep = 0; // out of time this turn: come back for the rest at once
        continue;
      }
      const did = this.juggle(c);
      let back = this.backoff[c]!;
      if (did === 0) {
        back = back !== 0 ? back + Math.floor(back / 8) : MIN_SLEEP_US;
        if (back > MAX_SLEEP_US) back = MAX_SLEEP_US;
      } else if (back > 0) {
        back = Math.floor(back / 2);
        if (back < MIN_SLEEP_US) back = 0;
      }
      this.backoff[c] = back;
      this.nextJuggle[c] = back;
      if (back < toSleep) toSleep = back;
    }
    // a sleep of zero counts as the minimum of 1 ms (a timer cannot do better anyway)
    this.lastSleepUs = toSleep > MIN_SLEEP_US ? toSleep : MIN_SLEEP_US;
    return toSleep;
  }

  /** Starts the timer (unless -o no_lru_maintainer: then there is none, as in memcached). */
  start(): void {
    if (!this.hasMaintainer || this.closed) return;
    this.schedule(MIN_SLEEP_US);
  }

  private schedule(us: number): void {
    if (this.closed) return;
    this.timer.arm(Math.max(1, Math.round(us / 1000)));
  }

  private tick(): void {
    if (this.closed) return;
    this.host.onWake();
    this.schedule(this.runOnce());
  }

  close(): void {
    this.closed = true;
    this.timer.cancel();
  }
}
