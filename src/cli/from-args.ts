// argv (+ --config-file) → frozen Settings, with memcached 1.6.18's meaning for every flag:
// the same C number parsing (atoi, atof, strtol base 8), the same checks in the same order and
// the same error lines (memcached.c main()). memcached exits 1 for several of these; we exit 64
// (EX_USAGE) for every bad flag or value so that scripts see one code for "bad command line".

import { ConfigError, ExitCode } from '../errors.js';
import { applyExtendedOptions } from './extended-options.js';
import { MAX_SLAB_CLASSES, SLAB_PAGE_SIZE } from '../store/slab-classes.js';
import { fail, notInNode, type Mutable } from './option-failure.js';
import { parseRawOptions, type RawOptions } from './program.js';
import { readDebianConf, underSystemd, type DebianConf } from '../config/debian-conf.js';
import { joinListenArgs, parseListenSpec } from '../config/listen-spec.js';
import { DEFAULT_SETTINGS, MEMCACHED_VERSION, MIB, type BindingProtocol, type Settings } from '../config/settings.js';
import { atof, atoi, parseItemSize, safeStrtoll, safeStrtoul, strtolOctal } from '../config/sizes.js';

const ITEM_SIZE_MAX_LOWER_LIMIT = 1024;
const ITEM_SIZE_MAX_UPPER_LIMIT = 1024 * MIB;
const CHUNK_ALIGN_BYTES = 8;

export type Env = Readonly<Record<string, string | undefined>>;

export type ParsedCommandLine =
  | { readonly action: 'help' | 'version' | 'license' }
  | {
      readonly action: 'run';
      readonly settings: Settings;
      /** One line each, printed on stderr before starting (flags that cannot apply, etc.). */
      readonly warnings: readonly string[];
    };

export interface ParseDeps {
  readonly env?: Env;
  readonly readConf?: (path: string) => DebianConf;
}

interface Segment {
  readonly raw: RawOptions;
  readonly conf: DebianConf | null;
}

/** Splits argv at each `--config-file PATH`; the file's flags sit where the option stood. */
function segmentArgv(argv: readonly string[], readConf: (path: string) => DebianConf): { segments: Segment[]; configFile: string | null } {
  const segments: Segment[] = [];
  let configFile: string | null = null;
  let pending: string[] = [];
  const flush = (): void => {
    if (pending.length > 0) segments.push({ raw: parseRawOptions(pending), conf: null });
    pending = [];
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--') {
      pending.push(...argv.slice(i));
      break;
    }
    let path: string | undefined;
    if (a === '--config-file') {
      path = argv[i + 1];
      if (path === undefined) throw new ConfigError(`memcachedts: option '--config-file' requires an argument\nIllegal argument "?"`);
      i++;
    } else if (a.startsWith('--config-file=')) {
      path = a.slice('--config-file='.length);
    }
    if (path === undefined) {
      pending.push(a);
      continue;
    }
    flush();
    configFile = path;
    const conf = readConf(path);
    segments.push({ raw: parseRawOptions(conf.args), conf });
  }
  flush();
  return { segments, configFile };
}

/** Later segments win; -l and -v of a later segment replace earlier ones; -o lists add up. */
function mergeSegments(segments: readonly Segment[]): RawOptions {
  const merged: RawOptions = { listen: [], extended: [], verbose: 0 };
  const out = merged as unknown as Record<string, unknown>;
  for (const { raw } of segments) {
    for (const [key, value] of Object.entries(raw)) {
      if (value === undefined) continue;
      if (key === 'listen') {
        if ((value as string[]).length > 0) merged.listen = [...(value as string[])];
      } else if (key === 'extended') {
        merged.extended.push(...(value as string[]));
      } else if (key === 'verbose') {
        if ((value as number) > 0) merged.verbose = value as number;
      } else {
        out[key] = value;
      }
    }
  }
  return merged;
}

function firstOf(argv: readonly string[], raw: RawOptions): 'help' | 'version' | 'license' | null {
  const wanted: Array<['help' | 'version' | 'license', boolean | undefined, string[]]> = [
    ['help', raw.help, ['-h', '--help']],
    ['license', raw.license, ['-i', '--license']],
    ['version', raw.version, ['-V', '--version']],
  ];
  let best: 'help' | 'version' | 'license' | null = null;
  let bestAt = Infinity;
  for (const [action, isSet, tokens] of wanted) {
    if (isSet !== true) continue;
    const at = argv.findIndex((a) => tokens.includes(a));
    const pos = at === -1 ? argv.length : at; // combined short flags (-vh): keep h, i, V order
    if (best === null || pos < bestAt) {
      best = action;
      bestAt = pos;
    }
  }
  return best;
}

