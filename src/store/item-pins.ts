// Which items must keep their bytes where they are: the item a running store verb still reads,
// and items whose value a zero-copy reply is still sending (memcached's refcount held by
// mc_resp). Eviction and page moves skip them; an unlinked pinned item (deleted, replaced,
// expired) keeps its chunks until its last unpin.

import { NIL } from './item-layout.js';

/** Pin-count entries kept at 0 for reuse; past this many, finished ones are deleted. */
const PINS_KEPT_MAX = 4096;

export class ItemPins {
  /** The item a running verb still reads (append's old item, incr's item); NIL between verbs. */
  busy = NIL;
  /**
   * Pin counts of items being sent. An entry stays (at 0) once its last pin goes: deleting it
   * would make the Map shrink and grow again (garbage on every large get); the entries are
   * bounded by the number of chunks and by PINS_KEPT_MAX.
   */
  private readonly counts = new Map<number, number>();
  /** Items with a pin count above 0. */
  private sending = 0;
  /** Pinned items unlinked meanwhile: their chunks are freed at the last unpin. */
  private readonly unlinked = new Set<number>();

  isPinned(ref: number): boolean {
    return ref === this.busy || this.isSending(ref);
  }

  pin(ref: number): void {
    const n = this.counts.get(ref) ?? 0;
    this.counts.set(ref, n + 1);
    if (n === 0) this.sending++;
  }

  /** True when this was the last pin of an item unlinked meanwhile: the caller frees it now. */
  unpin(ref: number): boolean {
    const n = this.counts.get(ref) ?? 0;
    if (n === 0) return false;
    if (n > 1) {
      this.counts.set(ref, n - 1);
      return false;
    }
    // kept at 0 (no Map shrinking per large get) unless the Map has grown large (page churn)
    if (this.counts.size > PINS_KEPT_MAX) this.counts.delete(ref);
    else this.counts.set(ref, 0);
    this.sending--;
    return this.unlinked.size > 0 && this.unlinked.delete(ref);
  }

  /** Called before freeing an unlinked item: true when it is still being sent (freed at its last unpin). */
  deferFree(ref: number): boolean {
    if (!this.isSending(ref)) return false;
    this.unlinked.add(ref);
    return true;
  }

  /** Drops every pin (no reply will finish): returns the items whose free was deferred. */
  dropAll(): number[] {
    const deferred = [...this.unlinked];
    this.counts.clear();
    this.sending = 0;
    this.unlinked.clear();
    return deferred;
  }

  private isSending(ref: number): boolean {
    return this.sending > 0 && (this.counts.get(ref) ?? 0) > 0;
  }
}
