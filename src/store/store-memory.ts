// The store's memory as SharedArrayBuffers (docs/threads.md, "Shared memory"): the control block
// (shared-layout.ts), the page arenas that hold the 1 MiB item pages, and the bucket arena that
// holds the hash tables. A server makes one with create(); another thread attaches to the same
// buffers with attach(buffers), handed over in workerData. The arenas are growable and grow by
// what they hold; everything reads them through fixed-length views made once per page or table
// (a length-tracking view of a growable buffer is 35x slower to index).

import type { Settings } from '../config/settings.js';
import { LRU_IDS, NIL } from './item-layout.js';
import {
  CARVE_PAGE_AT,
  CLOCK_PROCESS_STARTED_AT,
  CONTROL_BYTES,
  FREE_HEAD_AT,
  HASH_POWER_AT,
  ITEM_LOCK_POWER_AT,
  LRU_HEAD_AT,
  LRU_TAIL_AT,
  MOVING_PAGE_AT,
  PAGE_SLOTS_MAX,
  TABLE_OFFSET_AT,
  TABLES_END_AT,
  sizeHistogramBytes,
  THREAD_COUNTERS_BYTES,
} from './shared-layout.js';
import { MAX_SLAB_CLASSES, SLAB_PAGE_SIZE } from './slab-classes.js';

/** V8's cap on a growable SharedArrayBuffer's maxByteLength. */
const ARENA_MAX_BYTES = 2 ** 32;
/** Pages per arena; page slot p lives in arena p >>> ARENA_PAGE_SHIFT. */
const ARENA_PAGE_SHIFT = 12;
const ARENA_PAGE_MASK = (1 << ARENA_PAGE_SHIFT) - 1;
const PAGE_SHIFT = 20;
const HASHPOWER_DEFAULT = 16;

/** A growable SharedArrayBuffer (ES2024, in Node 20; the project's lib is ES2022). */
export interface GrowableSharedArrayBuffer extends SharedArrayBuffer {
  readonly maxByteLength: number;
  grow(byteLength: number): void;
}
const GrowableSab = SharedArrayBuffer as unknown as new (bytes: number, opts: { maxByteLength: number }) => GrowableSharedArrayBuffer;

/** What a thread needs to attach to a store: the buffers, structured-clonable as they are. */
export interface StoreBuffers {
  readonly control: SharedArrayBuffer;
  readonly pageArenas: readonly GrowableSharedArrayBuffer[];
  readonly bucketArena: GrowableSharedArrayBuffer;
  /**
   * Blocks of store counters (stats.ts), each written by one Cache only: one per thread (-t),
   * plus block `threads` for a Cache that runs only the background jobs (main's).
   */
  readonly threadCounters: SharedArrayBuffer;
  /** -o track_sizes: the `stats sizes` histogram (stats.ts SizeHistogram), else null. */
  readonly sizes: SharedArrayBuffer | null;
}

/**
 * memcached's item lock power for -t threads (thread.c: more threads, more stripes), capped
 * by the first hash table's power: one stripe then always covers whole buckets of every later
 * (larger) table, which is what lets an expansion move a bucket under a single item lock.
 */
export function itemLockPower(threads: number, hashPower: number): number {
  const power = threads < 3 ? 10 : threads === 3 ? 11 : threads === 4 ? 12 : threads <= 10 ? 13 : threads <= 20 ? 14 : 15;
  return Math.min(power, hashPower);
}

export class StoreMemory {
  readonly buffers: StoreBuffers;
  /** The control block's words, three views over the same bytes. */
  readonly f64: Float64Array;
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  /** Page slots the arenas can hold (MAX_PAGES + 1 at most). */
  readonly pageSlotsMax: number;
  /** Per-thread counter blocks (the -t this memory was made for). */
  readonly threads: number;
  /** Counter blocks: threads + 1. */
  readonly counterBlocks: number;

  private constructor(buffers: StoreBuffers) {
    this.buffers = buffers;
    const control = buffers.control;
    this.f64 = new Float64Array(control, 0, CONTROL_BYTES >>> 3);
    this.u32 = new Uint32Array(control, 0, CONTROL_BYTES >>> 2);
    this.i32 = new Int32Array(control, 0, CONTROL_BYTES >>> 2);
    this.pageSlotsMax = Math.min(PAGE_SLOTS_MAX, buffers.pageArenas.length << ARENA_PAGE_SHIFT);
    this.counterBlocks = buffers.threadCounters.byteLength / THREAD_COUNTERS_BYTES;
    this.threads = this.counterBlocks - 1;
  }

  /**
   * A new, empty store memory for these settings: page arenas enough for -m (up to 32 GiB,
   * one per 4 GiB), the first hash table (-o hashpower, else 2^16 buckets), item lock stripes
   * and counter blocks for -t threads.
   */
  static create(settings: Settings): StoreMemory {
    const arenas = Math.max(1, Math.min(PAGE_SLOTS_MAX >>> ARENA_PAGE_SHIFT, Math.ceil(settings.memLimitBytes / ARENA_MAX_BYTES)));
    const pageArenas: GrowableSharedArrayBuffer[] = [];
    for (let i = 0; i < arenas; i++) pageArenas.push(new GrowableSab(0, { maxByteLength: ARENA_MAX_BYTES }));
    const memory = new StoreMemory({
      control: new SharedArrayBuffer(CONTROL_BYTES),
      pageArenas,
      bucketArena: new GrowableSab(0, { maxByteLength: ARENA_MAX_BYTES }),
      threadCounters: new SharedArrayBuffer((Math.max(1, settings.threads) + 1) * THREAD_COUNTERS_BYTES),
      sizes: settings.trackSizes ? new SharedArrayBuffer(sizeHistogramBytes(settings.itemSizeMax)) : null,
    });
    memory.format(settings.hashPowerInit > 0 ? settings.hashPowerInit : HASHPOWER_DEFAULT, Math.max(1, settings.threads));
    return memory;
  }

