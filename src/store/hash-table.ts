// The hash index (memcached's assoc.c): buckets of item refs in a Uint32Array, chained through
// each item's HNEXT header word. Past a load of 1.5 items per bucket the table doubles; items
// move to the new table a few buckets at a time (on every insert, and on a timer in ~1 ms
// slices), and lookups consult the old table for buckets not moved yet. The tables live in the
// store memory's bucket arena (a new one appended at each doubling) and their position, power
// and expansion progress in its control block; this object holds views of the current ones,
// remade when the table generation changes.
//
// Threads (docs/threads.md "Hash expansion"): find, insert and remove run under the item lock
// of the hash value. One thread at a time (the expansion lock, try-locked) starts, steps or ends
// an expansion, and moves old bucket b only holding b's item lock, advancing expandBucket before
// letting go: a thread holding the lock of hv sees its bucket's table stay put. The item lock
// stripes never outnumber the old table's buckets (store-memory.ts itemLockPower), so one
// stripe covers a whole old bucket.

import {
  headerWord,
  keyOffset,
  NIL,
  pageIndex,
  pageWords,
  setHeaderWord,
  W_HASH,
  W_HNEXT,
  W_META,
  wordBase,
} from './item-layout.js';
import type { StoreMemory } from './store-memory.js';
import type { StoreLocks } from './store-locks.js';
import {
  EXPAND_BUCKET_AT,
  HASH_POWER_AT,
  IS_EXPANDING_AT,
  OLD_TABLE_OFFSET_AT,
  TABLE_GENERATION_AT,
  TABLE_OFFSET_AT,
  VIEWS_EPOCH_AT,
} from './shared-layout.js';

export const HASH_SEED = 0;
const HASHPOWER_MAX = 32;
const EXPAND_BUCKETS_PER_INSERT = 64;
const EXPAND_SLICE_MS = 1;

export class HashTable {
  /** Views of the current table and, while an expansion runs, the old one (as of `generation`). */
  private buckets: Uint32Array;
  private oldBuckets: Uint32Array | null = null;
  private generation = -1;
  private readonly memory: StoreMemory;
  private readonly locks: StoreLocks;
  private readonly u32: Uint32Array;
  private readonly expandDisabled: boolean;
  private readonly pages: Buffer[];
  private readonly words: Uint32Array[];
  private timer: NodeJS.Timeout | null = null;
  /** This Cache runs the background jobs: an expansion it sees goes on in ~1 ms timer slices. */
  private readonly runsTimer: boolean;
  /** Makes views of pages other threads added (their items may be in a bucket being moved). */
  private readonly syncPages: () => void;
  private closed = false;

  constructor(memory: StoreMemory, locks: StoreLocks, pages: Buffer[], words: Uint32Array[],
    opts: { expandDisabled: boolean; runsTimer: boolean; syncPages: () => void }) {
    this.memory = memory;
    this.locks = locks;
    this.runsTimer = opts.runsTimer;
    this.syncPages = opts.syncPages;
    this.u32 = memory.u32;
    this.pages = pages;
    this.words = words;
    this.expandDisabled = opts.expandDisabled;
    this.buckets = this.viewTables();
  }

  /** log2 of the bucket count (hash_power_level). */
  get hashPower(): number {
    return this.u32[HASH_POWER_AT >> 2]!;
  }

  get isExpanding(): boolean {
    return this.u32[IS_EXPANDING_AT >> 2] === 1;
  }

  private get expandBucket(): number {
    return this.u32[EXPAND_BUCKET_AT >> 2]!;
  }

  private set expandBucket(bucket: number) {
    this.u32[EXPAND_BUCKET_AT >> 2] = bucket;
  }

  /** Views of the tables another Cache over the same memory made since the last call. */
  syncTables(): void {
    if (this.u32[TABLE_GENERATION_AT >> 2] !== this.generation) this.viewTables();
  }

  /** Views of the tables the control block names now; returns the current one. */
  private viewTables(): Uint32Array {
    const u32 = this.u32;
    const power = u32[HASH_POWER_AT >> 2]!;
    this.generation = u32[TABLE_GENERATION_AT >> 2]!;
    this.buckets = this.memory.tableView(u32[TABLE_OFFSET_AT >> 2]!, power);
    this.oldBuckets = this.isExpanding ? this.memory.tableView(u32[OLD_TABLE_OFFSET_AT >> 2]!, power - 1) : null;
    return this.buckets;
  }

