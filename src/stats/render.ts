// `stats` and its groups in memcached 1.6.18's exact names and order, as emitter functions so
// the text protocol (STAT lines + END) and the binary STAT opcode (one packet per pair) share
// them. Values come from Counters (server-wide), store.stats() (items, memory, outcomes),
// Settings and the run-time settings that admin commands change (ctx.runtime).
// Rare paths: strings are fine here.

import type { ServerContext } from '../server-context.js';
import type { ConnRecord } from '../threads/conn-table.js';
import type { StatEmitter } from '../store/store.js';
import { minVersionName, type Settings } from '../config/settings.js';

export type { StatEmitter };

// --- general stats ---------------------------------------------------------------------------

/** memcached prints rusage as seconds.microseconds. */
function formatMicros(us: number): string {
  const sec = Math.floor(us / 1e6);
  const frac = Math.floor(us - sec * 1e6);
  return sec + '.' + String(frac).padStart(6, '0');
}

/** `stats` (no argument): every line memcached 1.6.18 prints, in its order. */
export function emitGeneralStats(ctx: ServerContext, emit: StatEmitter): void {
  const s = ctx.settings;
  const c = ctx.wide.totals();
  const st = ctx.store.stats();
  const cpu = process.cpuUsage();
  const sessions = ctx.sessions.size;

  emit('pid', process.pid);
  emit('uptime', Math.max(0, Math.floor((Date.now() - ctx.startedAtMs) / 1000)));
  emit('time', ctx.store.now() + ctx.store.processStarted);
  emit('version', s.version);
  emit('libevent', '2.1.12-stable');
  emit('pointer_size', 64);
  emit('rusage_user', formatMicros(cpu.user));
  emit('rusage_system', formatMicros(cpu.system));
  emit('max_connections', s.maxConnections);
  emit('curr_connections', ctx.wide.currConnections);
  emit('total_connections', c.total_connections);
  if (s.maxconnsFast) emit('rejected_connections', c.rejected_connections);
  emit('connection_structures', ctx.wide.connectionStructures);
  // Response objects and read buffers: one reply buffer and one input cursor per connection.
  emit('response_obj_oom', c.response_obj_oom);
  emit('response_obj_count', sessions);
  emit('response_obj_bytes', sessions * 65536);
  emit('read_buf_count', sessions);
  emit('read_buf_bytes', sessions * 16384);
  emit('read_buf_bytes_free', 0);
  emit('read_buf_oom', c.read_buf_oom);
  emit('reserved_fds', 20);
  emit('cmd_get', c.cmd_get);
  emit('cmd_set', st.cmd_set);
  emit('cmd_flush', c.cmd_flush);
  emit('cmd_touch', c.cmd_touch);
  emit('cmd_meta', c.cmd_meta);
  emit('get_hits', st.get_hits);
  emit('get_misses', st.get_misses);
  emit('get_expired', st.get_expired);
  emit('get_flushed', st.get_flushed);
  emit('delete_misses', st.delete_misses);
  emit('delete_hits', st.delete_hits);
  emit('incr_misses', st.incr_misses);
  emit('incr_hits', st.incr_hits);
  emit('decr_misses', st.decr_misses);
  emit('decr_hits', st.decr_hits);
  emit('cas_misses', st.cas_misses);
  emit('cas_hits', st.cas_hits);
  emit('cas_badval', st.cas_badval);
  emit('touch_hits', st.touch_hits);
  emit('touch_misses', st.touch_misses);
  emit('store_too_large', st.store_too_large);
  emit('store_no_memory', st.store_no_memory);
  emit('auth_cmds', c.auth_cmds);
  emit('auth_errors', c.auth_errors);
  if (s.idleTimeoutSec !== 0) emit('idle_kicks', c.conns_closed_idle);
  emit('bytes_read', c.bytes_read);
  emit('bytes_written', c.bytes_written);
  emit('limit_maxbytes', st.limit_maxbytes);
  emit('accepting_conns', ctx.wide.acceptingConns);
  emit('listen_disabled_num', c.listen_disabled_num);
  emit('time_in_listen_disabled_us', 0);
  emit('threads', s.threads);
  emit('conn_yields', c.conn_yields);
  emit('hash_power_level', st.hash_power_level);
  emit('hash_bytes', st.hash_bytes);
  emit('hash_is_expanding', st.hash_is_expanding);
  if (s.slabReassign) {
    emit('slab_reassign_rescues', st.slab_reassign_rescues);
    emit('slab_reassign_chunk_rescues', st.slab_reassign_chunk_rescues);
    emit('slab_reassign_evictions_nomem', st.slab_reassign_evictions_nomem);
    emit('slab_reassign_inline_reclaim', st.slab_reassign_inline_reclaim);
    emit('slab_reassign_busy_items', st.slab_reassign_busy_items);
    emit('slab_reassign_busy_deletes', st.slab_reassign_busy_deletes);
    emit('slab_reassign_running', st.slab_reassign_running);
    emit('slabs_moved', st.slabs_moved);
  }
  if (ctx.runtime.lruCrawler) {
    emit('lru_crawler_running', st.lru_crawler_running);
    emit('lru_crawler_starts', st.lru_crawler_starts);
  }
  if (s.lruSegmented) emit('lru_maintainer_juggles', st.lru_maintainer_juggles);
  emit('malloc_fails', st.malloc_fails);
  const ws = ctx.watch.stats;
  emit('log_worker_dropped', ws.log_worker_dropped);
  emit('log_worker_written', ws.log_worker_written);
  emit('log_watcher_skipped', ws.log_watcher_skipped);
  emit('log_watcher_sent', ws.log_watcher_sent);
  emit('log_watchers', ws.log_watchers);
  if (s.ssl.enabled) {
    if (s.ssl.sessionCache) emit('ssl_new_sessions', c.ssl_new_sessions);
    emit('ssl_handshake_errors', c.ssl_handshake_errors);
    const loadedAtMs = ctx.tls?.certsLoadedAtMs ?? ctx.startedAtMs;
    emit('time_since_server_cert_refresh', Math.floor((Date.now() - loadedAtMs) / 1000));
  }
  emit('unexpected_napi_ids', 0);
  emit('round_robin_fallback', 0);
  emit('bytes', st.bytes);
  emit('curr_items', st.curr_items);
  emit('total_items', st.total_items);
  emit('slab_global_page_pool', st.slab_global_page_pool);
  emit('expired_unfetched', st.expired_unfetched);
  emit('evicted_unfetched', st.evicted_unfetched);
  if (s.lruSegmented) emit('evicted_active', st.evicted_active);
  emit('evictions', st.evictions);
  emit('reclaimed', st.reclaimed);
  emit('crawler_reclaimed', st.crawler_reclaimed);
  emit('crawler_items_checked', st.crawler_items_checked);
  emit('lrutail_reflocked', st.lrutail_reflocked);
  if (s.lruSegmented) {
    emit('moves_to_cold', st.moves_to_cold);
    emit('moves_to_warm', st.moves_to_warm);
    emit('moves_within_lru', st.moves_within_lru);
    emit('direct_reclaims', st.direct_reclaims);
    emit('lru_bumps_dropped', st.lru_bumps_dropped);
  }
}

