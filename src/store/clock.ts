// memcached's clock: items carry server-relative seconds (rel_time_t). The server clock is
// 62 s (ITEM_UPDATE_INTERVAL + 2) at start-up, so that 0 can keep meaning "never/unset".
// The wall clock is injectable so tests drive expiry without sleeping.

export interface Clock {
  /** Unix time in seconds (may be fractional; the store floors it). */
  nowUnixSec(): number;
}

export const systemClock: Clock = {
  nowUnixSec: () => Date.now() / 1000,
};

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  unixSec: number;
  constructor(unixSec: number = 1_700_000_000) {
    this.unixSec = unixSec;
  }
  nowUnixSec(): number {
    return this.unixSec;
  }
  advance(sec: number): void {
    this.unixSec += sec;
  }
}

/** Seconds memcached puts between process start and its clock's 0 (ITEM_UPDATE_INTERVAL + 2). */
export const CLOCK_START_OFFSET_SEC = 62;
/** Exptimes above this are absolute Unix times (30 days). */
export const REALTIME_MAXDELTA = 60 * 60 * 24 * 30;
/** An item's access time is refreshed at most this often (memcached ITEM_UPDATE_INTERVAL). */
export const ITEM_UPDATE_INTERVAL = 60;
