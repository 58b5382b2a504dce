// Whether an item is still alive: its exptime, and flush_all's oldest_live / oldest_cas marks
// (run-time settings: text flush_all and binary FLUSH both move them here, `stats settings`
// prints them). Shared by lookups, the LRU tail pulls and the crawler.

import type { RuntimeSettings } from '../config/runtime-settings.js';
import type { ServerClock } from './clock.js';
import { casOfHeader, headerWord, pageWords, W_EXP, W_TIME, wordBase } from './item-layout.js';

export class Expiry {
  private readonly clock: ServerClock;
  private readonly words: Uint32Array[];
  private readonly runtime: RuntimeSettings;

  constructor(clock: ServerClock, words: Uint32Array[], runtime: RuntimeSettings) {
    this.clock = clock;
    this.words = words;
    this.runtime = runtime;
  }

  isFlushed(ref: number): boolean {
    const oldest = this.runtime.oldestLive;
    if (oldest === 0 || oldest > this.clock.current) return false;
    return this.isStoredBefore(ref, oldest);
  }

  /**
   * Stored at or before a flush_all that has taken effect (oldest: its oldest_live). Apart from
   * isFlushed, which lookups and tail pulls inline: it runs only after a flush_all.
   */
  private isStoredBefore(ref: number, oldest: number): boolean {
    const w = pageWords(this.words, ref);
    const b = wordBase(ref);
    if (w[b + W_TIME]! <= oldest) return true;
    const oldestCas = this.runtime.oldestCas;
    if (oldestCas !== 0) {
      const cas = casOfHeader(w, b);
      if (cas !== 0 && cas < oldestCas) return true;
    }
    return false;
  }

  isExpired(ref: number): boolean {
    const exp = headerWord(this.words, ref, W_EXP);
    return exp !== 0 && exp <= this.clock.current;
  }

  /** Expired or flushed: reclaimable. */
  isDead(ref: number): boolean {
    return this.isFlushed(ref) || this.isExpired(ref);
  }

  /**
   * flush_all [delay]. nextCas hands out a cas when the flush takes effect at once (cas on):
   * items stored in the same second, before the flush, have a lower one.
   */
  flushAll(delaySec: number, casEnabled: boolean, nextCas: () => number): void {
    const rt = this.runtime;
    const now = this.clock.current;
    const newOldest = delaySec > 0 ? this.clock.realTime(delaySec) : now;
    if (casEnabled) {
      rt.oldestLive = newOldest - 1;
      if (rt.oldestLive <= now) rt.oldestCas = nextCas();
    } else {
      rt.oldestLive = newOldest;
    }
  }
}
