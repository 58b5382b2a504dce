// The metric families prometheus/memcached_exporter serves for a memcached 1.6 (names, help
// texts, types and labels as that exporter exposes them, so dashboards and alert rules written
// for it work unchanged), each filled from the stat it reads. Read from the exporter's
// pkg/exporter/exporter.go at 17e002c6e36fa602446b054d5be1b23c7557b44c; extstore and proxy
// families are not listed: memcached prints their stats only with extstore or proxy running.
// The exporter's own process and Go metrics are not memcached's and are not repeated here.

import type { FamilySpec, FamilyType, LabelSet, SampleSink, ScrapeInput } from './family.js';
import { SlabLabelSets, ValueLabelSets } from './label-sets.js';
import { statNumber, type ClassStats } from './stats-snapshot.js';

/** The commands `stats` counts by outcome, as the exporter labels them. */
const OUTCOME_COMMANDS = ['get', 'delete', 'incr', 'decr', 'cas', 'touch'] as const;

const SLAB = new SlabLabelSets(1, (slab) => ({ slab }));

/** A family with no labels from one `stats` (or `stats slabs` global) line. */
function general(name: string, help: string, type: FamilyType, key: string): FamilySpec {
  return {
    name,
    help,
    type,
    labelNames: [],
    isPresent: (input) => input.stats.general.has(key),
    fill: (input, out) => emitIfNumber(statNumber(input.stats.general, key), out),
  };
}

/** A `stats settings` line, exposed (like the exporter) only while the LRU crawler is on. */
function crawlerSetting(name: string, help: string, key: string): FamilySpec {
  return {
    name,
    help,
    type: 'gauge',
    labelNames: [],
    isPresent: (input) => input.stats.settings.get('lru_crawler') === 'yes',
    fill: (input, out) => emitIfNumber(statNumber(input.stats.settings, key), out),
  };
}

/** A `stats items` field per slab class. */
function perItems(name: string, help: string, type: FamilyType, key: string, isPresent?: (input: ScrapeInput) => boolean): FamilySpec {
  const spec: FamilySpec = {
    name,
    help,
    type,
    labelNames: ['slab'],
    fill: (input, out) => emitPerClass(input.stats.items, key, out),
  };
  return isPresent === undefined ? spec : { ...spec, isPresent };
}

/** A `stats slabs` field per slab class. */
function perSlab(name: string, help: string, key: string): FamilySpec {
  return {
    name,
    help,
    type: 'gauge',
    labelNames: ['slab'],
    fill: (input, out) => emitPerClass(input.stats.slabs, key, out),
  };
}

/** A sample unless the stat was not printed (NaN). */
function emitIfNumber(value: number, out: SampleSink, labels?: LabelSet): void {
  if (!Number.isNaN(value)) out(value, labels);
}

function emitPerClass(group: ClassStats, field: string, out: SampleSink): void {
  const column = group.column(field);
  if (column < 0) return;
  for (const cls of group.classes) emitIfNumber(group.value(cls, column), out, SLAB.at(cls));
}

const isSegmented = (input: ScrapeInput): boolean => input.stats.settings.get('lru_segmented') === 'yes';
const hasTempLru = (input: ScrapeInput): boolean => input.stats.settings.get('temp_lru') === 'yes';

/**
 * memcached counts cas commands in cmd_set too; the exporter's "set" is what is left (NaN when
 * either figure was not printed).
 */
function setHits(cmdSet: number, casCommands: number): number {
  return Math.max(0, cmdSet - casCommands);
}

/** A `stats` counter and the command and status it counts. */
type OutcomeStat = readonly [key: string, labels: { readonly command: string; readonly status: string }];

/** memcached_commands_total's samples read straight from a stat, in the exporter's order. */
const COMMAND_STATS: readonly OutcomeStat[] = [
  ...OUTCOME_COMMANDS.flatMap((op): OutcomeStat[] => [
    [op + '_hits', { command: op, status: 'hit' }],
    [op + '_misses', { command: op, status: 'miss' }],
  ]),
  ['cas_badval', { command: 'cas', status: 'badval' }],
  ['cmd_flush', { command: 'flush', status: 'hit' }],
];
const SET_HIT: LabelSet = { command: 'set', status: 'hit' };

