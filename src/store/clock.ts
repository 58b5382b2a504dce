// memcached's clock: items carry server-relative seconds (rel_time_t). The server clock is
// 62 s (ITEM_UPDATE_INTERVAL + 2) at start-up, so that 0 can keep meaning "never/unset".
// The wall clock is injectable so tests drive expiry without sleeping. The clock's state is in
// the store memory's control block, so every Cache over that memory (every thread) reads the
// same time.

import type { StoreMemory } from './store-memory.js';
import { CLOCK_CURRENT_AT, CLOCK_PAUSED_AT, CLOCK_PROCESS_STARTED_AT, CLOCK_SHIFT_AT, CLOCK_SOURCE_SEC_AT } from './shared-layout.js';

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

/**
 * The clock stays in 1 .. 2^31-1 however far debugtime moves it: memcached's rel_time_t would
 * wrap, and item times are kept in 32-bit words here too.
 */
const MAX_REL_TIME = 0x7fffffff;

function shifted(sourceSec: number, shiftSec: number): number {
  const t = sourceSec + shiftSec;
  if (t < 1) return 1;
  return t > MAX_REL_TIME ? MAX_REL_TIME : t;
}

/** How often the server clock is read from the system clock (memcached's clock_handler). */
const CLOCK_TICK_MS = 100;

/**
 * memcached's current_time: server-relative seconds. With the system clock a timer refreshes
 * it (no clock read per request); an injected clock is read on every now() so tests can move
 * it at will. The seconds read from the source never run backwards; memcached-debug's
 * `debugtime` (behind -o debug_commands) adds a shift on top and can pause the clock.
 */
export class ServerClock {
  private readonly source: Clock;
  private readonly i32: Int32Array;
  /**
   * The clock's words in the control block (shared-layout.ts): CLOCK_CURRENT (server seconds
   * as of the last read, shift included), CLOCK_PAUSED (`debugtime p` until `debugtime r`),
   * and as Float64 CLOCK_PROCESS_STARTED, CLOCK_SOURCE_SEC (seconds read from the source, never
   * decreasing) and CLOCK_SHIFT (the sum of every `debugtime N`, memcached-debug's `delta`).
   */
  private readonly f64: Float64Array;
  /** CLOCK_CURRENT alone: read by every verb, through a field rather than the module constant. */
  private readonly currentWord: Int32Array;
  private timer: NodeJS.Timeout | null = null;
  /** An injected clock is read on every now(); the system clock only by the tick. */
  private readonly readsOnNow: boolean;

  /**
   * The clock of memory's store: started now if nobody started it yet (NaN start). With the
   * system clock, opts.ticks says whether this one runs the tick that every thread's clock
   * reads (one per store memory: the Cache that runs the background jobs).
   */
  constructor(source: Clock, memory: StoreMemory, opts: { ticks: boolean }) {
    this.source = source;
    this.i32 = memory.i32;
    this.currentWord = new Int32Array(memory.buffers.control, CLOCK_CURRENT_AT, 1);
    this.f64 = memory.f64;
    this.readsOnNow = source !== systemClock;
    if (Number.isNaN(this.processStarted)) this.resume(Math.floor(source.nowUnixSec()) - CLOCK_START_OFFSET_SEC);
    else this.read();
    if (!this.readsOnNow && opts.ticks) {
      this.timer = setInterval(() => this.read(), CLOCK_TICK_MS);
      this.timer.unref();
    }
  }

  /** Server-relative seconds as of the last read, shift included. */
  get current(): number {
    return this.currentWord[0]!;
  }

  /** Unix time at which the server clock was 0 (kept across a warm restart, see resume()). */
  get processStarted(): number {
    return this.f64[CLOCK_PROCESS_STARTED_AT >> 3]!;
  }

  /**
   * A warm restart: the saved process start comes back, so item times (relative to it) stay
   * right and the downtime counts as time passed, as memcached's restart does.
   */
  resume(processStarted: number): void {
    this.f64[CLOCK_PROCESS_STARTED_AT >> 3] = processStarted;
    this.f64[CLOCK_SOURCE_SEC_AT >> 3] = CLOCK_START_OFFSET_SEC;
    this.follow();
    this.read();
  }

  now(): number {
    return this.readsOnNow ? this.read() : this.current;
  }

  /** Reads the source; current changes only when its seconds advance (shift() follows at once). */
  read(): number {
    if (this.i32[CLOCK_PAUSED_AT >> 2] !== 0) return this.current;
    const f64 = this.f64;
    const t = Math.floor(this.source.nowUnixSec()) - this.processStarted;
    if (t <= f64[CLOCK_SOURCE_SEC_AT >> 3]!) return this.current;
    f64[CLOCK_SOURCE_SEC_AT >> 3] = t;
    return this.follow();
  }

  /** The current time from the source seconds and the shift; returns it. */
  private follow(): number {
    const t = shifted(this.f64[CLOCK_SOURCE_SEC_AT >> 3]!, this.f64[CLOCK_SHIFT_AT >> 3]!);
    this.currentWord[0] = t;
    return t;
  }

  /**
   * `debugtime N`: moves the clock N seconds (negative goes back). memcached-debug also adds
   * the whole accumulated shift to current_time once more until its next 1-second tick; we
   * apply the shift once, so that a test sees the same time however fast it runs.
   */
  shift(deltaSec: number): void {
    const f64 = this.f64;
    const sum = f64[CLOCK_SHIFT_AT >> 3]! + deltaSec;
    // Past +-2^53 the sum stops being exact; the clamp in shifted() makes that moot.
    f64[CLOCK_SHIFT_AT >> 3] = Number.isSafeInteger(sum) ? sum : deltaSec > 0 ? MAX_REL_TIME : -MAX_REL_TIME;
    this.follow();
  }

  /** `debugtime p` / `debugtime r`. */
  setPaused(isPaused: boolean): void {
    this.i32[CLOCK_PAUSED_AT >> 2] = isPaused ? 1 : 0;
    if (!isPaused) this.read();
  }

  /** A client exptime as server-relative seconds: 0 = never, 1 = already past. */
  realTime(exptime: number): number {
    if (exptime === 0) return 0;
    if (exptime < 0) return 1;
    if (exptime > REALTIME_MAXDELTA) {
      if (exptime <= this.processStarted) return 1;
      return exptime - this.processStarted;
    }
    return exptime + this.current;
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
