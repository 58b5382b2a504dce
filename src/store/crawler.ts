// The LRU crawler: a timer walks the slab pages chunk by chunk in slices of at most ~1 ms and
// reclaims expired and flushed items (a (page, offset) cursor survives any change to the
// lists). Also `lru_crawler ...` commands and `lru_crawler metadump`. The same timer drives the
// store's other slow chores through onTick (page give-back, the automover).
//
// Threads: whether a crawl runs and which classes it covers are shared words, so `lru_crawler
// crawl` in any Cache starts the crawl that the Cache running the background jobs carries out
// at its next tick. The crawl try-locks each item it looks at and skips busy ones; metadump
// walks each list under its LRU lock.

import type { RuntimeSettings } from '../config/runtime-settings.js';
import type { ServerClock } from './clock.js';
import type { Expiry } from './expiry.js';
import type { LruLists } from './lru.js';
import type { Slabs } from './slabs.js';
import type { StoreCounters } from './stats.js';
import type { StoreLocks } from './store-locks.js';
import { BG_CRAWLER_STARTS, CRAWL_CLASSES_AT, CRAWL_RUNNING_AT } from './shared-layout.js';
import { MAX_SLAB_CLASSES } from './slab-classes.js';
import {
  casOfHeader,
  chunkRef,
  IF_CONT,
  IF_FETCHED,
  IF_LINKED,
  keyOffset,
  LRU_COLD,
  LRU_HOT,
  LRU_TEMP,
  LRU_WARM,
  mcItemTotal,
  META_FLAG_SHIFT,
  META_LRU_SHIFT,
  pageIndex,
  pageWords,
  W_EXP,
  W_HASH,
  W_FLAGS,
  W_META,
  W_TIME,
  W_VLEN,
  wordBase,
} from './item-layout.js';
import { RearmTimer } from './rearm-timer.js';
import { safeStrtoul } from '../common/c-numbers.js';

const CRAWL_SLICE_MS = 1;
const CRAWL_TICK_MS = 10;
const CRAWL_IDLE_TICK_MS = 1000;
const CRAWL_AUTO_INTERVAL_SEC = 60;
const SEGMENTS = [LRU_HOT, LRU_WARM, LRU_COLD, LRU_TEMP] as const;

export interface CrawlerHost {
  /** Unlinks a linked item whose item lock the caller holds. */
  unlinkItem(ref: number): void;
  /**
   * Called on every timer turn before crawling (the store's background chores); true when the
   * store wants the next turn soon (a page move is under way).
   */
  onTick(): boolean;
  /** Wakes the Cache that runs the background jobs (a crawl started in another one). */
  wakeBackground(): void;
}

export interface CrawlerOptions {
  dumpEnabled: boolean;
  casEnabled: boolean;
}

export class Crawler {
  private readonly dumpEnabled: boolean;
  private readonly casEnabled: boolean;
  /** lru_crawler enabled, sleep, tocrawl: run-time settings, read live. */
  private readonly runtime: RuntimeSettings;
  /** The classes the running crawl covers (shared). */
  private readonly classes: Uint8Array;
  /** 1 while a crawl runs (shared). */
  private readonly runningWord: Int32Array;
  /** Crawls started (shared, the BG_CRAWLER_STARTS counter). */
  private readonly background: Float64Array;
  /** This Cache's cursor in the running crawl, and the crawl it belongs to (the starts count). */
  private page = 0;
  private offset = 0;
  private cursorOfStart = -1;
  private lastStart: number;
  private readonly timer = new RearmTimer(() => this.tick());
  private closed = false;
  /** start() was called: this Cache runs the crawl. */
  private isTicking = false;
  private readonly slabs: Slabs;
  private readonly lists: LruLists;
  private readonly counters: StoreCounters;
  private readonly clock: ServerClock;
  private readonly expiry: Expiry;
  private readonly host: CrawlerHost;
  private readonly locks: StoreLocks;

  constructor(opts: CrawlerOptions, parts: {
    runtime: RuntimeSettings; slabs: Slabs; lists: LruLists; counters: StoreCounters; clock: ServerClock; expiry: Expiry;
    host: CrawlerHost; locks: StoreLocks; control: SharedArrayBuffer;
  }) {
    this.locks = parts.locks;
    this.classes = new Uint8Array(parts.control, CRAWL_CLASSES_AT, MAX_SLAB_CLASSES);
    this.runningWord = new Int32Array(parts.control, CRAWL_RUNNING_AT, 1);
    this.background = parts.counters.background;
    this.runtime = parts.runtime;
    this.dumpEnabled = opts.dumpEnabled;
    this.casEnabled = opts.casEnabled;
    this.slabs = parts.slabs;
    this.lists = parts.lists;
    this.counters = parts.counters;
    this.clock = parts.clock;
    this.expiry = parts.expiry;
    this.host = parts.host;
    this.lastStart = this.clock.current;
  }