// --- stats settings ---------------------------------------------------------------------------

function yesNo(b: boolean): string {
  return b ? 'yes' : 'no';
}

function fixed(n: number, digits: number): string {
  return n.toFixed(digits);
}

function bindingProtocolText(s: Settings): string {
  switch (s.bindingProtocol) {
    case 'ascii':
      return 'ascii';
    case 'binary':
      return 'binary';
    case 'auto':
      return 'auto-negotiate';
  }
}

/** `stats settings`: Debian's memcached 1.6.18 list (EXTSTORE and TLS built in), in order. */
export function emitSettingsStats(ctx: ServerContext, emit: StatEmitter): void {
  const s = ctx.settings;
  const rt = ctx.runtime;
  emit('maxbytes', rt.memLimitBytes);
  emit('maxconns', s.maxConnections);
  emit('tcpport', s.port);
  emit('udpport', s.udpPort);
  emit('inter', s.listenSpec === '' ? 'NULL' : s.listenSpec);
  emit('verbosity', ctx.log.level);
  emit('oldest', rt.oldestLive >>> 0);
  emit('evictions', s.evictionsDisabled ? 'off' : 'on');
  emit('domain_socket', s.unixSocketPath ?? 'NULL');
  emit('umask', s.unixSocketMask.toString(8));
  emit('shutdown_command', yesNo(s.enableShutdown));
  emit('growth_factor', fixed(s.growthFactor, 2));
  emit('chunk_size', s.chunkSizeMin);
  emit('num_threads', s.threads);
  // memcached gives each UDP socket one thread when -l lists several addresses.
  emit('num_threads_per_udp', s.listenSpec.includes(',') ? 1 : s.threads);
  emit('stat_key_prefix', s.prefixDelimiter);
  emit('detail_enabled', yesNo(rt.detailEnabled));
  emit('reqs_per_event', s.reqsPerEvent);
  emit('cas_enabled', yesNo(s.casEnabled));
  emit('tcp_backlog', s.listenBacklog);
  emit('binding_protocol', bindingProtocolText(s));
  emit('auth_enabled_sasl', yesNo(s.saslEnabled));
  emit('auth_enabled_ascii', s.authFile ?? 'no');
  emit('item_size_max', s.itemSizeMax);
  emit('maxconns_fast', yesNo(s.maxconnsFast));
  emit('hashpower_init', s.hashPowerInit);
  emit('slab_reassign', yesNo(s.slabReassign));
  emit('slab_automove', rt.slabAutomove);
  emit('slab_automove_ratio', fixed(rt.slabAutomoveRatio, 2));
  emit('slab_automove_window', s.slabAutomoveWindow);
  emit('slab_chunk_max', s.slabChunkMax);
  emit('lru_crawler', yesNo(rt.lruCrawler));
  emit('lru_crawler_sleep', rt.lruCrawlerSleepUs);
  emit('lru_crawler_tocrawl', rt.lruCrawlerToCrawl);
  emit('tail_repair_time', s.tailRepairTime);
  emit('flush_enabled', yesNo(s.flushEnabled));
  emit('dump_enabled', yesNo(s.dumpEnabled));
  emit('hash_algorithm', s.hashAlgorithm);
  emit('lru_maintainer_thread', yesNo(s.lruSegmented));
  emit('lru_segmented', yesNo(rt.lruSegmented));
  emit('hot_lru_pct', rt.hotLruPct);
  emit('warm_lru_pct', rt.warmLruPct);
  emit('hot_max_factor', fixed(rt.hotMaxFactor, 2));
  emit('warm_max_factor', fixed(rt.warmMaxFactor, 2));
  emit('temp_lru', yesNo(rt.tempLru));
  emit('temporary_ttl', rt.temporaryTtl >>> 0);
  emit('idle_timeout', s.idleTimeoutSec);
  emit('watcher_logbuf_size', s.watcherLogbufSize);
  emit('worker_logbuf_size', s.workerLogbufSize);
  emit('read_buf_mem_limit', s.readBufMemLimitBytes);
  emit('track_sizes', yesNo(s.trackSizes));
  emit('inline_ascii_response', 'no');
  // Debian builds memcached with extstore and TLS: their settings are listed (inactive here).
  emit('ext_item_size', 512);
  emit('ext_item_age', 4294967295);
  emit('ext_low_ttl', 0);
  emit('ext_recache_rate', 2000);
  emit('ext_wbuf_size', 4194304);
  emit('ext_compact_under', 0);
  emit('ext_drop_under', 0);
  emit('ext_max_sleep', 1000000);
  emit('ext_max_frag', '0.80');
  emit('slab_automove_freeratio', '0.010');
  emit('ext_drop_unread', 'no');
  emit('ssl_enabled', s.ssl.enabled ? 'yes' : 'no');
  emit('ssl_chain_cert', s.ssl.chainCert ?? '(null)');
  emit('ssl_key', s.ssl.key ?? '(null)');
  emit('ssl_verify_mode', s.ssl.verifyMode);
  emit('ssl_keyformat', s.ssl.keyFormat);
  emit('ssl_ciphers', s.ssl.ciphers ?? 'NULL');
  emit('ssl_ca_cert', s.ssl.caCert ?? 'NULL');
  emit('ssl_wbuf_size', s.ssl.wbufSizeBytes);
  emit('ssl_session_cache', s.ssl.sessionCache ? 'yes' : 'no');
  emit('ssl_kernel_tls', s.ssl.kernelTls ? 'yes' : 'no');
  emit('ssl_min_version', minVersionName(s.ssl.minVersion));
  emit('num_napi_ids', '(null)');
  emit('memory_file', ctx.settings.memoryFile ?? '(null)');
}

