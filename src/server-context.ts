// Everything a protocol front end may reach besides its own connection: one per server.
// (Outside protocol/: stats/ renders from it too.)

import type { Settings } from './config/settings.js';
import type { RuntimeSettings } from './config/runtime-settings.js';
import type { Store } from './store/store.js';
import type { Counters } from './stats/counters.js';
import type { PrefixStats } from './stats/prefix-stats.js';
import type { Authenticator } from './auth/authenticator.js';
import type { AsciiAuthenticator } from './auth/ascii-auth.js';
import type { VerboseLog } from './log/verbose.js';
import type { WatchLog } from './log/watch.js';
import type { AuthThrottle } from './protocol/auth-throttle.js';
import type { BufferBudget } from './protocol/conn-buffers.js';
import type { LiveConnection } from './conn-info.js';
import type { ServerWide } from './threads/server-wide.js';

export interface ServerContext {
  readonly settings: Settings;
  /** What admin commands change at run time; the store reads the same object live. */
  readonly runtime: RuntimeSettings;
  readonly store: Store;
  /** This thread's counters; `stats` sums every thread's (wide.totals()). */
  readonly counters: Counters;
  /** What the serving threads share: -c and the connection gauges, ids, verbosity, the counters. */
  readonly wide: ServerWide;
  /** `stats detail` per-prefix counters. */
  readonly prefixStats: PrefixStats;
  /** -S: SASL over binary; null when off. */
  readonly sasl: Authenticator | null;
  /** -Y: ascii auth; null when off. */
  readonly asciiAuth: AsciiAuthenticator | null;
  /** Limits on password guessing and on checks in flight (auth-throttle.ts). */
  readonly authThrottle: AuthThrottle;
  readonly log: VerboseLog;
  /** `watch` connections and the events they receive. */
  readonly watch: WatchLog;
  /** Live connections, for `stats conns` and graceful shutdown. */
  readonly sessions: Set<LiveConnection>;
  /** -o read_buf_mem_limit: the connection buffer budget; null without the option. */
  readonly bufferBudget: BufferBudget | null;
  /** Unix ms when the server started (uptime). */
  readonly startedAtMs: number;
  /** `shutdown [graceful]` with -A. */
  requestShutdown(graceful: boolean): void;
  /**
   * Listening sockets, for the first rows of `stats conns` (memcached lists its listeners as
   * conns in `conn_listening`, UDP ones as `conn_read`). Optional: omitted, no rows are shown.
   */
  readonly listeners?: () => readonly ListenerInfo[];
  /** -Z: the server's certificates (net/tls-context.ts); absent or null without TLS. */
  readonly tls?: TlsControl | null;
}

/** What `refresh_certs` and `stats` need of the server's TLS. */
export interface TlsControl {
  /** Reloads certificate, key and CA for new connections: null when done, else memcached's error line. */
  refreshCerts(): string | null;
  /** Unix ms of the last successful load (time_since_server_cert_refresh). */
  readonly certsLoadedAtMs: number;
}

export interface ListenerInfo {
  /** A small integer like memcached's fd, ordered with the connection ids. */
  readonly id: number;
  readonly transport: 'tcp' | 'udp' | 'unix';
  /** `tcp:127.0.0.1:11211`, `udp:...`, `unix:/path`, as `stats conns` prints addr. */
  readonly addr: string;
}