  /** A crawl runs (lru_crawler_running). */
  get running(): boolean {
    return Atomics.load(this.runningWord, 0) === 1;
  }

  private set running(isRunning: boolean) {
    Atomics.store(this.runningWord, 0, isRunning ? 1 : 0);
  }

  /** `lru_crawler <args>` reply line (metadump: the whole block). */
  command(args: readonly string[]): string {
    const a = args[0] === 'lru_crawler' ? args.slice(1) : args;
    const sub = a[0];
    const rt = this.runtime;
    if (a.length === 2 && sub === 'crawl') {
      if (!rt.lruCrawler) return 'CLIENT_ERROR lru crawler disabled';
      return this.startCrawl(a[1]!);
    }
    if (a.length === 2 && sub === 'metadump') {
      // the whole reply: lines (LF-terminated, as memcached) then END\r\n; or an error line
      const lines: string[] = [];
      const err = this.metadump(a[1]!, (l) => lines.push(l));
      if (err !== '') return err;
      lines.push('END\r\n');
      return lines.join('');
    }
    if (a.length === 2 && (sub === 'tocrawl' || sub === 'sleep')) {
      const v = parseU32(a[1]!);
      if (v < 0) return 'CLIENT_ERROR bad command line format';
      if (sub === 'tocrawl') {
        rt.lruCrawlerToCrawl = v;
        return 'OK';
      }
      if (v > 1000000) return 'CLIENT_ERROR sleep must be one second or less';
      rt.lruCrawlerSleepUs = v;
      return 'OK';
    }
    if (a.length === 1) {
      if (sub === 'enable') {
        // memcached refuses to start a second crawler thread
        if (rt.lruCrawler) return 'ERROR failed to start lru crawler thread';
        rt.lruCrawler = true;
        this.lastStart = this.clock.current;
        return 'OK';
      }
      if (sub === 'disable') {
        // memcached's thread finishes the crawl at hand before it stops; ours stops at once
        rt.lruCrawler = false;
        this.running = false;
        return 'OK';
      }
    }
    return 'ERROR';
  }

  metadump(spec: string, each: (line: string) => void): string {
    if (!this.runtime.lruCrawler) return 'CLIENT_ERROR lru crawler disabled';
    if (!this.dumpEnabled) return 'ERROR metadump not allowed';
    const classes = new Uint8Array(MAX_SLAB_CLASSES);
    if (spec === 'all' || spec === 'hash') classes.fill(1);
    else {
      let any = false;
      for (const part of spec.split(',')) {
        if (part === '') continue; // strtok_r: empty fields are skipped
        const id = parseU32(part);
        if (id < 1 || id >= MAX_SLAB_CLASSES) return 'BADCLASS invalid class id';
        classes[id] = 1;
        any = true;
      }
      if (!any) return 'NOTSTARTED no items to crawl';
    }
    const now = this.clock.now();
    const started = this.clock.processStarted;
    const { pages, words } = this.slabs;
    let cls = 0;
    const dumpOne = (it: number): void => {
      const w = pageWords(words, it);
      const b = wordBase(it);
      const exp = w[b + W_EXP]!;
      if ((exp !== 0 && exp < now) || this.expiry.isFlushed(it)) return;
      const meta = w[b + W_META]!;
      const keyLen = meta & 0xff;
      const flags = meta >>> META_FLAG_SHIFT;
      const size = mcItemTotal(keyLen, w[b + W_VLEN]!, w[b + W_FLAGS]!, this.casEnabled);
      each(`key=${uriEncode(pages[pageIndex(it)]!, keyOffset(it), keyLen)} ` +
        `exp=${exp === 0 ? -1 : exp + started} la=${w[b + W_TIME]! + started} cas=${casOfHeader(w, b)} ` +
        `fetch=${(flags & IF_FETCHED) !== 0 ? 'yes' : 'no'} cls=${cls} size=${size}\n`);
    };
    for (cls = 1; cls <= this.slabs.largest; cls++) {
      if (classes[cls] !== 1) continue;
      for (const seg of SEGMENTS) this.lists.walk(cls | seg, true, 0, dumpOne);
    }
    return '';
  }

  private startCrawl(spec: string): string {
    // As memcached: the class list is checked first (BADCLASS), then a running crawl (BUSY).
    const wanted = new Uint8Array(MAX_SLAB_CLASSES);
    let any = spec === 'all';
    if (any) wanted.fill(1);
    else if (spec !== 'hash') {
      for (const part of spec.split(',')) {
        if (part === '') continue; // strtok_r: empty fields are skipped
        const id = parseU32(part);
        if (id < 1 || id >= MAX_SLAB_CLASSES) return 'BADCLASS invalid class id';
        wanted[id] = 1;
        any = true;
      }
    }
    if (this.running) return 'BUSY currently processing crawler request';
    // memcached walks the hash table only for metadump: a `crawl hash` fails to start.
    if (spec === 'hash') return 'ERROR an unknown error happened';
    if (!any) return 'NOTSTARTED no items to crawl';
    this.classes.set(wanted);
    // memcached starts a crawler on every requested LRU, empty or not: OK even with no items.
    this.beginScan();
    return 'OK';
  }

