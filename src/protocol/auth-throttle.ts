// Limits on password guessing (-S SASL and -Y ascii auth). memcached has none; these slow an
// attacker without locking anyone else out, and they decide BEFORE a password is checked:
//  - Per source (an IPv4 address, an IPv6 /64, all unix clients together): after THRESHOLD
//    failures within WINDOW_MS, each further attempt waits BASE_DELAY_MS before it is checked,
//    growing by BASE_DELAY_MS per failure up to MAX_DELAY_MS, and attempts of one source are
//    spaced by that delay; one that would wait longer than MAX_DELAY_MS is answered as a
//    failure after MAX_DELAY_MS, unchecked. A success does not forget the failures (a valid
//    account must not help guess another); the window does. The table is bounded (MAX_PEERS,
//    least recently failed dropped).
//  - Server-wide: FAILURES_PER_SEC failed checks a second (a second's worth may come at once);
//    beyond that a failure's reply waits (at most MAX_DELAY_MS), so rotating source addresses
//    does not buy guesses. Successes never wait for it.
//  - Checks that hash (scrypt) run on libuv's thread pool, at most MAX_IN_FLIGHT at once and
//    MAX_IN_FLIGHT_PER_PEER per source; the rest queue, sources without failures first.
// A waiting connection reads nothing and its later requests wait (Session.park); everyone
// else is served. One AuthThrottle per server (server.ts), reached through ServerContext.

export const AUTH_THROTTLE_DEFAULTS = {
  threshold: 5,
  windowMs: 60_000,
  baseDelayMs: 1000,
  maxDelayMs: 5000,
  maxPeers: 4096,
  failuresPerSec: 20,
  maxInFlight: 2,
  maxInFlightPerPeer: 1,
} as const;

export interface AuthThrottleOptions {
  threshold: number;
  windowMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxPeers: number;
  failuresPerSec: number;
  maxInFlight: number;
  maxInFlightPerPeer: number;
}

interface PeerRecord {
  windowStartMs: number;
  failures: number;
  /** The latest time an admitted attempt of this source was allowed to start. */
  notBeforeMs: number;
}

/** What admit() decided for one attempt, before any work. */
export interface Admission {
  /** Hold the attempt this long first (0: go on at once). */
  waitMs: number;
  /** true: answer a failure after waitMs without checking the password. */
  isRefused: boolean;
}

interface Waiter {
  key: string;
  start: () => void;
  isAbandoned: () => boolean;
}

/** Go on at once, unrefused. */
export const NOW: Admission = Object.freeze({ waitMs: 0, isRefused: false });

export class AuthThrottle {
  readonly options: AuthThrottleOptions;
  // Insertion order = least recently failed first (a record is re-inserted on each failure).
  private readonly peers: Map<string, PeerRecord>;
  /** Server-wide failure budget (a GCRA): when the budget's next free slot is due. */
  private budgetTatMs: number;
  private inFlight: number;
  private readonly inFlightByPeer: Map<string, number>;
  private readonly waiting: Waiter[];

  constructor(options: Partial<AuthThrottleOptions> = {}) {
    this.options = { ...AUTH_THROTTLE_DEFAULTS, ...options };
    this.peers = new Map();
    this.budgetTatMs = 0;
    this.inFlight = 0;
    this.inFlightByPeer = new Map();
    this.waiting = [];
  }

  /** Number of sources remembered (bounded by maxPeers). */
  get size(): number {
    return this.peers.size;
  }

  /** Checks running now, and queued for a slot. */
  get checksInFlight(): number {
    return this.inFlight;
  }

  get checksWaiting(): number {
    return this.waiting.length;
  }

  /** Failures of this source in its current window. */
  failuresOf(key: string, nowMs: number): number {
    const rec = this.peers.get(key);
    return rec === undefined || nowMs - rec.windowStartMs > this.options.windowMs ? 0 : rec.failures;
  }

  /** Before an attempt of source `key` is checked: how long it waits, or whether it is refused. */
  admit(key: string, nowMs: number): Admission {
    const o = this.options;
    const rec = this.peers.get(key);
    if (rec === undefined || !this.isThrottled(rec, nowMs)) return NOW;
    const over = rec.failures - o.threshold;
    const delay = Math.min((over + 1) * o.baseDelayMs, o.maxDelayMs);
    const startMs = (rec.notBeforeMs > nowMs ? rec.notBeforeMs : nowMs) + delay;
    if (startMs - nowMs > o.maxDelayMs) return { waitMs: o.maxDelayMs, isRefused: true };
    rec.notBeforeMs = startMs;
    return { waitMs: startMs - nowMs, isRefused: false };
  }

  /** Records a failed attempt; returns how long (ms) its reply waits for the server-wide budget. */
  onFailure(key: string, nowMs: number): number {
    const o = this.options;
    let rec = this.peers.get(key);
    if (rec === undefined || nowMs - rec.windowStartMs > o.windowMs) {
      rec = { windowStartMs: nowMs, failures: 0, notBeforeMs: 0 };
    } else {
      this.peers.delete(key); // re-inserted below as the most recent
    }
    rec.failures++;
    this.peers.set(key, rec);
    while (this.peers.size > o.maxPeers) {
      const oldest = this.peers.keys().next();
      if (oldest.done === true) break;
      this.peers.delete(oldest.value);
    }
    return this.chargeBudget(nowMs);
  }

