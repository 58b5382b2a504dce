// `-o name[=value],...`: one row per option name, from the name to how its value is parsed and
// checked to the setting it changes, with memcached 1.6.18's messages (memcached.c's getsubopt
// loop). An unknown name fails with `Illegal suboption "<token>"`.

import { SLAB_PAGE_SIZE } from '../store/slab-classes.js';
import type { Settings, SslSettings } from '../config/settings.js';
import { MIB } from '../config/settings.js';
import { atof, atoi, safeStrtol, safeStrtoul } from '../config/sizes.js';
import { parseMetricsListen } from '../metrics/listen-address.js';
import { fail, notInNode, type Mutable } from './option-failure.js';


/** What the -o options decided besides settings (memcached's locals in main()). */
export interface ExtendedResult {
  slabChunkChanged: boolean;
  startLruMaintainer: boolean;
  /** -o slab_sizes, checked once -I and slab_chunk_max are known. */
  slabSizes: string | null;
}

interface OptionTarget {
  readonly s: Mutable<Settings>;
  readonly r: ExtendedResult;
  /** A warning printed once however often the option is given. */
  warnOnce(name: string, text: string): void;
  readonly warnings: string[];
}

/** Applies one option: value is undefined when the token has no `=`. */
type OptionRow = (t: OptionTarget, value: string | undefined, name: string) => void;

/** An option that takes no value (a value given is ignored, as getsubopt leaves it). */
function flag(apply: (t: OptionTarget) => void): OptionRow {
  return (t) => apply(t);
}

/** An option whose value must be there: `missing` is memcached's line when it is not. */
function valued(missing: string, apply: (t: OptionTarget, value: string, name: string) => void): OptionRow {
  return (t, value, name) => {
    if (value === undefined) fail(missing);
    apply(t, value, name);
  };
}

/** strtoul/strtol as memcached's safe_ wrappers: text that is no number fails with `could not parse argument to <name>`. */
function strtoulOf(value: string, name: string): number {
  const n = safeStrtoul(value);
  if (n === null) fail(`could not parse argument to ${name}`);
  return n;
}

function strtolOf(value: string, name: string): number {
  const n = safeStrtol(value);
  if (n === null) fail(`could not parse argument to ${name}`);
  return n;
}

const ignored: OptionRow = () => undefined;

/** ssl_chain_cert, ssl_key, ssl_ciphers, ssl_ca_cert: text kept for the TLS context. */
function sslText(field: keyof SslSettings): OptionRow {
  return (t, value, name) => {
    if (value === undefined) fail(`Missing ${name} argument`);
    t.s.ssl = { ...t.s.ssl, [field]: value };
  };
}

function sslLevel(field: 'verifyMode' | 'minVersion'): OptionRow {
  return (t, value, name) => {
    if (value === undefined) fail(`Missing ${name} argument`);
    const n = strtolOf(value, name);
    if (n < 0 || n > 3) fail(`Invalid ${name}. Use help to see valid options.`);
    t.s.ssl = { ...t.s.ssl, [field]: n };
  };
}

const extstore: OptionRow = (t, _value, name) => t.warnOnce(name, notInNode(`-o ${name} (extstore)`));