  private beginScan(): void {
    this.background[BG_CRAWLER_STARTS]!++;
    this.running = true;
    this.lastStart = this.clock.current;
    if (this.isTicking) this.schedule(0);
    else this.host.wakeBackground();
  }

  /** The background Cache was woken: a crawl another Cache started begins now. */
  wake(): void {
    if (this.running) this.schedule(0);
  }

  /** Starts the timer (an idle tick once a second): only in the Cache that runs the background jobs. */
  start(): void {
    this.isTicking = true;
    this.schedule(CRAWL_IDLE_TICK_MS);
  }

  private schedule(ms: number): void {
    if (this.closed || !this.isTicking) return;
    this.timer.arm(ms);
  }

  private tick(): void {
    if (this.closed) return;
    const isBusy = this.host.onTick();
    this.schedule(this.running || isBusy ? CRAWL_TICK_MS : CRAWL_IDLE_TICK_MS);
  }

  /** The crawler's part of a background turn: the periodic start, then one ~1 ms slice. */
  turn(itemCount: number): void {
    if (!this.running && this.runtime.lruCrawler && itemCount > 0 &&
      this.clock.current - this.lastStart >= CRAWL_AUTO_INTERVAL_SEC) {
      this.classes.fill(1);
      this.beginScan();
    }
    if (this.running) this.slice(performance.now() + CRAWL_SLICE_MS);
  }

  /** Crawls until done or the deadline (performance.now() ms) passes. */
  slice(deadline: number): void {
    // only the Cache that runs the background jobs crawls (one cursor per crawl)
    if (!this.isTicking) return;
    this.clock.now();
    const slabs = this.slabs;
    const k = this.counters;
    const items = this.locks.items;
    const starts = this.background[BG_CRAWLER_STARTS]!;
    if (starts !== this.cursorOfStart) {
      // a crawl started since this cursor moved (in this Cache or another)
      this.cursorOfStart = starts;
      this.page = 0;
      this.offset = 0;
    }
    let checked = 0;
    while (this.page < slabs.pages.length) {
      const page = this.page;
      const cls = slabs.classOfPage(page);
      if (!slabs.isLive(page) || cls === 0 || this.classes[cls] !== 1) {
        this.page++;
        this.offset = 0;
        continue;
      }
      const size = slabs.chunkSize[cls]!;
      const limit = slabs.perSlab[cls]! * size;
      const w = slabs.words[page]!;
      while (this.offset < limit) {
        const ref = chunkRef(page, this.offset);
        this.offset += size;
        const b = wordBase(ref);
        if (((w[b + W_META]! >>> META_FLAG_SHIFT) & (IF_LINKED | IF_CONT)) !== IF_LINKED) continue;
        const hv = w[b + W_HASH]! | 0;
        if (!items.tryLock(hv)) continue;
        // again under the lock: the chunk may have changed hands meanwhile
        const meta = w[b + W_META]!;
        if (((meta >>> META_FLAG_SHIFT) & (IF_LINKED | IF_CONT)) === IF_LINKED) {
          const id = (meta >>> META_LRU_SHIFT) & 0xff;
          k.crawlerItemsChecked[id]!++;
          if (this.expiry.isDead(ref)) {
            k.crawlerReclaimed[id]!++;
            this.host.unlinkItem(ref);
          }
        }
        items.unlock(hv);
        if (!slabs.isLive(page)) break; // released under a lowered limit
        if ((++checked & 255) === 0 && performance.now() >= deadline) return;
      }
      this.page++;
      this.offset = 0;
    }
    this.running = false;
  }

  close(): void {
    this.closed = true;
    this.timer.cancel();
  }
}

/** memcached's uriencode: everything but [A-Za-z0-9~._-] as %XX. */
function uriEncode(buf: Buffer, start: number, len: number): string {
  let out = '';
  for (let i = start; i < start + len; i++) {
    const c = buf[i]!;
    const plain = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
      c === 0x7e || c === 0x2d || c === 0x2e || c === 0x5f;
    out += plain ? String.fromCharCode(c) : '%' + (c < 16 ? '0' : '') + c.toString(16).toUpperCase();
  }
  return out;
}

/** memcached's safe_strtoul into a uint32_t (common/c-numbers.ts) on a command token; -1 if bad. */
function parseU32(s: string): number {
  const v = safeStrtoul(Buffer.from(s, 'latin1'), 0, s.length);
  return Number.isNaN(v) ? -1 : v;
}
