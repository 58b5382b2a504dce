// The store's locks (docs/threads.md, "Locks"), words of the control block taken with
// common/shared-locks.ts: item locks striped over hash values, one lock per LRU id, the slabs
// lock, the CAS lock, and the mover's. Lock order: item -> LRU -> slabs -> CAS; whoever starts
// from an LRU or the slabs side (tail pulls, the maintainer, the crawler, the page mover) only
// try-locks items and skips busy ones. Uncontended, a lock and unlock is two atomic operations;
// with one serving thread (-t 1: the background jobs run in that thread too) they are plain
// loads and stores of the same words.

import { StripedLocks, WordLocks } from '../common/shared-locks.js';
import type { StoreMemory } from './store-memory.js';
import { CAS_LOCK_AT, EXPAND_LOCK_AT, ITEM_LOCK_POWER_AT, ITEM_LOCKS_AT, LRU_LOCKS_AT, MOVER_LOCK_AT, SLABS_LOCK_AT } from './shared-layout.js';

const LRU_LOCK = LRU_LOCKS_AT >> 2;
const SLABS_LOCK = SLABS_LOCK_AT >> 2;
const CAS_LOCK = CAS_LOCK_AT >> 2;
const MOVER_LOCK = MOVER_LOCK_AT >> 2;
const EXPAND_LOCK = EXPAND_LOCK_AT >> 2;

export class StoreLocks {
  /** memcached's item_locks: the stripe of hash value hv guards every item with that hash. */
  readonly items: StripedLocks;
  /** The LRU, slabs, CAS, mover and expansion lock words. */
  private readonly wordLocks: WordLocks;

  constructor(memory: StoreMemory) {
    const isShared = memory.threads > 1;
    this.wordLocks = new WordLocks(memory.i32, isShared);
    this.items = new StripedLocks(memory.i32, ITEM_LOCKS_AT >> 2, 1 << memory.u32[ITEM_LOCK_POWER_AT >> 2]!, isShared);
  }

  /** False at -t 1: this thread alone uses the store. */
  get isShared(): boolean {
    return this.wordLocks.isShared;
  }

  lockLru(id: number): void {
    this.wordLocks.lock(LRU_LOCK + id);
  }

  unlockLru(id: number): void {
    this.wordLocks.unlock(LRU_LOCK + id);
  }

  lockSlabs(): void {
    this.wordLocks.lock(SLABS_LOCK);
  }

  unlockSlabs(): void {
    this.wordLocks.unlock(SLABS_LOCK);
  }

  lockCas(): void {
    this.wordLocks.lock(CAS_LOCK);
  }

  unlockCas(): void {
    this.wordLocks.unlock(CAS_LOCK);
  }

  /** One page move step at a time, whichever thread asks; false: another thread is stepping it. */
  tryLockMover(): boolean {
    return this.wordLocks.tryLock(MOVER_LOCK);
  }

  unlockMover(): void {
    this.wordLocks.unlock(MOVER_LOCK);
  }

  /** One thread at a time starts, steps or ends a hash expansion; false: another one is. */
  tryLockExpansion(): boolean {
    return this.wordLocks.tryLock(EXPAND_LOCK);
  }

  unlockExpansion(): void {
    this.wordLocks.unlock(EXPAND_LOCK);
  }
}
