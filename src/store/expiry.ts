// Whether an item is still alive: its exptime, and flush_all's oldest_live / oldest_cas marks.
// Shared by lookups, the LRU tail pulls and the crawler.

import type { ServerClock } from './clock.js';
import { REF_OFF_MASK, REF_PAGE_STRIDE, W_CASHI, W_CASLO, W_EXP, W_TIME } from './item-layout.js';

const TWO_32 = 4294967296;

export class Expiry {
  private readonly clock: ServerClock;
  private readonly words: Uint32Array[];
  /** Items last stored at or before this server time are flushed (0 = no flush). */
  oldestLive = 0;
  /** With cas on, items with a lower nonzero cas are flushed too (same-second stores). */
  oldestCas = 0;

  constructor(clock: ServerClock, words: Uint32Array[]) {
    this.clock = clock;
    this.words = words;
  }

  isFlushed(ref: number): boolean {
    const oldest = this.oldestLive;
    if (oldest === 0 || oldest > this.clock.current) return false;
    const w = this.words[(ref / REF_PAGE_STRIDE) | 0]!;
    const b = (ref & REF_OFF_MASK) << 1;
    if (w[b + W_TIME]! <= oldest) return true;
    if (this.oldestCas !== 0) {
      const cas = w[b + W_CASHI]! * TWO_32 + w[b + W_CASLO]!;
      if (cas !== 0 && cas < this.oldestCas) return true;
    }
    return false;
  }

  isExpired(ref: number): boolean {
    const exp = this.words[(ref / REF_PAGE_STRIDE) | 0]![((ref & REF_OFF_MASK) << 1) + W_EXP]!;
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
    const now = this.clock.current;
    const newOldest = delaySec > 0 ? this.clock.realTime(delaySec) : now;
    if (casEnabled) {
      this.oldestLive = newOldest - 1;
      if (this.oldestLive <= now) this.oldestCas = nextCas();
    } else {
      this.oldestLive = newOldest;
    }
  }
}
