// Everything a protocol front end may reach besides its own connection: one per server.

import type { Settings } from '../config/settings.js';
import type { Store } from '../store/store.js';
import type { Counters } from '../stats/counters.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { VerboseLog } from '../log/verbose.js';
import type { Session } from './session.js';
import type { BufferBudget } from './conn-buffers.js';

/** `-Y` ascii authentication: user:pass lines, at most 8 entries. */
export interface AsciiAuthenticator {
  /** Checks a `user pass` token; returns 'ok', 'fail' or 'format' (bad token). */
  check(token: Buffer, start: number, end: number): 'ok' | 'fail' | 'format';
  reload(): void;
}

export interface ServerContext {
  readonly settings: Settings;
  readonly store: Store;
  readonly counters: Counters;
  /** -S: SASL over binary; null when off. */
  readonly sasl: Authenticator | null;
  /** -Y: ascii auth; null when off. */
  readonly asciiAuth: AsciiAuthenticator | null;
  readonly log: VerboseLog;
  /** Live connections, for `stats conns` and graceful shutdown. */
  readonly sessions: Set<Session>;
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
}

export interface ListenerInfo {
  /** A small integer like memcached's fd, ordered with the connection ids. */
  readonly id: number;
  readonly transport: 'tcp' | 'udp' | 'unix';
  /** `tcp:127.0.0.1:11211`, `udp:...`, `unix:/path`, as `stats conns` prints addr. */
  readonly addr: string;
}