// --- stats conns ------------------------------------------------------------------------------

interface ConnRow extends ConnRecord {
  readonly isUdp: boolean;
}

/** `stats conns`: addr, listen_addr, state, secs_since_last_cmd per client connection. */
export function emitConnsStats(ctx: ServerContext, emit: StatEmitter): void {
  const now = ctx.store.now();
  const listenerAgeSec = Math.floor((Date.now() - ctx.startedAtMs) / 1000);
  const listeners = ctx.listeners === undefined ? [] : [...ctx.listeners()].sort((a, b) => a.id - b.id);
  for (const l of listeners) {
    if (l.transport === 'udp') emit(l.id + ':UDP', 'UDP');
    emit(l.id + ':addr', l.addr);
    emit(l.id + ':state', l.transport === 'udp' ? 'conn_read' : 'conn_listening');
    emit(l.id + ':secs_since_last_cmd', listenerAgeSec); // since the listener was opened
  }
  // this thread's connections as they are, the other threads' as their records last said (-t N)
  const list: ConnRow[] = [...ctx.sessions].map((s) => ({
    id: s.conn.id,
    isUdp: s.conn.transport === 'udp',
    peer: s.conn.peer,
    listenAddr: s.conn.listenAddr,
    stateName: s.stateName,
    lastCommandTime: s.lastCommandTime,
  }));
  for (const r of ctx.wide.connTable?.othersOf(ctx.wide.thread) ?? []) list.push({ ...r, isUdp: false });
  list.sort((a, b) => a.id - b.id);
  for (const c of list) {
    const id = c.id;
    if (c.isUdp) emit(id + ':UDP', 'UDP');
    emit(id + ':addr', c.peer);
    if (!c.isUdp || c.stateName !== 'conn_read') emit(id + ':listen_addr', c.listenAddr);
    emit(id + ':state', c.stateName);
    emit(id + ':secs_since_last_cmd', now - c.lastCommandTime);
  }
}