  private chargeBudget(nowMs: number): number {
    const o = this.options;
    const intervalMs = 1000 / o.failuresPerSec;
    const burstMs = o.failuresPerSec * intervalMs; // one second's worth at once
    let tat = this.budgetTatMs > nowMs ? this.budgetTatMs : nowMs;
    tat += intervalMs;
    // Past the cap, waiting longer buys nothing: the slot is not reserved further out.
    const cap = nowMs + burstMs + o.maxDelayMs;
    if (tat > cap) tat = cap;
    this.budgetTatMs = tat;
    const excess = tat - nowMs - burstMs;
    return excess > 0 ? Math.ceil(excess) : 0;
  }

  /**
   * Runs start() when a check slot is free (at once, or when release() frees one); a queued
   * attempt whose isAbandoned() is true by then (its connection closed) is dropped.
   */
  acquire(key: string, start: () => void, isAbandoned: () => boolean): void {
    if (this.hasSlot(key)) {
      this.take(key);
      start();
      return;
    }
    this.waiting.push({ key, start, isAbandoned });
  }

  /** A check started by acquire() has finished. */
  release(key: string): void {
    this.inFlight--;
    const n = (this.inFlightByPeer.get(key) ?? 1) - 1;
    if (n <= 0) this.inFlightByPeer.delete(key);
    else this.inFlightByPeer.set(key, n);
    this.pump();
  }

  private hasSlot(key: string): boolean {
    const o = this.options;
    return this.inFlight < o.maxInFlight && (this.inFlightByPeer.get(key) ?? 0) < o.maxInFlightPerPeer;
  }

  private take(key: string): void {
    this.inFlight++;
    this.inFlightByPeer.set(key, (this.inFlightByPeer.get(key) ?? 0) + 1);
  }

  /** Starts queued checks while slots are free: sources without failures first, then FIFO. */
  private pump(): void {
    const q = this.waiting;
    const nowMs = Date.now();
    while (this.inFlight < this.options.maxInFlight && q.length > 0) {
      let pick = -1;
      let w = 0;
      for (let i = 0; i < q.length; i++) {
        const e = q[i]!;
        if (e.isAbandoned()) continue; // dropped below
        q[w++] = e;
        if (!this.hasSlot(e.key)) continue;
        if (pick < 0 || (this.failuresOf(e.key, nowMs) === 0 && this.failuresOf(q[pick]!.key, nowMs) > 0)) pick = w - 1;
      }
      q.length = w;
      if (pick < 0) return;
      const next = q[pick]!;
      q.splice(pick, 1);
      this.take(next.key);
      next.start();
    }
  }

  /** A source whose next attempt admit() holds back: threshold failures or more within its window. */
  private isThrottled(rec: PeerRecord, nowMs: number): boolean {
    return rec.failures >= this.options.threshold && nowMs - rec.windowStartMs <= this.options.windowMs;
  }

  /** Sources being throttled now: their next attempt would wait (memcachedts_auth_throttled_peers). */
  throttledPeerCount(nowMs: number): number {
    let n = 0;
    for (const rec of this.peers.values()) if (this.isThrottled(rec, nowMs)) n++;
    return n;
  }
}

/**
 * The source a peer is counted under: `tcp:127.0.0.1:4000` -> `tcp:127.0.0.1`,
 * `tcp6:[2001:db8:1:2:3:4:5:6]:4000` -> `tcp6:[2001:db8:1:2::]/64` (one host usually owns a
 * whole /64), an IPv4-mapped IPv6 address counts as its IPv4 address; a unix peer has no
 * address: all unix clients share one.
 */
export function peerAddress(peer: string): string {
  if (peer.startsWith('tcp6:[') || peer.startsWith('udp6:[')) {
    const close = peer.lastIndexOf(']');
    if (close < 0) return peer;
    const proto = peer.slice(0, peer.indexOf(':'));
    const addr = peer.slice(proto.length + 2, close);
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
    if (mapped !== null) return proto.slice(0, 3) + ':' + mapped[1];
    const prefix = ipv6Prefix64(addr);
    return prefix === null ? peer.slice(0, close + 1) : proto + ':[' + prefix + '::]/64';
  }
  if (peer.startsWith('tcp:') || peer.startsWith('udp:')) {
    const colon = peer.lastIndexOf(':');
    return colon > 3 ? peer.slice(0, colon) : peer;
  }
  return peer;
}

/** The first four groups of an IPv6 address, normalised (`2001:db8:0:1`); null if malformed. */
function ipv6Prefix64(addr: string): string | null {
  const pct = addr.indexOf('%');
  if (pct >= 0) addr = addr.slice(0, pct); // zone id
  const dbl = addr.indexOf('::');
  let groups: string[];
  if (dbl >= 0) {
    const head = addr.slice(0, dbl) === '' ? [] : addr.slice(0, dbl).split(':');
    const tail = addr.slice(dbl + 2) === '' ? [] : addr.slice(dbl + 2).split(':');
    const missing = 8 - head.length - tail.length;
    if (missing < 0) return null;
    groups = [...head, ...Array<string>(missing).fill('0'), ...tail];
  } else {
    groups = addr.split(':');
  }
  if (groups.length < 4) return null;
  const out: string[] = [];
  for (let i = 0; i < 4; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
    out.push(parseInt(g, 16).toString(16));
  }
  const text = out.join(':');
  return text === '0:0:0:0' ? '' : text; // `::/64`
}