/** memcachedts's argv → what to do. Throws ConfigError with memcached's message and exit code. */
export function parseCommandLine(argv: readonly string[], deps: ParseDeps = {}): ParsedCommandLine {
  const env = deps.env ?? process.env;
  const { segments, configFile } = segmentArgv(argv, deps.readConf ?? readDebianConf);
  const raw = mergeSegments(segments);
  const action = firstOf(argv, raw);
  if (action !== null) return { action };
  const conf = [...segments].reverse().find((s) => s.conf !== null)?.conf ?? null;
  return settingsFromRaw(raw, { env, conf, configFile });
}

interface BuildContext {
  readonly env: Env;
  readonly conf: DebianConf | null;
  readonly configFile: string | null;
}

/**
 * Raw option strings → Settings, checking as memcached's main() does. memcached prints its
 * warnings as its getopt loop meets the flags, so a flag that fails later still follows them:
 * a failure carries the warnings gathered before it, in front of its own line.
 */
export function settingsFromRaw(raw: RawOptions, ctx: BuildContext): ParsedCommandLine {
  const warnings: string[] = [];
  try {
    return buildSettings(raw, ctx, warnings);
  } catch (e: unknown) {
    if (!(e instanceof ConfigError) || warnings.length === 0) throw e;
    throw new ConfigError([...warnings, e.message].join('\n'), e.exitCode);
  }
}

