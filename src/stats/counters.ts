// Server-wide counters kept outside the store, named exactly as `stats` prints them.
// The store keeps its own (StoreStats); render.ts interleaves both in memcached's order.

export class Counters {
  curr_connections = 0;
  total_connections = 0;
  rejected_connections = 0;
  connection_structures = 0;
  cmd_get = 0; // keys requested by get/gets/gat/gats/binary get/meta mg
  cmd_flush = 0;
  cmd_touch = 0;
  cmd_meta = 0;
  auth_cmds = 0;
  auth_errors = 0;
  bytes_read = 0;
  bytes_written = 0;
  accepting_conns = 1;
  listen_disabled_num = 0;
  conn_yields = 0;
  response_obj_oom = 0; // -o read_buf_mem_limit refusals (protocol/conn-buffers.ts)
  read_buf_oom = 0;
  // Extras memcached does not have (clearly named, see README "Extra stats").
  out_buffer_pauses = 0; // times a connection stopped being read because its replies were not read
  conns_closed_line_too_long = 0;
  conns_closed_protocol_error = 0;
  conns_closed_idle = 0;
  ssl_handshake_errors = 0;
  ssl_new_sessions = 0; // with -o ssl_session_cache: sessions OpenSSL created (net/tls-sessions.ts)

  /** `stats reset` zeroes what memcached's does (not the gauges). */
  reset(): void {
    this.total_connections = 0;
    this.rejected_connections = 0;
    this.cmd_get = 0;
    this.cmd_flush = 0;
    this.cmd_touch = 0;
    this.cmd_meta = 0;
    this.auth_cmds = 0;
    this.auth_errors = 0;
    this.bytes_read = 0;
    this.bytes_written = 0;
    this.listen_disabled_num = 0;
    this.conn_yields = 0;
    this.response_obj_oom = 0;
    this.read_buf_oom = 0;
    this.out_buffer_pauses = 0;
    this.conns_closed_line_too_long = 0;
    this.conns_closed_protocol_error = 0;
    this.conns_closed_idle = 0;
    this.ssl_handshake_errors = 0;
    this.ssl_new_sessions = 0;
  }
}
