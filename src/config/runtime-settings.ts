// The settings memcached changes while it runs (fields of its `settings` struct that admin
// commands write: `lru tune`, `lru mode`, `lru temp_ttl`, `lru_crawler enable`, `slabs automove`,
// `cache_memlimit`, `flush_all`, `stats detail`). Settings itself is frozen; these start from it
// and live here, in ONE object per server: server.ts builds it and hands it to the store (the
// LRU maintainer, the crawler, the slabs and the flush check read it live, never a copy) and,
// through the server context, to the admin commands that write it and `stats settings`.

import type { Settings } from './settings.js';

export class RuntimeSettings {
  /** `stats detail on|off`: per-prefix counters are kept. */
  detailEnabled: boolean;
  /** flush_all: items last stored at or before this server time are flushed (0 = no flush). */
  oldestLive = 0;
  /** flush_all with cas on: items with a lower nonzero cas are flushed too (same-second stores). */
  oldestCas = 0;
  /** -m, then `cache_memlimit`. */
  memLimitBytes: number;
  /** `slabs automove 0|1|2`. */
  slabAutomove: number;
  /** `slabs automove ratio R`, -o slab_automove_ratio: how much younger than the oldest class a class must be to get its page. */
  slabAutomoveRatio: number;
  /** `lru_crawler enable|disable`. */
  lruCrawler: boolean;
  lruCrawlerSleepUs: number;
  lruCrawlerToCrawl: number;
  /** `lru mode segmented|flat` (only while the maintainer runs: Settings.lruSegmented at start). */
  lruSegmented: boolean;
  /** `lru tune <hot_pct> <warm_pct> <hot_factor> <warm_factor>`. */
  hotLruPct: number;
  warmLruPct: number;
  hotMaxFactor: number;
  warmMaxFactor: number;
  /** `lru temp_ttl N` (a negative N turns the TEMP LRU off). */
  tempLru: boolean;
  temporaryTtl: number;

  constructor(s: Settings) {
    this.detailEnabled = s.detailEnabled;
    this.memLimitBytes = s.memLimitBytes;
    this.slabAutomove = s.slabAutomove;
    this.slabAutomoveRatio = s.slabAutomoveRatio;
    this.lruCrawler = s.lruCrawler;
    this.lruCrawlerSleepUs = s.lruCrawlerSleepUs;
    this.lruCrawlerToCrawl = s.lruCrawlerToCrawl;
    this.lruSegmented = s.lruSegmented;
    this.hotLruPct = s.hotLruPct;
    this.warmLruPct = s.warmLruPct;
    this.hotMaxFactor = s.hotMaxFactor;
    this.warmMaxFactor = s.warmMaxFactor;
    this.tempLru = s.tempLru;
    this.temporaryTtl = s.temporaryTtl;
  }
}
