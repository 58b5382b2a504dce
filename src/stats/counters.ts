// Server counters kept outside the store, named exactly as `stats` prints them. One Counters per
// serving thread, each over its own block of Float64 words (a SharedArrayBuffer block with -t N:
// threads/server-wide.ts sums them for `stats`); only its thread writes a block. The gauges
// (curr_connections, connection_structures, accepting_conns) are server-wide, not here.
// The store keeps its own (StoreStats); render.ts interleaves both in memcached's order.

import { float64Word } from '../common/float64-words.js';

/** Every counter, by word index: its accessors go on the prototype (below the class). */
const NAMES = [
  'total_connections',
  'rejected_connections',
  'cmd_get', // keys requested by get/gets/gat/gats/binary get/meta mg
  'cmd_flush',
  'cmd_touch',
  'cmd_meta',
  'auth_cmds',
  'auth_errors',
  'bytes_read',
  'bytes_written',
  'listen_disabled_num',
  'conn_yields',
  'response_obj_oom', // -o read_buf_mem_limit refusals (protocol/conn-buffers.ts)
  'read_buf_oom',
  // Extras memcached does not have (clearly named, see README "Extra stats").
  'out_buffer_pauses', // times a connection stopped being read because its replies were not read
  'conns_closed_line_too_long',
  'conns_closed_protocol_error',
  'conns_closed_idle',
  'ssl_handshake_errors',
  'ssl_new_sessions', // with -o ssl_session_cache: sessions OpenSSL created (net/tls-sessions.ts)
] as const;

/** Words in one thread's block. */
export const COUNTER_WORDS = NAMES.length;

export class Counters {
  /** This thread's block (shared memory with -t N; only this thread writes it). */
  readonly words: Float64Array;

  declare total_connections: number;
  declare rejected_connections: number;
  declare cmd_get: number;
  declare cmd_flush: number;
  declare cmd_touch: number;
  declare cmd_meta: number;
  declare auth_cmds: number;
  declare auth_errors: number;
  declare bytes_read: number;
  declare bytes_written: number;
  declare listen_disabled_num: number;
  declare conn_yields: number;
  declare response_obj_oom: number;
  declare read_buf_oom: number;
  declare out_buffer_pauses: number;
  declare conns_closed_line_too_long: number;
  declare conns_closed_protocol_error: number;
  declare conns_closed_idle: number;
  declare ssl_handshake_errors: number;
  declare ssl_new_sessions: number;

  /** Counters over words (COUNTER_WORDS of them), or over a block of their own. */
  constructor(words: Float64Array = new Float64Array(COUNTER_WORDS)) {
    this.words = words;
  }

  /** `stats reset` of a lone block (a server-wide reset is ServerWide.resetCounters). */
  reset(): void {
    this.words.fill(0);
  }
}

Object.defineProperties(Counters.prototype, Object.fromEntries(NAMES.map((name, i) => [name, float64Word(i)])));