  /** The same store memory, seen from another thread (or a second Cache in this one). */
  static attach(buffers: StoreBuffers): StoreMemory {
    return new StoreMemory(buffers);
  }

  /** The fields whose empty value is not 0, and the first hash table. */
  private format(hashPower: number, threads: number): void {
    new Uint32Array(this.buffers.control, FREE_HEAD_AT, MAX_SLAB_CLASSES).fill(NIL);
    new Uint32Array(this.buffers.control, LRU_HEAD_AT, LRU_IDS).fill(NIL);
    new Uint32Array(this.buffers.control, LRU_TAIL_AT, LRU_IDS).fill(NIL);
    new Int32Array(this.buffers.control, CARVE_PAGE_AT, MAX_SLAB_CLASSES).fill(-1);
    this.i32[MOVING_PAGE_AT >> 2] = -1;
    // not started: the first ServerClock over this memory starts it
    this.f64[CLOCK_PROCESS_STARTED_AT >> 3] = NaN;
    // -o hashpower 30..32 (memcached's limit) asks for 4-16 GiB of buckets, more than one arena
    // holds (4 GiB, V8's cap): the table starts at the largest power that fits and doubles
    // from there as items come.
    let power = hashPower;
    let table = this.appendTable(power);
    while (table === null && power > 16) table = this.appendTable(--power);
    if (table === null) throw new RangeError(`hash power ${hashPower} does not fit the bucket arena`);
    this.u32[HASH_POWER_AT >> 2] = power;
    this.u32[TABLE_OFFSET_AT >> 2] = table;
    this.u32[ITEM_LOCK_POWER_AT >> 2] = itemLockPower(threads, power);
  }

  /** True when slot p's bytes are in its arena already (used before, or grown past). */
  private isPageGrown(slot: number): boolean {
    const arena = this.buffers.pageArenas[slot >>> ARENA_PAGE_SHIFT]!;
    return arena.byteLength >= ((slot & ARENA_PAGE_MASK) + 1) << PAGE_SHIFT;
  }

  /**
   * Makes page slot's bytes exist (grows its arena up to it) and returns a zeroed view of the
   * page; null when the arena cannot grow (out of memory) or the slot is beyond the arenas.
   */
  openPage(slot: number): Buffer | null {
    if (slot >= this.pageSlotsMax) return null;
    if (this.isPageGrown(slot)) return this.pageView(slot).fill(0);
    const arena = this.buffers.pageArenas[slot >>> ARENA_PAGE_SHIFT]!;
    try {
      // zeroed by the grow (fresh mmap pages), so no fill pass
      arena.grow(((slot & ARENA_PAGE_MASK) + 1) << PAGE_SHIFT);
    } catch {
      return null;
    }
    return this.pageView(slot);
  }

  /** Makes the bytes of page slots 0..slots-1 exist, as they are; false when they cannot. */
  growPages(slots: number): boolean {
    if (slots > this.pageSlotsMax) return false;
    for (let slot = 0; slot < slots; slot += 1 << ARENA_PAGE_SHIFT) {
      const last = Math.min(slots - 1, slot | ARENA_PAGE_MASK);
      if (this.isPageGrown(last)) continue;
      try {
        this.buffers.pageArenas[last >>> ARENA_PAGE_SHIFT]!.grow(((last & ARENA_PAGE_MASK) + 1) << PAGE_SHIFT);
      } catch {
        return false;
      }
    }
    return true;
  }

  /** A fixed-length view of page slot (its bytes must exist: openPage() made them). */
  pageView(slot: number): Buffer {
    const arena = this.buffers.pageArenas[slot >>> ARENA_PAGE_SHIFT]!;
    return Buffer.from(arena, (slot & ARENA_PAGE_MASK) << PAGE_SHIFT, SLAB_PAGE_SIZE);
  }

  /** True when buf is slot's view (a restore that read the page straight into the arena). */
  isPageView(slot: number, buf: Buffer): boolean {
    return buf.buffer === this.buffers.pageArenas[slot >>> ARENA_PAGE_SHIFT] &&
      buf.byteOffset === (slot & ARENA_PAGE_MASK) << PAGE_SHIFT;
  }

  /**
   * Room for a table of 2^power buckets after the tables in the bucket arena, filled with NIL:
   * its byte offset, or null when the arena cannot grow that far. Old tables are not
   * reclaimed (a thread may still read them), which at most doubles the last one.
   */
  appendTable(power: number): number | null {
    const start = this.u32[TABLES_END_AT >> 2]!;
    const bytes = 4 * 2 ** power;
    const arena = this.buffers.bucketArena;
    if (start + bytes >= arena.maxByteLength) return null;
    try {
      arena.grow(start + bytes);
    } catch {
      return null;
    }
    new Uint32Array(arena, start, 2 ** power).fill(NIL);
    this.u32[TABLES_END_AT >> 2] = start + bytes;
    return start;
  }

  /** A fixed-length view of the table of 2^power buckets at byte offset. */
  tableView(offset: number, power: number): Uint32Array {
    return new Uint32Array(this.buffers.bucketArena, offset, 2 ** power);
  }
}