function buildSettings(raw: RawOptions, ctx: BuildContext, warnings: string[]): ParsedCommandLine {
  const s: Mutable<Settings> = { ...DEFAULT_SETTINGS, version: MEMCACHED_VERSION };

  // --- flags, as memcached's getopt loop reads them ---
  const tcpSpecified = raw.port !== undefined;
  const udpSpecified = raw.udpPort !== undefined;
  if (raw.port !== undefined) s.port = atoi(raw.port);
  if (raw.udpPort !== undefined) s.udpPort = atoi(raw.udpPort);
  if (raw.unixSocket !== undefined) s.unixSocketPath = raw.unixSocket;
  if (raw.unixMask !== undefined) s.unixSocketMask = strtolOctal(raw.unixMask);
  if (raw.enableShutdown === true) s.enableShutdown = true;
  if (raw.memoryLimit !== undefined) s.memLimitBytes = atoi(raw.memoryLimit) * MIB;
  if (raw.disableEvictions === true) s.evictionsDisabled = true;
  if (raw.connLimit !== undefined) {
    s.maxConnections = atoi(raw.connLimit);
    if (s.maxConnections <= 0) fail('Maximum connections must be greater than 0');
  }
  if (raw.lockMemory === true) warnings.push(notInNode('-k (lock down paged memory: Node cannot mlockall)'));
  s.verbosity = raw.verbose;
  if (raw.daemon === true) s.daemonize = true;
  if (raw.enableCoredumps === true) warnings.push(notInNode('-r (maximize core file limit: Node cannot setrlimit)'));
  if (raw.maxReqsPerEvent !== undefined) {
    s.reqsPerEvent = atoi(raw.maxReqsPerEvent);
    if (s.reqsPerEvent <= 0) fail('Number of requests per event must be greater than 0');
  }
  if (raw.user !== undefined) s.user = raw.user;
  if (raw.pidfile !== undefined) s.pidFile = raw.pidfile;
  if (raw.memoryFile !== undefined) s.memoryFile = raw.memoryFile;
  if (raw.slabGrowthFactor !== undefined) {
    s.growthFactor = atof(raw.slabGrowthFactor);
    if (s.growthFactor <= 1.0) fail('Factor must be greater than 1');
    s.slabConfig = raw.slabGrowthFactor;
  }
  if (raw.slabMinSize !== undefined) {
    s.chunkSizeMin = atoi(raw.slabMinSize);
    if (s.chunkSizeMin <= 0) fail('Chunk size must be greater than 0');
  }
  if (raw.threads !== undefined) {
    s.threads = atoi(raw.threads);
    if (s.threads <= 0) fail('Number of threads must be greater than 0');
    if (s.threads > 64) {
      warnings.push('WARNING: Setting a high number of workerthreads is not recommended.\n Set this value to the number of cores in your machine or less.');
    }
  }
  if (raw.D !== undefined) {
    if (raw.D === '') fail('No delimiter specified');
    s.prefixDelimiter = raw.D.charAt(0);
    s.detailEnabled = true;
  }
  if (raw.enableLargepages === true) warnings.push(notInNode('-L (large memory pages)'));
  if (raw.disableCas === true) s.casEnabled = false;
  if (raw.listenBacklog !== undefined) s.listenBacklog = atoi(raw.listenBacklog);
  const protocolSpecified = raw.protocol !== undefined;
  if (raw.protocol !== undefined) {
    if (raw.protocol !== 'auto' && raw.protocol !== 'binary' && raw.protocol !== 'ascii') {
      fail(`Invalid value for binding protocol: ${raw.protocol}\n -- should be one of auto, binary, or ascii`);
    }
    s.bindingProtocol = raw.protocol satisfies BindingProtocol;
  }
  if (raw.maxItemSize !== undefined) s.itemSizeMax = parseItemSize(raw.maxItemSize);
  if (raw.enableSasl === true) s.saslEnabled = true;
  if (raw.disableFlushAll === true) s.flushEnabled = false;
  if (raw.disableDumping === true) s.dumpEnabled = false;
  if (raw.disableWatch === true) s.watchEnabled = false;
  if (raw.authFile !== undefined) s.authFile = raw.authFile;
  if (raw.enableSsl === true) s.ssl = { ...s.ssl, enabled: true };
  let napiIds = 0;
  if (raw.napiIds !== undefined) {
    napiIds = atoi(raw.napiIds);
    if (napiIds <= 0) fail('Maximum number of NAPI IDs must be greater than 0');
    warnings.push(notInNode('-N (NAPI ids)'));
  }
  const ext = applyExtendedOptions(raw.extended, s, warnings);

  // --- checks after the loop, in memcached's order ---
  if (napiIds > s.threads) {
    fail(`Number of napi_ids(${napiIds}) cannot be greater than number of threads(${s.threads})`);
  }
  if (s.itemSizeMax < ITEM_SIZE_MAX_LOWER_LIMIT) fail('Item max size cannot be less than 1024 bytes.');
  if (s.itemSizeMax > s.memLimitBytes / 2) fail('Cannot set item size limit higher than 1/2 of memory max.');
  if (s.itemSizeMax > ITEM_SIZE_MAX_UPPER_LIMIT) fail('Cannot set item size limit higher than a gigabyte.');
  if (s.itemSizeMax > MIB && !ext.slabChunkChanged) s.slabChunkMax = SLAB_PAGE_SIZE / 2;
  if (s.slabChunkMax > s.itemSizeMax) {
    fail(`slab_chunk_max (bytes: ${s.slabChunkMax}) cannot be larger than -I (item_size_max ${s.itemSizeMax})`);
  }
  if (s.slabChunkMax <= 0 || s.itemSizeMax % s.slabChunkMax !== 0) {
    fail(`-I (item_size_max: ${s.itemSizeMax}) must be evenly divisible by slab_chunk_max (bytes: ${s.slabChunkMax})`);
  }
  if (SLAB_PAGE_SIZE % s.slabChunkMax !== 0) {
    fail(`slab_chunk_max (bytes: ${s.slabChunkMax}) must divide evenly into ${SLAB_PAGE_SIZE} (slab_page_size)`);
  }
  if (ext.slabSizes !== null) {
    checkSlabSizes(ext.slabSizes, s);
    warnings.push(notInNode('-o slab_sizes (classes follow -f and -n)'));
  }
  if (s.hotLruPct + s.warmLruPct > 80) fail('hot_lru_pct + warm_lru_pct cannot be more than 80% combined');
  if (s.tempLru && !ext.startLruMaintainer) fail('temporary_ttl requires lru_maintainer to be enabled');

  if (s.saslEnabled) {
    if (!protocolSpecified) s.bindingProtocol = 'binary';
    else if (s.bindingProtocol !== 'binary') fail('ERROR: You cannot allow the ASCII protocol while using SASL.');
    if (s.udpPort !== 0) fail('ERROR: Cannot enable UDP while using binary SASL authentication.');
  }
  if (s.authFile !== null) {
    if (!protocolSpecified) s.bindingProtocol = 'ascii';
    else if (s.bindingProtocol !== 'ascii') {
      fail('ERROR: You cannot allow the BINARY protocol while using ascii authentication tokens.');
    }
  }
  if (udpSpecified && s.udpPort !== 0 && !tcpSpecified) s.port = s.udpPort;
  // Negative ports pass here as in memcached: -1 binds an ephemeral port, and the others fail
  // when binding (server.ts), with getaddrinfo's message.
  if (s.port > 65535) fail(`ERROR: Invalid port number ${s.port}.`);
  if (s.udpPort > 65535) fail(`ERROR: Invalid port number ${s.udpPort}.`);
  if (s.authFile !== null && s.udpPort !== 0) fail('Cannot use UDP with ascii authentication enabled (-U 0 to disable)');
  if (s.memLimitBytes <= 0) fail('Cannot set item size limit higher than 1/2 of memory max.');
  // (the certificate and key are read when the server starts: net/tls-context.ts)
  if (s.ssl.enabled && s.port === 0) fail('ERROR: You cannot enable SSL without a TCP port.');

  // memcached's slabs_init reads this test hook from the environment in every build.
  const initialMalloc = ctx.env['T_MEMD_INITIAL_MALLOC'];
  if (initialMalloc !== undefined) {
    const n = safeStrtoll(initialMalloc);
    // memcached casts a negative value to a huge size_t; we ignore it, as an unparsable one.
    if (n !== null && n >= 0) s.testInitialMallocBytes = n;
  }

  // --- ours ---
  if (raw.logFormat !== undefined) {
    if (raw.logFormat !== 'text' && raw.logFormat !== 'json') {
      fail(`Invalid value for --log-format: ${raw.logFormat}\n -- should be one of text or json`);
    }
    s.logFormat = raw.logFormat;
  }
  s.configFile = ctx.configFile;
  if (ctx.conf !== null) {
    s.logFile = ctx.conf.logFile;
    // Debian's systemd wrapper drops -d; start-memcached (sysv) detaches and honours logfile.
    if (ctx.conf.daemonize && !underSystemd(ctx.env)) s.daemonize = true;
  }

  // --- listeners ---
  s.listenSpec = joinListenArgs(raw.listen);
  if (s.unixSocketPath !== null) {
    s.listen = [];
  } else {
    const listen = parseListenSpec(raw.listen, s.port, (m) => warnings.push(m));
    if ('error' in listen) {
      fail(`${listen.error}\nfailed to listen on one of interface(s) ${s.listenSpec}`, ExitCode.OsErr);
    }
    s.listen = listen;
  }
  if (s.metricsListen !== null) checkMetricsPort(s);
  return { action: 'run', settings: Object.freeze(s), warnings };
}

