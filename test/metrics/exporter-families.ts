// Test data: every metric family prometheus/memcached_exporter serves about memcached, with the
// help text, type and label names it exposes them with.
// Origin: https://github.com/prometheus/memcached_exporter, commit
// 17e002c6e36fa602446b054d5be1b23c7557b44c ("Update common Prometheus files (#329)"), file
// pkg/exporter/exporter.go: the prometheus.NewDesc calls (name = "memcached_" + subsystem + name,
// help, label names) and the value type each parseStats / parseStatsSettings call passes.
// `only` marks families the exporter emits only when memcached prints their stats: extstore
// (with -o ext_path) and proxy (proxy mode); memcachedts has neither, nor has Debian's memcached
// without those flags. The exporter's own metrics (memcached_exporter_build_info, Go and process
// collectors) describe the exporter process, not memcached, and are not listed.
// Note: its metrics.md names the accepting_conns family memcached_accepting_conns; the code
// (what it serves) says memcached_accepting_connections, which is what is listed here.

export interface ExporterFamily {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly help: string;
  readonly labels: readonly string[];
  readonly only?: 'extstore' | 'proxy';
}

const g = (name: string, help: string, labels: string[] = []): ExporterFamily => ({ name, type: 'gauge', help, labels });
const c = (name: string, help: string, labels: string[] = []): ExporterFamily => ({ name, type: 'counter', help, labels });
const ext = (f: ExporterFamily): ExporterFamily => ({ ...f, only: 'extstore' });
const proxy = (f: ExporterFamily): ExporterFamily => ({ ...f, only: 'proxy' });