  /** A new table generation: the views follow at once, the other Caches at their next lookup. */
  private publishTables(): void {
    this.u32[TABLE_GENERATION_AT >> 2]!++;
    Atomics.add(this.u32, VIEWS_EPOCH_AT >> 2, 1);
    this.viewTables();
  }

  /** hash_bytes: memcached counts 8-byte bucket pointers. */
  get bytes(): number {
    return 2 ** this.hashPower * 8;
  }

  private keyEquals(ref: number, key: Buffer, keyStart: number, keyLen: number): boolean {
    const page = this.pages[pageIndex(ref)]!;
    const off = keyOffset(ref);
    if (keyLen <= 32) {
      for (let i = 0; i < keyLen; i++) if (page[off + i] !== key[keyStart + i]) return false;
      return true;
    }
    return key.compare(page, off, off + keyLen, keyStart, keyStart + keyLen) === 0;
  }

  /**
   * The table holding hv's bucket (hv's item lock held). The views are checked against the
   * table generation first: an expansion may have ended (or ended and begun again) since this
   * thread's last check, and a stale view would send a lookup or an insert to an abandoned table.
   */
  private tableFor(hv: number): Uint32Array {
    if (this.u32[TABLE_GENERATION_AT >> 2] !== this.generation) this.viewTables();
    const old = this.oldBuckets;
    if (old !== null && (hv & (old.length - 1)) >= this.expandBucket) return old;
    return this.buckets;
  }

  /** The item with this key and hash, or NIL. */
  find(hv: number, key: Buffer, keyStart: number, keyLen: number): number {
    const table = this.tableFor(hv);
    let it = table[hv & (table.length - 1)]!;
    while (it !== NIL) {
      const w = pageWords(this.words, it);
      const b = wordBase(it);
      if ((w[b + W_HASH]! | 0) === hv && (w[b + W_META]! & 0xff) === keyLen && this.keyEquals(it, key, keyStart, keyLen)) return it;
      it = w[b + W_HNEXT]!;
    }
    return NIL;
  }

  /**
   * Adds ref (the caller holds hv's item lock); itemCount (after adding) drives the doubling.
   * An insert also moves a few old buckets, unless another thread is at it or a bucket's lock
   * is busy (the caller's own, for one).
   */
  insert(ref: number, hv: number, itemCount: number): void {
    const table = this.tableFor(hv);
    const idx = hv & (table.length - 1);
    setHeaderWord(this.words, ref, W_HNEXT, table[idx]!);
    table[idx] = ref;
    if (this.oldBuckets === null && !this.isExpansionDue(itemCount)) return;
    if (!this.locks.tryLockExpansion()) return;
    if (this.isExpanding) this.expandStep(EXPAND_BUCKETS_PER_INSERT, false);
    else if (this.isExpansionDue(itemCount)) this.startExpand();
    this.locks.unlockExpansion();
  }

  remove(ref: number, hv: number): void {
    const table = this.tableFor(hv);
    const idx = hv & (table.length - 1);
    let it = table[idx]!;
    const next = headerWord(this.words, ref, W_HNEXT);
    if (it === ref) {
      table[idx] = next;
      return;
    }
    while (it !== NIL) {
      const w = pageWords(this.words, it);
      const b = wordBase(it) + W_HNEXT;
      const n = w[b]!;
      if (n === ref) {
        w[b] = next;
        return;
      }
      it = n;
    }
  }

  /** The item at oldRef now lives at newRef (a page move copied it, HNEXT included). */
  replace(oldRef: number, newRef: number, hv: number): void {
    const table = this.tableFor(hv);
    const idx = hv & (table.length - 1);
    let it = table[idx]!;
    if (it === oldRef) {
      table[idx] = newRef;
      return;
    }
    while (it !== NIL) {
      const w = pageWords(this.words, it);
      const b = wordBase(it) + W_HNEXT;
      if (w[b] === oldRef) {
        w[b] = newRef;
        return;
      }
      it = w[b]!;
    }
  }