const commandsTotal: FamilySpec = {
  name: 'memcached_commands_total',
  help: 'Total number of all requests broken down by command (get, set, etc.) and status.',
  type: 'counter',
  labelNames: ['command', 'status'],
  fill: (input, out) => {
    const g = input.stats.general;
    for (const [key, labels] of COMMAND_STATS) emitIfNumber(statNumber(g, key), out, labels);
    const cas = statNumber(g, 'cas_misses') + statNumber(g, 'cas_hits') + statNumber(g, 'cas_badval');
    emitIfNumber(setHits(statNumber(g, 'cmd_set'), cas), out, SET_HIT);
  },
};

/** The `stats slabs` counters per class, as memcached_slab_commands_total labels them; "set" comes last. */
const SLAB_COMMAND_STATS: readonly OutcomeStat[] = [
  ...OUTCOME_COMMANDS.map((op): OutcomeStat => [op + '_hits', { command: op, status: 'hit' }]),
  ['cas_badval', { command: 'cas', status: 'badval' }],
];
/** Per class: one set per SLAB_COMMAND_STATS entry, then the "set" command's. */
const SLAB_COMMAND = new SlabLabelSets(SLAB_COMMAND_STATS.length + 1, (slab, i) => ({
  slab,
  ...(SLAB_COMMAND_STATS[i]?.[1] ?? SET_HIT),
}));

const slabCommandsTotal: FamilySpec = {
  name: 'memcached_slab_commands_total',
  help: 'Total number of all requests broken down by command (get, set, etc.) and status per slab.',
  type: 'counter',
  labelNames: ['slab', 'command', 'status'],
  fill: (input, out) => {
    const slabs = input.stats.slabs;
    const columns = SLAB_COMMAND_STATS.map(([key]) => slabs.column(key));
    const cmdSet = slabs.column('cmd_set');
    const casHits = slabs.column('cas_hits');
    const casBadval = slabs.column('cas_badval');
    for (const cls of slabs.classes) {
      for (let i = 0; i < columns.length; i++) emitIfNumber(slabs.value(cls, columns[i]!), out, SLAB_COMMAND.at(cls, i));
      const set = setHits(slabs.value(cls, cmdSet), slabs.value(cls, casHits) + slabs.value(cls, casBadval));
      emitIfNumber(set, out, SLAB_COMMAND.at(cls, columns.length));
    }
  },
};

const LRU_HIT_FIELDS = [
  ['hits_to_hot', 'hot'],
  ['hits_to_warm', 'warm'],
  ['hits_to_cold', 'cold'],
  ['hits_to_temp', 'temporary'],
] as const;

const SLAB_LRU = new SlabLabelSets(LRU_HIT_FIELDS.length, (slab, i) => ({ slab, lru: LRU_HIT_FIELDS[i]![1] }));

const slabLruHits: FamilySpec = {
  name: 'memcached_slab_lru_hits_total',
  help: 'Number of get_hits to the LRU.',
  type: 'counter',
  labelNames: ['slab', 'lru'],
  isPresent: isSegmented,
  fill: (input, out) => {
    const items = input.stats.items;
    const columns = LRU_HIT_FIELDS.map(([key]) => items.column(key));
    for (const cls of items.classes) {
      for (let i = 0; i < columns.length; i++) emitIfNumber(items.value(cls, columns[i]!), out, SLAB_LRU.at(cls, i));
    }
  },
};

const VERSION = new ValueLabelSets('version');

