// The settings memcached changes while it runs (fields of its `settings` struct that admin
// commands write: `lru tune`, `lru mode`, `lru temp_ttl`, `lru_crawler enable`, `slabs automove`,
// `cache_memlimit`, `flush_all`, `stats detail`). Settings itself is frozen; these start from it
// and live here, in ONE object per server: server.ts builds it and hands it to the store (the
// LRU maintainer, the crawler, the slabs and the flush check read it live, never a copy) and,
// through the server context, to the admin commands that write it and `stats settings`.
// The values are Float64 words of a SharedArrayBuffer (booleans as 0/1; FIELDS gives each field
// its word and accessors), so that every thread of a `-t N` server reads the same settings: another thread
// attaches with `new RuntimeSettings(buffer)` (docs/threads.md, "Shared memory").

import type { Settings } from './settings.js';
import { float64Word } from '../common/float64-words.js';

/** An on/off setting at word index (0 or 1). */
function flagWord(index: number): PropertyDescriptor {
  return {
    get(this: RuntimeSettings): boolean {
      return this.words[index] !== 0;
    },
    set(this: RuntimeSettings, on: boolean): void {
      this.words[index] = on ? 1 : 0;
    },
  };
}

/** Every field, by word index: its accessors go on the prototype (below the class). */
const FIELDS = {
  detailEnabled: flagWord(0),
  oldestLive: float64Word(1),
  oldestCas: float64Word(2),
  memLimitBytes: float64Word(3),
  slabAutomove: float64Word(4),
  slabAutomoveRatio: float64Word(5),
  lruCrawler: flagWord(6),
  lruCrawlerSleepUs: float64Word(7),
  lruCrawlerToCrawl: float64Word(8),
  lruSegmented: flagWord(9),
  hotLruPct: float64Word(10),
  warmLruPct: float64Word(11),
  hotMaxFactor: float64Word(12),
  warmMaxFactor: float64Word(13),
  tempLru: flagWord(14),
  temporaryTtl: float64Word(15),
} satisfies Record<Exclude<keyof RuntimeSettings, 'buffer' | 'words'>, PropertyDescriptor>;
const WORDS = Object.keys(FIELDS).length;

export class RuntimeSettings {
  /** The shared words, to hand to another thread. */
  readonly buffer: SharedArrayBuffer;
  /** The settings' values (only this module's accessors use them). */
  readonly words: Float64Array;

  /** `stats detail on|off`: per-prefix counters are kept. */
  declare detailEnabled: boolean;
  /** flush_all: items last stored at or before this server time are flushed (0 = no flush). */
  declare oldestLive: number;
  /** flush_all with cas on: items with a lower nonzero cas are flushed too (same-second stores). */
  declare oldestCas: number;
  /** -m, then `cache_memlimit`. */
  declare memLimitBytes: number;
  /** `slabs automove 0|1|2`. */
  declare slabAutomove: number;
  /** `slabs automove ratio R`, -o slab_automove_ratio: how much younger than the oldest class a class must be to get its page. */
  declare slabAutomoveRatio: number;
  /** `lru_crawler enable|disable`. */
  declare lruCrawler: boolean;
  declare lruCrawlerSleepUs: number;
  declare lruCrawlerToCrawl: number;
  /** `lru mode segmented|flat` (only while the maintainer runs: Settings.lruSegmented at start). */
  declare lruSegmented: boolean;
  /** `lru tune <hot_pct> <warm_pct> <hot_factor> <warm_factor>`. */
  declare hotLruPct: number;
  declare warmLruPct: number;
  declare hotMaxFactor: number;
  declare warmMaxFactor: number;
  /** `lru temp_ttl N` (a negative N turns the TEMP LRU off). */
  declare tempLru: boolean;
  declare temporaryTtl: number;

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
}
Object.defineProperties(RuntimeSettings.prototype, FIELDS);