/** The metrics endpoint never shares a port with the cache (TCP -p, -U, or an -l host:port). */
function checkMetricsPort(s: Settings): void {
  const m = s.metricsListen!;
  const cachePorts = new Set<number>();
  if (s.unixSocketPath === null) {
    if (s.port !== 0) cachePorts.add(s.port);
    if (s.udpPort !== 0) cachePorts.add(s.udpPort);
    for (const a of s.listen) if (a.port !== 0) cachePorts.add(a.port);
  }
  if (cachePorts.has(m.port)) {
    fail(`metrics_listen: port ${m.port} is a memcached port; give the metrics endpoint its own (9150 is memcached_exporter's)`);
  }
}

function checkSlabSizes(list: string, s: Settings): void {
  let last = 0;
  let count = 0;
  if (list.length < 1) fail('slab size 0 is out of valid range');
  for (const part of list.split('-')) {
    if (part === '') continue; // strtok_r skips empty fields
    const size = safeStrtoul(part);
    if (size === null || size < s.chunkSizeMin || size > s.slabChunkMax) fail(`slab size ${size ?? 0} is out of valid range`);
    if (last >= size) fail(`slab size ${size} cannot be lower than or equal to a previous class size`);
    if (size <= last + CHUNK_ALIGN_BYTES) fail(`slab size ${size} must be at least ${CHUNK_ALIGN_BYTES} bytes larger than previous class`);
    last = size;
    count++;
    if (count >= MAX_SLAB_CLASSES - 1) fail('too many slab classes specified');
  }
}