const ROWS: ReadonlyArray<readonly [string, OptionRow]> = [
  ['maxconns_fast', flag((t) => { t.s.maxconnsFast = true; })],
  ['no_maxconns_fast', flag((t) => { t.s.maxconnsFast = false; })],
  ['hashpower', valued('Missing numeric argument for hashpower', (t, v) => {
    const n = atoi(v);
    if (n < 12) fail(`Initial hashtable multiplier of ${n} is too low`);
    if (n > 32) {
      fail(`Initial hashtable multiplier of ${n} is too high\nChoose a value based on "STAT hash_power_level" from a running instance`);
    }
    t.s.hashPowerInit = n;
  })],
  ['no_hashexpand', flag((t) => { t.s.hashExpandDisabled = true; })],
  ['slab_reassign', flag((t) => { t.s.slabReassign = true; })],
  ['no_slab_reassign', flag((t) => { t.s.slabReassign = false; })],
  ['slab_automove', (t, v) => {
    const n = v === undefined ? 1 : atoi(v);
    if (n < 0 || n > 2) fail('slab_automove must be between 0 and 2');
    t.s.slabAutomove = n;
  }],
  ['no_slab_automove', flag((t) => { t.s.slabAutomove = 0; })],
  ['slab_automove_ratio', valued('Missing slab_automove_ratio argument', (t, v) => {
    const n = atof(v);
    if (n <= 0 || n > 1) fail('slab_automove_ratio must be > 0 and < 1');
    t.s.slabAutomoveRatio = n;
  })],
  ['slab_automove_window', valued('Missing slab_automove_window argument', (t, v) => {
    const n = atoi(v);
    if (n < 3) fail('slab_automove_window must be > 2');
    t.s.slabAutomoveWindow = n;
  })],
  ['tail_repair_time', valued('Missing numeric argument for tail_repair_time', (t, v) => {
    const n = atoi(v);
    if (n < 10) fail('Cannot set tail_repair_time to less than 10 seconds');
    t.s.tailRepairTime = n;
  })],
  ['hash_algorithm', valued('Missing hash_algorithm argument', (t, v) => {
    if (v !== 'jenkins' && v !== 'murmur3' && v !== 'xxh3') fail('Unknown hash_algorithm option (jenkins, murmur3, xxh3)');
    t.s.hashAlgorithm = v;
  })],
  ['lru_crawler', flag((t) => { t.s.lruCrawler = true; })],
  ['no_lru_crawler', flag((t) => { t.s.lruCrawler = false; })],
  ['lru_crawler_sleep', valued('Missing lru_crawler_sleep value', (t, v) => {
    const n = atoi(v);
    if (n > 1000000 || n < 0) fail('LRU crawler sleep must be between 0 and 1 second');
    t.s.lruCrawlerSleepUs = n;
  })],
  ['lru_crawler_tocrawl', valued('Missing lru_crawler_tocrawl value', (t, v) => {
    const n = safeStrtoul(v);
    if (n === null) fail('lru_crawler_tocrawl takes a numeric 32bit value');
    t.s.lruCrawlerToCrawl = n;
  })],
  ['lru_maintainer', flag((t) => {
    t.r.startLruMaintainer = true;
    t.s.lruSegmented = true;
  })],
  ['no_lru_maintainer', flag((t) => {
    t.r.startLruMaintainer = false;
    t.s.lruSegmented = false;
  })],
  ['hot_lru_pct', valued('Missing hot_lru_pct argument', (t, v) => {
    const n = atoi(v);
    if (n < 1 || n >= 80) fail('hot_lru_pct must be > 1 and < 80');
    t.s.hotLruPct = n;
  })],
  ['warm_lru_pct', valued('Missing warm_lru_pct argument', (t, v) => {
    const n = atoi(v);
    if (n < 1 || n >= 80) fail('warm_lru_pct must be > 1 and < 80');
    t.s.warmLruPct = n;
  })],
  ['hot_max_factor', valued('Missing hot_max_factor argument', (t, v) => {
    const n = atof(v);
    if (n <= 0) fail('hot_max_factor must be > 0');
    t.s.hotMaxFactor = n;
  })],
  ['warm_max_factor', valued('Missing warm_max_factor argument', (t, v) => {
    const n = atof(v);
    if (n <= 0) fail('warm_max_factor must be > 0');
    t.s.warmMaxFactor = n;
  })],
  ['temporary_ttl', valued('Missing temporary_ttl argument', (t, v) => {
    t.s.temporaryTtl = atoi(v);
    t.s.tempLru = true;
  })],
  ['idle_timeout', valued('Missing numeric argument for idle_timeout', (t, v) => { t.s.idleTimeoutSec = atoi(v); })],
  ['watcher_logbuf_size', valued('Missing watcher_logbuf_size argument', (t, v, name) => {
    t.s.watcherLogbufSize = strtoulOf(v, name) * 1024;
  })],
  ['worker_logbuf_size', valued('Missing worker_logbuf_size argument', (t, v, name) => {
    t.s.workerLogbufSize = strtoulOf(v, name) * 1024;
    // memcached 1.6.18 falls through into slab_sizes here (no break): the same value is
    // also checked as a slab size list, so below 48 or above slab_chunk_max it exits 64.
    t.r.slabSizes = v;
  })],
  ['slab_sizes', valued('Missing slab_sizes argument', (t, v) => { t.r.slabSizes = v; })],
  // memcached reads bytes here (its help text says kilobytes) and, on a bad value, prints the
  // message and carries on into a division by zero: we stop instead.
  ['slab_chunk_max', valued('Missing slab_chunk_max argument', (t, v, name) => {
    t.s.slabChunkMax = strtolOf(v, name);
    t.r.slabChunkChanged = true;
  })],
  ['track_sizes', flag((t) => { t.s.trackSizes = true; })],
  // Ours: what memcached compiles in only for memcached-debug (its t/ suite needs it).
  ['debug_commands', flag((t) => { t.s.debugCommands = true; })],
  // Ours: the Prometheus endpoint (src/metrics/); checked against the ports once known.
  ['metrics_listen', valued('Missing metrics_listen argument (ADDRESS:PORT)', (t, v) => {
    const address = parseMetricsListen(v);
    if ('error' in address) fail(address.error);
    t.s.metricsListen = address;
  })],
  ['no_inline_ascii_resp', ignored],
  ['inline_ascii_resp', ignored],
  ['modern', ignored],
  ['drop_privileges', ignored],
  ['no_drop_privileges', ignored],
  // memcached's debug build (memcached-debug, what its t/ suite starts) takes this to loosen
  // its seccomp filter; release builds reject it. We have no seccomp, so it means nothing,
  // but accepting it lets the suite start us unchanged.
  ['relaxed_privileges', ignored],
  ['no_chunked_items', flag((t) => { t.s.slabChunkMax = SLAB_PAGE_SIZE; })],
  ['no_modern', flag(({ s, r }) => {
    if (!r.slabChunkChanged) s.slabChunkMax = SLAB_PAGE_SIZE;
    s.slabReassign = false;
    s.slabAutomove = 0;
    s.maxconnsFast = false;
    s.lruSegmented = false;
    s.hashAlgorithm = 'jenkins';
    s.lruCrawler = false;
    r.startLruMaintainer = false;
  })],
  ['resp_obj_mem_limit', flag((t) => {
    t.warnings.push('DEPRECATED: resp_obj_mem_limit no longer used. See read_buf_mem_limit,');
  })],
  ['read_buf_mem_limit', valued('Missing read_buf_mem_limit argument', (t, v, name) => {
    t.s.readBufMemLimitBytes = strtoulOf(v, name) * MIB;
  })],
  ['ssl_verify_mode', sslLevel('verifyMode')],
  ['ssl_min_version', sslLevel('minVersion')],
  ['ssl_keyformat', valued('Missing ssl_keyformat argument', (t, v, name) => {
    t.s.ssl = { ...t.s.ssl, keyFormat: strtolOf(v, name) };
  })],
  // reported; Node's TLS sizes its own records
  ['ssl_wbuf_size', valued('Missing ssl_wbuf_size argument', (t, v, name) => {
    t.s.ssl = { ...t.s.ssl, wbufSizeBytes: strtoulOf(v, name) * 1024 };
  })],
  ['ssl_chain_cert', sslText('chainCert')],
  ['ssl_key', sslText('key')],
  ['ssl_ciphers', sslText('ciphers')],
  ['ssl_ca_cert', sslText('caCert')],
  ['ssl_session_cache', flag((t) => { t.s.ssl = { ...t.s.ssl, sessionCache: true }; })],
  ['ssl_kernel_tls', (t, _v, name) => {
    t.s.ssl = { ...t.s.ssl, kernelTls: true };
    t.warnOnce(name, notInNode('-o ssl_kernel_tls (kernel TLS offload)'));
  }],
  ['sock_cookie_id', (t, _v, name) => t.warnOnce(name, notInNode(`-o ${name}`))],
  ['ext_path', extstore],
  ['ext_page_size', extstore],
  ['ext_wbuf_size', extstore],
  ['ext_threads', extstore],
  ['ext_io_depth', extstore],
  ['ext_item_size', extstore],
  ['ext_item_age', extstore],
  ['ext_low_ttl', extstore],
  ['ext_recache_rate', extstore],
  ['ext_compact_under', extstore],
  ['ext_drop_under', extstore],
  ['ext_max_sleep', extstore],
  ['ext_max_frag', extstore],
  ['ext_drop_unread', extstore],
  ['slab_automove_freeratio', extstore],
];

const OPTIONS: ReadonlyMap<string, OptionRow> = new Map(ROWS);

/** `-o a,b=1,...` lists in order, as memcached's getsubopt loop reads them. */
export function applyExtendedOptions(lists: readonly string[], s: Mutable<Settings>, warnings: string[]): ExtendedResult {
  const r: ExtendedResult = { slabChunkChanged: false, startLruMaintainer: true, slabSizes: null };
  const warned = new Set<string>();
  const target: OptionTarget = {
    s,
    r,
    warnings,
    warnOnce(name, text) {
      if (warned.has(name)) return;
      warned.add(name);
      warnings.push(text);
    },
  };
  for (const list of lists) {
    // getsubopt walks the string to its end: an empty list, or ",," gives an empty token.
    const tokens = list === '' ? [] : list.split(',');
    for (const token of tokens) {
      const eq = token.indexOf('=');
      const name = eq === -1 ? token : token.slice(0, eq);
      const row = OPTIONS.get(name);
      if (row === undefined) fail(`Illegal suboption "${token}"`);
      row(target, eq === -1 ? undefined : token.slice(eq + 1), name);
    }
  }
  return r;
}
