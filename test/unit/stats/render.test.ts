// stats groups: memcached 1.6.18's names in its order (captured from Debian's binary).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emitConnsStats, emitGeneralStats, emitSettingsStats } from '../../../src/stats/render.js';
import { makeSession, makeTestContext } from '../../support/context.js';
import { feed } from '../../support/session-driver.js';

const GENERAL = 'pid uptime time version libevent pointer_size rusage_user rusage_system max_connections curr_connections total_connections rejected_connections connection_structures response_obj_oom response_obj_count response_obj_bytes read_buf_count read_buf_bytes read_buf_bytes_free read_buf_oom reserved_fds cmd_get cmd_set cmd_flush cmd_touch cmd_meta get_hits get_misses get_expired get_flushed delete_misses delete_hits incr_misses incr_hits decr_misses decr_hits cas_misses cas_hits cas_badval touch_hits touch_misses store_too_large store_no_memory auth_cmds auth_errors bytes_read bytes_written limit_maxbytes accepting_conns listen_disabled_num time_in_listen_disabled_us threads conn_yields hash_power_level hash_bytes hash_is_expanding slab_reassign_rescues slab_reassign_chunk_rescues slab_reassign_evictions_nomem slab_reassign_inline_reclaim slab_reassign_busy_items slab_reassign_busy_deletes slab_reassign_running slabs_moved lru_crawler_running lru_crawler_starts lru_maintainer_juggles malloc_fails log_worker_dropped log_worker_written log_watcher_skipped log_watcher_sent log_watchers unexpected_napi_ids round_robin_fallback bytes curr_items total_items slab_global_page_pool expired_unfetched evicted_unfetched evicted_active evictions reclaimed crawler_reclaimed crawler_items_checked lrutail_reflocked moves_to_cold moves_to_warm moves_within_lru direct_reclaims lru_bumps_dropped';

const SETTINGS = 'maxbytes 67108864|maxconns 1024|tcpport 11211|udpport 0|inter 127.0.0.1|verbosity 0|oldest 0|evictions on|domain_socket NULL|umask 700|shutdown_command no|growth_factor 1.25|chunk_size 48|num_threads 4|num_threads_per_udp 4|stat_key_prefix :|detail_enabled no|reqs_per_event 20|cas_enabled yes|tcp_backlog 1024|binding_protocol auto-negotiate|auth_enabled_sasl no|auth_enabled_ascii no|item_size_max 1048576|maxconns_fast yes|hashpower_init 0|slab_reassign yes|slab_automove 1|slab_automove_ratio 0.80|slab_automove_window 30|slab_chunk_max 524288|lru_crawler yes|lru_crawler_sleep 100|lru_crawler_tocrawl 0|tail_repair_time 0|flush_enabled yes|dump_enabled yes|hash_algorithm murmur3|lru_maintainer_thread yes|lru_segmented yes|hot_lru_pct 20|warm_lru_pct 40|hot_max_factor 0.20|warm_max_factor 2.00|temp_lru no|temporary_ttl 61|idle_timeout 0|watcher_logbuf_size 262144|worker_logbuf_size 65536|read_buf_mem_limit 0|track_sizes no|inline_ascii_response no|ext_item_size 512|ext_item_age 4294967295|ext_low_ttl 0|ext_recache_rate 2000|ext_wbuf_size 4194304|ext_compact_under 0|ext_drop_under 0|ext_max_sleep 1000000|ext_max_frag 0.80|slab_automove_freeratio 0.010|ext_drop_unread no|ssl_enabled no|ssl_chain_cert (null)|ssl_key (null)|ssl_verify_mode 0|ssl_keyformat 1|ssl_ciphers NULL|ssl_ca_cert NULL|ssl_wbuf_size 16384|ssl_session_cache no|ssl_kernel_tls no|ssl_min_version tlsv1.2|num_napi_ids (null)|memory_file (null)';

test('general stats: names in memcached order, values from counters and store', () => {
  const ctx = makeTestContext();
  const s = makeSession(ctx);
  feed(s, [Buffer.from('set a 0 0 1\r\n1\r\nget a b\r\n')]);
  const pairs: [string, string | number][] = [];
  emitGeneralStats(ctx, (n, v) => pairs.push([n, v]));
  assert.equal(pairs.map((p) => p[0]).join(' '), GENERAL);
  const m = new Map(pairs);
  assert.equal(m.get('cmd_get'), 2);
  assert.equal(m.get('get_hits'), 1);
  assert.equal(m.get('get_misses'), 1);
  assert.equal(m.get('curr_items'), 1);
  assert.equal(m.get('version'), '1.6.18');
  assert.match(String(m.get('rusage_user')), /^\d+\.\d{6}$/);
  ctx.store.close();
});

test('stats settings: every key and default value as memcached 1.6.18', () => {
  const ctx = makeTestContext({ settings: { listenSpec: '127.0.0.1' } });
  const lines: string[] = [];
  emitSettingsStats(ctx, (n, v) => lines.push(n + ' ' + v));
  assert.equal(lines.join('|'), SETTINGS);
  ctx.store.close();
});

test('stats settings follows run-time changes', () => {
  const ctx = makeTestContext();
  const s = makeSession(ctx);
  const out = feed(s, [Buffer.from('stats detail on\r\nlru tune 10 30 0.5 3\r\nverbosity 1\r\nslabs automove 2\r\nstats settings\r\n')]).out.toString();
  assert.match(out, /STAT detail_enabled yes\r\n/);
  assert.match(out, /STAT hot_lru_pct 10\r\nSTAT warm_lru_pct 30\r\nSTAT hot_max_factor 0.50\r\nSTAT warm_max_factor 3.00\r\n/);
  assert.match(out, /STAT verbosity 1\r\n/);
  assert.match(out, /STAT slab_automove 2\r\n/);
  ctx.store.close();
});

test('stats conns lists listeners then sessions', () => {
  const base = makeTestContext();
  const ctx = { ...base, listeners: () => [{ id: 3, transport: 'tcp' as const, addr: 'tcp:127.0.0.1:11211' }] };
  const a = makeSession(ctx);
  const lines: string[] = [];
  emitConnsStats(ctx, (n, v) => lines.push(n + ' ' + v));
  assert.deepEqual(lines.map((l) => l.replace(/ \d+$/, ' N')), [
    '3:addr tcp:127.0.0.1:11211',
    '3:state conn_listening',
    '3:secs_since_last_cmd N',
    `${a.conn.id}:addr ${a.conn.peer}`,
    `${a.conn.id}:listen_addr tcp:127.0.0.1:11211`,
    `${a.conn.id}:state conn_new_cmd`,
    `${a.conn.id}:secs_since_last_cmd N`,
  ]);
  base.store.close();
});

test('stats reset zeroes counters', () => {
  const ctx = makeTestContext();
  const s = makeSession(ctx);
  const out = feed(s, [Buffer.from('get a\r\nstats reset\r\nstats\r\n')]).out.toString();
  assert.match(out, /STAT cmd_get 0\r\n/);
  assert.match(out, /STAT get_misses 0\r\n/);
  ctx.store.close();
});