  private isExpansionDue(itemCount: number): boolean {
    return !this.expandDisabled && this.hashPower < HASHPOWER_MAX && itemCount > (this.buckets.length * 3) / 2;
  }

  /** Appends the doubled table and starts moving buckets into it (the expansion lock held). */
  private startExpand(): void {
    this.syncTables();
    const power = this.hashPower + 1;
    const offset = this.memory.appendTable(power);
    if (offset === null) return;
    const u32 = this.u32;
    u32[OLD_TABLE_OFFSET_AT >> 2] = u32[TABLE_OFFSET_AT >> 2]!;
    u32[TABLE_OFFSET_AT >> 2] = offset;
    u32[HASH_POWER_AT >> 2] = power;
    this.expandBucket = 0;
    Atomics.store(u32, IS_EXPANDING_AT >> 2, 1);
    this.publishTables();
    this.armTimer();
  }

  /** The background Cache moves the buckets of an expansion it sees in timer slices. */
  armTimer(): void {
    if (this.timer === null && !this.closed && this.runsTimer && this.isExpanding) {
      this.timer = setTimeout(this.expandTick, 0);
      this.timer.unref();
    }
  }

  /**
   * Moves up to n old buckets into the new table (memcached's assoc_maintenance_thread), each
   * under its item lock: waited for when wait, else the step ends at a busy one. The caller
   * holds the expansion lock.
   */
  private expandStep(n: number, wait: boolean): void {
    this.syncTables();
    const old = this.oldBuckets;
    if (old === null) return;
    const buckets = this.buckets;
    const mask = buckets.length - 1;
    const items = this.locks.items;
    const end = Math.min(old.length, this.expandBucket + n);
    for (let i = this.expandBucket; i < end; i++) {
      if (wait) items.lock(i);
      else if (!items.tryLock(i)) return;
      this.syncPages();
      let it = old[i]!;
      while (it !== NIL) {
        const w = pageWords(this.words, it);
        const b = wordBase(it);
        const next = w[b + W_HNEXT]!;
        const idx = w[b + W_HASH]! & mask;
        w[b + W_HNEXT] = buckets[idx]!;
        buckets[idx] = it;
        it = next;
      }
      old[i] = NIL;
      this.expandBucket = i + 1;
      items.unlock(i);
    }
    if (end >= old.length) {
      // expandBucket stays past the last old bucket: a thread that read the generation just
      // before this finish, and the expand bucket after it, still picks the new table
      Atomics.store(this.u32, IS_EXPANDING_AT >> 2, 0);
      this.publishTables();
    }
  }

  /** Moves old buckets for up to ~ms milliseconds, unless another thread is at it. */
  private expandFor(ms: number): void {
    if (!this.locks.tryLockExpansion()) return;
    const deadline = performance.now() + ms;
    while (this.isExpanding && performance.now() < deadline) this.expandStep(4096, true);
    this.locks.unlockExpansion();
  }

  private readonly expandTick = (): void => {
    this.timer = null;
    this.expandFor(EXPAND_SLICE_MS);
    if (this.isExpanding && !this.closed) {
      this.timer = setTimeout(this.expandTick, 1);
      this.timer.unref();
    }
  };

  /** The bucket array, for a warm restart's save: any expansion is finished first. */
  exportBuckets(): Uint32Array {
    this.finishExpansion();
    return this.viewTables();
  }

  /** Takes back saved buckets (the chains run through the restored pages); their count gives the power. */
  restoreBuckets(buckets: Uint32Array): boolean {
    const power = Math.log2(buckets.length);
    if (!Number.isInteger(power) || power < 1 || power > HASHPOWER_MAX) return false;
    const offset = this.memory.appendTable(power);
    if (offset === null) return false;
    this.memory.tableView(offset, power).set(buckets);
    const u32 = this.u32;
    u32[TABLE_OFFSET_AT >> 2] = offset;
    u32[HASH_POWER_AT >> 2] = power;
    u32[IS_EXPANDING_AT >> 2] = 0;
    this.expandBucket = 0;
    this.publishTables();
    return true;
  }

  /** Runs a pending expansion to completion (tests, a warm restart's save). */
  finishExpansion(): void {
    while (this.isExpanding) this.expandFor(1000);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