// --- extras memcached does not have ------------------------------------------------------------

/**
 * `stats memcachedts`: our own figures, clearly apart from memcached's groups (which stay
 * byte-for-byte memcached's): the multiget line cap, the connection-close reasons, the spread
 * of connections over the threads and the health of the password files.
 */
export function emitExtraStats(ctx: ServerContext, emit: StatEmitter): void {
  const c = ctx.wide.totals();
  emit('multiget_line_max', ctx.settings.multigetLineMax);
  emit('out_buffer_pauses', c.out_buffer_pauses);
  emit('conns_closed_line_too_long', c.conns_closed_line_too_long);
  emit('conns_closed_protocol_error', c.conns_closed_protocol_error);
  emit('conns_closed_idle', c.conns_closed_idle);
  // -t N: how the kernel spread the connections over the threads (since start, listeners included)
  emit('thread_total_connections', ctx.wide.perThread.map((t) => t.total_connections).join(','));
  // Password files that could not be read or parsed (each failure counted once, when it
  // starts or its reason changes), and how many authenticate nobody right now.
  const sources = ctx.sasl?.sources() ?? [];
  emit('auth_source_errors', ctx.sasl?.sourceErrors() ?? 0);
  emit('auth_sources_failing', sources.filter((r) => r.status.state === 'failed').length);
}

/** `stats reset`: memcached zeroes the server and item outcome counters, not the gauges. */
export function resetStats(ctx: ServerContext): void {
  ctx.wide.resetCounters();
  ctx.store.resetStats();
  ctx.watch.resetStats();
  ctx.prefixStats.clear();
}