export const EXPORTER_FAMILIES: readonly ExporterFamily[] = [
  g('memcached_up', 'Could the memcached server be reached.'),
  c('memcached_uptime_seconds', 'Number of seconds since the server started.'),
  g('memcached_time_seconds', 'current UNIX time according to the server.'),
  g('memcached_version', 'The version of this memcached server.', ['version']),
  c('memcached_process_user_cpu_seconds_total', 'Accumulated user time for this process.'),
  c('memcached_process_system_cpu_seconds_total', 'Accumulated system time for this process.'),
  c('memcached_read_bytes_total', 'Total number of bytes read by this server from network.'),
  c('memcached_written_bytes_total', 'Total number of bytes sent by this server to network.'),
  g('memcached_current_connections', 'Current number of open connections.'),
  g('memcached_max_connections', 'Maximum number of clients allowed.'),
  c('memcached_connections_total', 'Total number of connections opened since the server started running.'),
  c('memcached_connections_rejected_total',
    "Total number of connections rejected due to hitting the memcached's -c limit in maxconns_fast mode."),
  c('memcached_connections_yielded_total', "Total number of connections yielded running due to hitting the memcached's -R limit."),
  c('memcached_connections_listener_disabled_total',
    'Number of times that memcached has hit its connections limit and disabled its listener.'),
  g('memcached_current_bytes', 'Current number of bytes used to store items.'),
  g('memcached_limit_bytes', 'Number of bytes this server is allowed to use for storage.'),
  c('memcached_commands_total', 'Total number of all requests broken down by command (get, set, etc.) and status.',
    ['command', 'status']),
  g('memcached_current_items', 'Current number of items stored by this instance.'),
  c('memcached_items_total', 'Total number of items stored during the life of this instance.'),
  c('memcached_items_evicted_total', 'Total number of valid items removed from cache to free memory for new items.'),
  c('memcached_items_reclaimed_total', 'Total number of times an entry was stored using memory from an expired entry.'),
  c('memcached_item_too_large_total', 'The number of times an item exceeded the max-item-size when being stored.'),
  c('memcached_item_no_memory_total', 'The number of times an item could not be stored due to no more memory.'),
  c('memcached_direct_reclaims_total', 'Times worker threads had to directly reclaim or evict items.'),
  g('memcached_lru_crawler_enabled', 'Whether the LRU crawler is enabled.'),
  g('memcached_lru_crawler_sleep', 'Microseconds to sleep between LRU crawls.'),
  g('memcached_lru_crawler_to_crawl', 'Max items to crawl per slab per run.'),
  g('memcached_lru_crawler_maintainer_thread', 'Split LRU mode and background threads.'),
  g('memcached_lru_crawler_hot_percent', 'Percent of slab memory reserved for HOT LRU.'),
  g('memcached_lru_crawler_warm_percent', 'Percent of slab memory reserved for WARM LRU.'),
  g('memcached_lru_crawler_hot_max_factor', 'Set idle age of HOT LRU to COLD age * this'),
  g('memcached_lru_crawler_warm_max_factor', 'Set idle age of WARM LRU to COLD age * this'),
  c('memcached_lru_crawler_starts_total', 'Times an LRU crawler was started.'),
  c('memcached_lru_crawler_reclaimed_total', 'Total items freed by LRU Crawler.'),
  c('memcached_lru_crawler_items_checked_total', 'Total items examined by LRU Crawler.'),
  c('memcached_lru_crawler_moves_to_cold_total', "Total number of items moved from HOT/WARM to COLD LRU's."),
  c('memcached_lru_crawler_moves_to_warm_total', 'Total number of items moved from COLD to WARM LRU.'),
  c('memcached_lru_crawler_moves_within_lru_total', "Total number of items reshuffled within HOT or WARM LRU's."),
  g('memcached_malloced_bytes', 'Number of bytes of memory allocated to slab pages.'),
  g('memcached_accepting_connections', 'The Memcached server is currently accepting new connections.'),
  // stats items, per slab
  g('memcached_slab_current_items', 'Number of items currently stored in this slab class.', ['slab']),
  g('memcached_slab_items_age_seconds', 'Number of seconds the oldest item has been in the slab class.', ['slab']),
  c('memcached_slab_items_crawler_reclaimed_total', 'Number of items freed by the LRU Crawler.', ['slab']),
  c('memcached_slab_items_evicted_total', 'Total number of times an item had to be evicted from the LRU before it expired.', ['slab']),
  c('memcached_slab_items_evicted_nonzero_total',
    'Total number of times an item which had an explicit expire time set had to be evicted from the LRU before it expired.',
    ['slab']),
  c('memcached_slab_items_evicted_time_seconds', 'Seconds since the last access for the most recent item evicted from this class.',
    ['slab']),
  c('memcached_slab_items_evicted_unfetched_total', 'Total nmber of items evicted and never fetched.', ['slab']),
  c('memcached_slab_items_expired_unfetched_total',
    'Total number of valid items evicted from the LRU which were never touched after being set.', ['slab']),
  c('memcached_slab_items_outofmemory_total',
    'Total number of items for this slab class that have triggered an out of memory error.', ['slab']),
  c('memcached_slab_items_reclaimed_total', 'Total number of items reclaimed.', ['slab']),
  c('memcached_slab_items_tailrepairs_total', 'Total number of times the entries for a particular ID need repairing.', ['slab']),
  c('memcached_slab_items_moves_to_cold', 'Number of items moved from HOT or WARM into COLD.', ['slab']),
  c('memcached_slab_items_moves_to_warm', 'Number of items moves from COLD into WARM.', ['slab']),
  c('memcached_slab_items_moves_within_lru', 'Number of times active items were bumped within HOT or WARM.', ['slab']),
  g('memcached_slab_hot_items', 'Number of items presently stored in the HOT LRU.', ['slab']),
  g('memcached_slab_warm_items', 'Number of items presently stored in the WARM LRU.', ['slab']),
  g('memcached_slab_cold_items', 'Number of items presently stored in the COLD LRU.', ['slab']),
  g('memcached_slab_temporary_items', 'Number of items presently stored in the TEMPORARY LRU.', ['slab']),
  g('memcached_slab_hot_age_seconds', 'Age of the oldest item in HOT LRU.', ['slab']),
  g('memcached_slab_warm_age_seconds', 'Age of the oldest item in HOT LRU.', ['slab']),
  c('memcached_slab_lru_hits_total', 'Number of get_hits to the LRU.', ['slab', 'lru']),
  // mem_requested: in memcached 1.6 it is a `stats items` field, parsed as a counter
  c('memcached_slab_mem_requested_bytes', 'Number of bytes of memory actual items take up within a slab.', ['slab']),
  // stats slabs, per slab
  g('memcached_slab_chunk_size_bytes', 'Number of bytes allocated to each chunk within this slab class.', ['slab']),
  g('memcached_slab_chunks_per_page', 'Number of chunks within a single page for this slab class.', ['slab']),
  g('memcached_slab_current_pages', 'Number of pages allocated to this slab class.', ['slab']),
  g('memcached_slab_current_chunks', 'Number of chunks allocated to this slab class.', ['slab']),
  g('memcached_slab_chunks_used', 'Number of chunks allocated to an item.', ['slab']),
  g('memcached_slab_chunks_free', 'Number of chunks not yet allocated items.', ['slab']),
  g('memcached_slab_chunks_free_end', 'Number of free chunks at the end of the last allocated page.', ['slab']),
  c('memcached_slab_commands_total', 'Total number of all requests broken down by command (get, set, etc.) and status per slab.',
    ['slab', 'command', 'status']),
  // extstore (-o ext_path only)
  ext(c('memcached_extstore_compact_lost_total', 'Total number of items lost because they were locked during extstore compaction.')),
  ext(c('memcached_extstore_compact_rescued_total', 'Total number of items moved to a new page during extstore compaction,')),
  ext(c('memcached_extstore_compact_skipped_total', 'Total number of items dropped due to inactivity during extstore compaction.')),
  ext(c('memcached_extstore_pages_allocated_total', 'Total number of times a page was allocated in extstore.')),
  ext(c('memcached_extstore_pages_evicted_total', 'Total number of times a page was evicted from extstore.')),
  ext(c('memcached_extstore_pages_reclaimed_total', 'Total number of times an empty extstore page was freed.')),
  ext(g('memcached_extstore_pages_free', 'Number of extstore pages not yet containing any items.')),
  ext(g('memcached_extstore_pages_used', 'Number of extstore pages containing at least one item.')),
  ext(c('memcached_extstore_objects_evicted_total', 'Total number of items evicted from extstore to free up space.')),
  ext(c('memcached_extstore_objects_read_total', 'Total number of items read from extstore.')),
  ext(c('memcached_extstore_objects_written_total', 'Total number of items written to extstore.')),
  ext(g('memcached_extstore_objects_used', 'Number of items stored in extstore.')),
  ext(c('memcached_extstore_bytes_evicted_total', 'Total number of bytes evicted from extstore to free up space.')),
  ext(c('memcached_extstore_bytes_written_total', 'Total number of bytes written to extstore.')),
  ext(c('memcached_extstore_bytes_read_total', 'Total number of bytes read from extstore.')),
  ext(c('memcached_extstore_bytes_used', 'Current number of bytes used to store items in extstore.')),
  ext(g('memcached_extstore_bytes_fragmented', 'Current number of bytes in extstore pages allocated but not used to store an object.')),
  ext(g('memcached_extstore_bytes_limit', 'Number of bytes of external storage allocated for this server.')),
  ext(g('memcached_extstore_io_queue_depth', 'Number of items in the I/O queue waiting to be processed.')),
  // proxy mode only
  proxy(c('memcached_proxy_conn_requests_total', 'Total number of times the proxy opened a backend connection.')),
  proxy(c('memcached_proxy_conn_errors_total', 'Total number of backend connection errors in proxy mode.')),
  proxy(c('memcached_proxy_conn_oom_total', 'Total number of times the proxy ran out of memory allocating a connection.')),
  proxy(g('memcached_proxy_req_active', 'Number of in-flight requests currently forwarded by the proxy.')),
  proxy(c('memcached_proxy_config_reloads_total', 'Total attempts to reload the proxy configuration.')),
  proxy(c('memcached_proxy_config_reload_fails_total', 'Total failed attempts to reload the proxy configuration.')),
  proxy(c('memcached_proxy_config_cron_runs_total', 'Total times the proxy’s Lua cron hooks have run.')),
  proxy(c('memcached_proxy_config_cron_fails_total', 'Total errors from the proxy’s Lua cron hooks.')),
  proxy(g('memcached_proxy_backend_total', 'Number of backend servers configured in proxy mode.')),
  proxy(c('memcached_proxy_backend_marked_bad_total', 'Total times a backend was marked unhealthy by the proxy.')),
  proxy(g('memcached_proxy_backend_failed', 'Number of backends currently in a failed state.')),
  proxy(c('memcached_proxy_request_failed_depth_total', 'Total requests dropped due to backend depth limits.')),
  proxy(c('memcached_round_robin_fallback_total', 'Total times the proxy fell back to round-robin routing.')),
  proxy(c('memcached_unexpected_napi_ids_total', 'Total unexpected internal event-loop IDs seen by the proxy.')),
];

/**
 * Label values the exporter puts on its labelled families: memcached_commands_total's
 * (command, status) pairs from parseStats, and the lru values of memcached_slab_lru_hits_total.
 */
export const EXPORTER_COMMAND_LABELS: readonly string[] = [
  'get/hit', 'get/miss', 'delete/hit', 'delete/miss', 'incr/hit', 'incr/miss', 'decr/hit', 'decr/miss',
  'cas/hit', 'cas/miss', 'touch/hit', 'touch/miss', 'cas/badval', 'flush/hit', 'set/hit',
];
export const EXPORTER_SLAB_COMMAND_LABELS: readonly string[] = [
  'get/hit', 'delete/hit', 'incr/hit', 'decr/hit', 'cas/hit', 'touch/hit', 'cas/badval', 'set/hit',
];
export const EXPORTER_LRU_LABELS: readonly string[] = ['hot', 'warm', 'cold', 'temporary'];
