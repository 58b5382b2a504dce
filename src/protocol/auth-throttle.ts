// A short delay after repeated authentication failures from one peer address (-S SASL and
// -Y ascii auth). memcached has none; this slows password guessing without locking anyone out:
// after THRESHOLD failures within WINDOW_MS from one address, each further failure reply is
// held back BASE_DELAY_MS, growing by BASE_DELAY_MS per failure up to MAX_DELAY_MS. A success
// does not forget the failures (a valid account must not reset the count while another is
// being guessed); the window does, WINDOW_MS after its first failure. The table of peers is
// bounded (MAX_PEERS, least recently failed dropped). The delay holds back only that
// connection's replies (and stops reading it meanwhile); everyone else is served.

import type { ServerContext } from './context.js';
import type { Session } from './session.js';

export const AUTH_THROTTLE_DEFAULTS = {
  threshold: 5,
  windowMs: 60_000,
  baseDelayMs: 1000,
  maxDelayMs: 5000,
  maxPeers: 4096,
} as const;

export interface AuthThrottleOptions {
  threshold: number;
  windowMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxPeers: number;
}

interface PeerRecord {
  windowStartMs: number;
  failures: number;
}

export class AuthThrottle {
  readonly options: AuthThrottleOptions;
  // Insertion order = least recently failed first (a record is re-inserted on each failure).
  private readonly peers: Map<string, PeerRecord>;

  constructor(options: Partial<AuthThrottleOptions> = {}) {
    this.options = { ...AUTH_THROTTLE_DEFAULTS, ...options };
    this.peers = new Map();
  }

  /** Number of peers remembered (bounded by maxPeers). */
  get size(): number {
    return this.peers.size;
  }

  /** Records a failure; returns how long (ms) the failure reply should be held back. */
  onFailure(peer: string, nowMs: number): number {
    const o = this.options;
    const key = peerAddress(peer);
    let rec = this.peers.get(key);
    if (rec === undefined || nowMs - rec.windowStartMs > o.windowMs) {
      rec = { windowStartMs: nowMs, failures: 0 };
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
    const over = rec.failures - o.threshold;
    if (over <= 0) return 0;
    const delay = over * o.baseDelayMs;
    return delay < o.maxDelayMs ? delay : o.maxDelayMs;
  }

  /** Peers whose failure replies are being held back now (over the threshold within their window). */
  throttledPeerCount(nowMs: number): number {
    const o = this.options;
    let n = 0;
    for (const rec of this.peers.values()) {
      if (rec.failures > o.threshold && nowMs - rec.windowStartMs <= o.windowMs) n++;
    }
    return n;
  }

}

/**
 * The address part of a ConnInfo.peer (`tcp:127.0.0.1:4000` -> `tcp:127.0.0.1`,
 * `tcp6:[::1]:4000` -> `tcp6:[::1]`); a unix peer has no address: all unix clients share one.
 */
export function peerAddress(peer: string): string {
  if (peer.startsWith('tcp6:[') || peer.startsWith('udp6:[')) {
    const close = peer.lastIndexOf(']');
    return close > 0 ? peer.slice(0, close + 1) : peer;
  }
  if (peer.startsWith('tcp:') || peer.startsWith('udp:')) {
    const colon = peer.lastIndexOf(':');
    return colon > 3 ? peer.slice(0, colon) : peer;
  }
  return peer;
}

const throttleByContext = new WeakMap<ServerContext, AuthThrottle>();

/** The server's throttle (one per ServerContext, made on first use). */
export function authThrottle(ctx: ServerContext): AuthThrottle {
  let t = throttleByContext.get(ctx);
  if (t === undefined) {
    t = new AuthThrottle();
    throttleByContext.set(ctx, t);
  }
  return t;
}

/**
 * Called by the SASL and -Y paths on a failed attempt (after counting it in auth_errors):
 * logs it with the peer (at -v, unless user is null: the caller logged it; the first
 * throttled failure of a peer whatever the level) and asks net/ to hold back this connection's replies when the peer is over the threshold.
 */
export function noteAuthFailure(session: Session, user: string | null): void {
  const ctx = session.ctx;
  const throttle = authThrottle(ctx);
  const delay = throttle.onFailure(session.conn.peer, Date.now());
  const log = ctx.log;
  if (log.level >= 1 && user !== null) {
    log.line('<' + session.conn.id + ' authentication failed for user ' + JSON.stringify(user) + ' from ' + session.conn.peer);
  }
  if (delay > 0) {
    if (delay === throttle.options.baseDelayMs) {
      log.warn('repeated authentication failures from ' + peerAddress(session.conn.peer) + ': delaying replies up to ' +
        throttle.options.maxDelayMs + ' ms');
    }
    // UDP has no connection to hold back (and -S refuses UDP); stream transports only.
    if (session.conn.transport !== 'udp' && delay > session.replyDelayMs) session.replyDelayMs = delay;
  }
}

