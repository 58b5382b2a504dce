// The settings memcached changes while it runs (fields of its `settings` struct that admin
// commands write: `lru tune`, `lru mode`, `lru temp_ttl`, `lru_crawler enable`, `slabs automove`,
// `cache_memlimit`, `flush_all`, `stats detail`). Settings itself is frozen; these start from it
// and live here, in ONE object per server: server.ts builds it and hands it to the store (the
// LRU maintainer, the crawler, the slabs and the flush check read it live, never a copy) and,
// through the server context, to the admin commands that write it and `stats settings`.
// The values are Float64 words of a SharedArrayBuffer (booleans as 0/1), one named index per
// field, so that every thread of a `-t N` server reads the same settings: another thread
// attaches with `new RuntimeSettings(buffer)` (docs/threads.md, "Shared memory").

import type { Settings } from './settings.js';

const DETAIL_ENABLED = 0;
const OLDEST_LIVE = 1;
const OLDEST_CAS = 2;
const MEM_LIMIT_BYTES = 3;
const SLAB_AUTOMOVE = 4;
const SLAB_AUTOMOVE_RATIO = 5;
const LRU_CRAWLER = 6;
const LRU_CRAWLER_SLEEP_US = 7;
const LRU_CRAWLER_TO_CRAWL = 8;
const LRU_SEGMENTED = 9;
const HOT_LRU_PCT = 10;
const WARM_LRU_PCT = 11;
const HOT_MAX_FACTOR = 12;
const WARM_MAX_FACTOR = 13;
const TEMP_LRU = 14;
const TEMPORARY_TTL = 15;
const WORDS = 16;

export class RuntimeSettings {
  /** The shared words, to hand to another thread. */
  readonly buffer: SharedArrayBuffer;
  private readonly words: Float64Array;

  /** Fresh settings that start from s, or (given a buffer) the ones another RuntimeSettings holds. */
  constructor(from: Settings | SharedArrayBuffer) {
    if (from instanceof SharedArrayBuffer) {
      this.buffer = from;
      this.words = new Float64Array(from, 0, WORDS);
      return;
    }
    this.buffer = new SharedArrayBuffer(WORDS * 8);
    this.words = new Float64Array(this.buffer, 0, WORDS);
    this.detailEnabled = from.detailEnabled;
    this.memLimitBytes = from.memLimitBytes;
    this.slabAutomove = from.slabAutomove;
    this.slabAutomoveRatio = from.slabAutomoveRatio;
    this.lruCrawler = from.lruCrawler;
    this.lruCrawlerSleepUs = from.lruCrawlerSleepUs;
    this.lruCrawlerToCrawl = from.lruCrawlerToCrawl;
    this.lruSegmented = from.lruSegmented;
    this.hotLruPct = from.hotLruPct;
    this.warmLruPct = from.warmLruPct;
    this.hotMaxFactor = from.hotMaxFactor;
    this.warmMaxFactor = from.warmMaxFactor;
    this.tempLru = from.tempLru;
    this.temporaryTtl = from.temporaryTtl;
  }

  /** `stats detail on|off`: per-prefix counters are kept. */
  get detailEnabled(): boolean {
    return this.words[DETAIL_ENABLED] !== 0;
  }
  set detailEnabled(on: boolean) {
    this.words[DETAIL_ENABLED] = on ? 1 : 0;
  }

  /** flush_all: items last stored at or before this server time are flushed (0 = no flush). */
  get oldestLive(): number {
    return this.words[OLDEST_LIVE]!;
  }
  set oldestLive(t: number) {
    this.words[OLDEST_LIVE] = t;
  }

  /** flush_all with cas on: items with a lower nonzero cas are flushed too (same-second stores). */
  get oldestCas(): number {
    return this.words[OLDEST_CAS]!;
  }
  set oldestCas(cas: number) {
    this.words[OLDEST_CAS] = cas;
  }

  /** -m, then `cache_memlimit`. */
  get memLimitBytes(): number {
    return this.words[MEM_LIMIT_BYTES]!;
  }
  set memLimitBytes(bytes: number) {
    this.words[MEM_LIMIT_BYTES] = bytes;
  }

  /** `slabs automove 0|1|2`. */
  get slabAutomove(): number {
    return this.words[SLAB_AUTOMOVE]!;
  }
  set slabAutomove(mode: number) {
    this.words[SLAB_AUTOMOVE] = mode;
  }

  /** `slabs automove ratio R`, -o slab_automove_ratio: how much younger than the oldest class a class must be to get its page. */
  get slabAutomoveRatio(): number {
    return this.words[SLAB_AUTOMOVE_RATIO]!;
  }
  set slabAutomoveRatio(ratio: number) {
    this.words[SLAB_AUTOMOVE_RATIO] = ratio;
  }

  /** `lru_crawler enable|disable`. */
  get lruCrawler(): boolean {
    return this.words[LRU_CRAWLER] !== 0;
  }
  set lruCrawler(on: boolean) {
    this.words[LRU_CRAWLER] = on ? 1 : 0;
  }

  get lruCrawlerSleepUs(): number {
    return this.words[LRU_CRAWLER_SLEEP_US]!;
  }
  set lruCrawlerSleepUs(us: number) {
    this.words[LRU_CRAWLER_SLEEP_US] = us;
  }

  get lruCrawlerToCrawl(): number {
    return this.words[LRU_CRAWLER_TO_CRAWL]!;
  }
  set lruCrawlerToCrawl(n: number) {
    this.words[LRU_CRAWLER_TO_CRAWL] = n;
  }

  /** `lru mode segmented|flat` (only while the maintainer runs: Settings.lruSegmented at start). */
  get lruSegmented(): boolean {
    return this.words[LRU_SEGMENTED] !== 0;
  }
  set lruSegmented(on: boolean) {
    this.words[LRU_SEGMENTED] = on ? 1 : 0;
  }

  /** `lru tune <hot_pct> <warm_pct> <hot_factor> <warm_factor>`. */
  get hotLruPct(): number {
    return this.words[HOT_LRU_PCT]!;
  }
  set hotLruPct(pct: number) {
    this.words[HOT_LRU_PCT] = pct;
  }

  get warmLruPct(): number {
    return this.words[WARM_LRU_PCT]!;
  }
  set warmLruPct(pct: number) {
    this.words[WARM_LRU_PCT] = pct;
  }

  get hotMaxFactor(): number {
    return this.words[HOT_MAX_FACTOR]!;
  }
  set hotMaxFactor(factor: number) {
    this.words[HOT_MAX_FACTOR] = factor;
  }

  get warmMaxFactor(): number {
    return this.words[WARM_MAX_FACTOR]!;
  }
  set warmMaxFactor(factor: number) {
    this.words[WARM_MAX_FACTOR] = factor;
  }

  /** `lru temp_ttl N` (a negative N turns the TEMP LRU off). */
  get tempLru(): boolean {
    return this.words[TEMP_LRU] !== 0;
  }
  set tempLru(on: boolean) {
    this.words[TEMP_LRU] = on ? 1 : 0;
  }

  get temporaryTtl(): number {
    return this.words[TEMPORARY_TTL]!;
  }
  set temporaryTtl(sec: number) {
    this.words[TEMPORARY_TTL] = sec;
  }
}