export const EXPORTER_FAMILIES: readonly FamilySpec[] = [
  {
    name: 'memcached_up',
    help: 'Could the memcached server be reached.',
    type: 'gauge',
    labelNames: [],
    fill: (_input, out) => out(1), // it is answering this scrape itself
  },
  general('memcached_uptime_seconds', 'Number of seconds since the server started.', 'counter', 'uptime'),
  general('memcached_time_seconds', 'current UNIX time according to the server.', 'gauge', 'time'),
  {
    name: 'memcached_version',
    help: 'The version of this memcached server.',
    type: 'gauge',
    labelNames: ['version'],
    fill: (input, out) => out(1, VERSION.of(String(input.stats.general.get('version') ?? ''))),
  },
  general('memcached_process_user_cpu_seconds_total', 'Accumulated user time for this process.', 'counter', 'rusage_user'),
  general('memcached_process_system_cpu_seconds_total', 'Accumulated system time for this process.', 'counter', 'rusage_system'),
  general('memcached_read_bytes_total', 'Total number of bytes read by this server from network.', 'counter', 'bytes_read'),
  general('memcached_written_bytes_total', 'Total number of bytes sent by this server to network.', 'counter', 'bytes_written'),
  general('memcached_current_connections', 'Current number of open connections.', 'gauge', 'curr_connections'),
  {
    name: 'memcached_max_connections',
    help: 'Maximum number of clients allowed.',
    type: 'gauge',
    labelNames: [],
    fill: (input, out) => emitIfNumber(statNumber(input.stats.settings, 'maxconns'), out),
  },
  general('memcached_connections_total', 'Total number of connections opened since the server started running.', 'counter',
    'total_connections'),
  general('memcached_connections_rejected_total',
    "Total number of connections rejected due to hitting the memcached's -c limit in maxconns_fast mode.", 'counter',
    'rejected_connections'),
  general('memcached_connections_yielded_total',
    "Total number of connections yielded running due to hitting the memcached's -R limit.", 'counter', 'conn_yields'),
  general('memcached_connections_listener_disabled_total',
    'Number of times that memcached has hit its connections limit and disabled its listener.', 'counter', 'listen_disabled_num'),
  general('memcached_current_bytes', 'Current number of bytes used to store items.', 'gauge', 'bytes'),
  general('memcached_limit_bytes', 'Number of bytes this server is allowed to use for storage.', 'gauge', 'limit_maxbytes'),
  commandsTotal,
  general('memcached_current_items', 'Current number of items stored by this instance.', 'gauge', 'curr_items'),
  general('memcached_items_total', 'Total number of items stored during the life of this instance.', 'counter', 'total_items'),
  general('memcached_items_evicted_total', 'Total number of valid items removed from cache to free memory for new items.',
    'counter', 'evictions'),
  general('memcached_items_reclaimed_total', 'Total number of times an entry was stored using memory from an expired entry.',
    'counter', 'reclaimed'),
  general('memcached_item_too_large_total', 'The number of times an item exceeded the max-item-size when being stored.',
    'counter', 'store_too_large'),
  general('memcached_item_no_memory_total', 'The number of times an item could not be stored due to no more memory.',
    'counter', 'store_no_memory'),
  general('memcached_direct_reclaims_total', 'Times worker threads had to directly reclaim or evict items.', 'counter',
    'direct_reclaims'),
  crawlerSetting('memcached_lru_crawler_enabled', 'Whether the LRU crawler is enabled.', 'lru_crawler'),
  crawlerSetting('memcached_lru_crawler_sleep', 'Microseconds to sleep between LRU crawls.', 'lru_crawler_sleep'),
  crawlerSetting('memcached_lru_crawler_to_crawl', 'Max items to crawl per slab per run.', 'lru_crawler_tocrawl'),
  crawlerSetting('memcached_lru_crawler_maintainer_thread', 'Split LRU mode and background threads.', 'lru_maintainer_thread'),
  crawlerSetting('memcached_lru_crawler_hot_percent', 'Percent of slab memory reserved for HOT LRU.', 'hot_lru_pct'),
  crawlerSetting('memcached_lru_crawler_warm_percent', 'Percent of slab memory reserved for WARM LRU.', 'warm_lru_pct'),
  crawlerSetting('memcached_lru_crawler_hot_max_factor', 'Set idle age of HOT LRU to COLD age * this', 'hot_max_factor'),
  crawlerSetting('memcached_lru_crawler_warm_max_factor', 'Set idle age of WARM LRU to COLD age * this', 'warm_max_factor'),
  general('memcached_lru_crawler_starts_total', 'Times an LRU crawler was started.', 'counter', 'lru_crawler_starts'),
  general('memcached_lru_crawler_reclaimed_total', 'Total items freed by LRU Crawler.', 'counter', 'crawler_reclaimed'),
  general('memcached_lru_crawler_items_checked_total', 'Total items examined by LRU Crawler.', 'counter',
    'crawler_items_checked'),
  general('memcached_lru_crawler_moves_to_cold_total', "Total number of items moved from HOT/WARM to COLD LRU's.", 'counter',
    'moves_to_cold'),
  general('memcached_lru_crawler_moves_to_warm_total', 'Total number of items moved from COLD to WARM LRU.', 'counter',
    'moves_to_warm'),
  general('memcached_lru_crawler_moves_within_lru_total', "Total number of items reshuffled within HOT or WARM LRU's.",
    'counter', 'moves_within_lru'),
  general('memcached_malloced_bytes', 'Number of bytes of memory allocated to slab pages.', 'gauge', 'total_malloced'),
  general('memcached_accepting_connections', 'The Memcached server is currently accepting new connections.', 'gauge',
    'accepting_conns'),

  // `stats items`, per slab class
  perItems('memcached_slab_current_items', 'Number of items currently stored in this slab class.', 'gauge', 'number'),
  perItems('memcached_slab_items_age_seconds', 'Number of seconds the oldest item has been in the slab class.', 'gauge', 'age'),
  slabLruHits,
  perItems('memcached_slab_items_crawler_reclaimed_total', 'Number of items freed by the LRU Crawler.', 'counter',
    'crawler_reclaimed'),
  perItems('memcached_slab_items_evicted_total', 'Total number of times an item had to be evicted from the LRU before it expired.',
    'counter', 'evicted'),
  perItems('memcached_slab_items_evicted_nonzero_total',
    'Total number of times an item which had an explicit expire time set had to be evicted from the LRU before it expired.',
    'counter', 'evicted_nonzero'),
  perItems('memcached_slab_items_evicted_time_seconds',
    'Seconds since the last access for the most recent item evicted from this class.', 'counter', 'evicted_time'),
  perItems('memcached_slab_items_evicted_unfetched_total', 'Total nmber of items evicted and never fetched.', 'counter',
    'evicted_unfetched'),
  perItems('memcached_slab_items_expired_unfetched_total',
    'Total number of valid items evicted from the LRU which were never touched after being set.', 'counter', 'expired_unfetched'),
  perItems('memcached_slab_items_outofmemory_total',
    'Total number of items for this slab class that have triggered an out of memory error.', 'counter', 'outofmemory'),
  perItems('memcached_slab_items_reclaimed_total', 'Total number of items reclaimed.', 'counter', 'reclaimed'),
  perItems('memcached_slab_items_tailrepairs_total', 'Total number of times the entries for a particular ID need repairing.',
    'counter', 'tailrepairs'),
  // The exporter reads mem_requested from `stats items` (where memcached 1.6 prints it) as a counter.
  perItems('memcached_slab_mem_requested_bytes', 'Number of bytes of memory actual items take up within a slab.', 'counter',
    'mem_requested'),
  perItems('memcached_slab_items_moves_to_cold', 'Number of items moved from HOT or WARM into COLD.', 'counter', 'moves_to_cold',
    isSegmented),
  perItems('memcached_slab_items_moves_to_warm', 'Number of items moves from COLD into WARM.', 'counter', 'moves_to_warm',
    isSegmented),
  perItems('memcached_slab_items_moves_within_lru', 'Number of times active items were bumped within HOT or WARM.', 'counter',
    'moves_within_lru', isSegmented),
  perItems('memcached_slab_hot_items', 'Number of items presently stored in the HOT LRU.', 'gauge', 'number_hot', isSegmented),
  perItems('memcached_slab_warm_items', 'Number of items presently stored in the WARM LRU.', 'gauge', 'number_warm', isSegmented),
  perItems('memcached_slab_cold_items', 'Number of items presently stored in the COLD LRU.', 'gauge', 'number_cold', isSegmented),
  perItems('memcached_slab_temporary_items', 'Number of items presently stored in the TEMPORARY LRU.', 'gauge', 'number_temp',
    (input) => isSegmented(input) && hasTempLru(input)),
  perItems('memcached_slab_hot_age_seconds', 'Age of the oldest item in HOT LRU.', 'gauge', 'age_hot', isSegmented),
  // The exporter's help text for the WARM age says HOT; kept as it is so both read the same.
  perItems('memcached_slab_warm_age_seconds', 'Age of the oldest item in HOT LRU.', 'gauge', 'age_warm', isSegmented),

  // `stats slabs`, per slab class
  slabCommandsTotal,
  perSlab('memcached_slab_chunk_size_bytes', 'Number of bytes allocated to each chunk within this slab class.', 'chunk_size'),
  perSlab('memcached_slab_chunks_per_page', 'Number of chunks within a single page for this slab class.', 'chunks_per_page'),
  perSlab('memcached_slab_current_pages', 'Number of pages allocated to this slab class.', 'total_pages'),
  perSlab('memcached_slab_current_chunks', 'Number of chunks allocated to this slab class.', 'total_chunks'),
  perSlab('memcached_slab_chunks_used', 'Number of chunks allocated to an item.', 'used_chunks'),
  perSlab('memcached_slab_chunks_free', 'Number of chunks not yet allocated items.', 'free_chunks'),
  perSlab('memcached_slab_chunks_free_end', 'Number of free chunks at the end of the last allocated page.', 'free_chunks_end'),
];
