// What a running server is configured with: one frozen object built by config/ from argv and
// /etc/memcached.conf, read by every other layer. Field names say the unit; defaults are
// memcached 1.6.18's (memcached -h, `stats settings`).

export type BindingProtocol = 'auto' | 'ascii' | 'binary';

export interface ListenAddress {
  readonly host: string; // '0.0.0.0', '::', '127.0.0.1', '::1', a name
  readonly port: number; // TCP port for this address (from host:port or -p)
  readonly isIpv6: boolean;
  /** The -l entry named its port (host:port): memcached binds UDP on that port too, not on -U. */
  readonly explicitPort?: boolean;
  /** `notls:` prefix: this TCP listener stays clear when -Z is on. */
  readonly notls?: boolean;
}

/** -Z and its -o ssl_* options, as memcached 1.6.18 names them (`stats settings`). */
export interface SslSettings {
  readonly enabled: boolean; // -Z
  readonly chainCert: string | null; // ssl_chain_cert (PEM)
  readonly key: string | null; // ssl_key (PEM)
  readonly keyFormat: number; // ssl_keyformat: 1 = PEM (the only one memcachedts reads)
  readonly verifyMode: number; // 0 none, 1 request, 2 require, 3 once
  readonly ciphers: string | null; // ssl_ciphers
  readonly caCert: string | null; // ssl_ca_cert
  readonly wbufSizeBytes: number; // ssl_wbuf_size KiB * 1024 (reported only)
  readonly sessionCache: boolean; // ssl_session_cache: server-side session cache (net/tls-sessions.ts)
  readonly kernelTls: boolean; // ssl_kernel_tls (reported only)
  readonly minVersion: number; // 0 tlsv1 .. 3 tlsv1.3 (default 2)
}

/** ssl_min_version as `stats settings` prints it. */
export function minVersionName(n: number): string {
  return ['tlsv1', 'tlsv1.1', 'tlsv1.2', 'tlsv1.3'][n] ?? 'unknown';
}

export const DEFAULT_SSL: SslSettings = Object.freeze({
  enabled: false,
  chainCert: null,
  key: null,
  keyFormat: 1,
  verifyMode: 0,
  ciphers: null,
  caCert: null,
  wbufSizeBytes: 16 * 1024,
  sessionCache: false,
  kernelTls: false,
  minVersion: 2,
});

export interface Settings {
  readonly version: string; // reported as `VERSION 1.6.18` (memcached's), ours in -V
  readonly port: number; // -p; 0 = no TCP
  readonly udpPort: number; // -U; 0 = off
  readonly listen: readonly ListenAddress[]; // resolved -l list (empty when -s)
  readonly listenSpec: string; // the -l text as given, for `stats settings` inter (NULL when none)
  readonly unixSocketPath: string | null; // -s
  readonly unixSocketMask: number; // -a, numeric (0o700)
  readonly enableShutdown: boolean; // -A
  readonly daemonize: boolean; // -d
  readonly user: string | null; // -u
  readonly memLimitBytes: number; // -m MiB * 1 MiB
  readonly evictionsDisabled: boolean; // -M
  readonly maxConnections: number; // -c
  readonly verbosity: number; // -v count (0..3); changed at runtime by `verbosity`
  readonly pidFile: string | null; // -P
  readonly growthFactor: number; // -f
  /** -f as typed (memcached's restart metadata compares this string, not the number); "1.25" by default. */
  readonly slabConfig: string;
  /** -e: where a graceful stop saves the cache and the next start finds it (null = no restart). */
  readonly memoryFile: string | null;
  readonly chunkSizeMin: number; // -n (bytes for key+value+flags)
  readonly threads: number; // -t: serving threads
  readonly reqsPerEvent: number; // -R
  readonly casEnabled: boolean; // !-C
  readonly listenBacklog: number; // -b
  readonly bindingProtocol: BindingProtocol; // -B
  readonly itemSizeMax: number; // -I in bytes
  readonly saslEnabled: boolean; // -S
  readonly flushEnabled: boolean; // !-F
  readonly dumpEnabled: boolean; // !-X
  readonly watchEnabled: boolean; // !-W
  readonly authFile: string | null; // -Y
  readonly prefixDelimiter: string; // -D (default ':')
  readonly detailEnabled: boolean; // -D given turns detail on
  readonly idleTimeoutSec: number; // -o idle_timeout
  readonly slabChunkMax: number; // -o slab_chunk_max (bytes)
  readonly hashPowerInit: number; // -o hashpower (0 = default 16)
  readonly hashExpandDisabled: boolean; // -o no_hashexpand
  readonly trackSizes: boolean; // -o track_sizes
  /** -o debug_commands: memcached-debug's test-only commands (`debugtime`); release memcached has none. */
  readonly debugCommands: boolean;
  /** T_MEMD_INITIAL_MALLOC (memcached's test-suite hook): bytes counted as allocated at start. */
  readonly testInitialMallocBytes: number;
  readonly lruCrawler: boolean; // !-o no_lru_crawler
  readonly lruCrawlerSleepUs: number;
  readonly lruCrawlerToCrawl: number;
  readonly lruSegmented: boolean; // !-o no_lru_maintainer
  readonly hotLruPct: number;
  readonly warmLruPct: number;
  readonly hotMaxFactor: number;
  readonly warmMaxFactor: number;
  readonly temporaryTtl: number;
  readonly tempLru: boolean;
  readonly maxconnsFast: boolean;
  readonly tailRepairTime: number;
  readonly readBufMemLimitBytes: number; // -o read_buf_mem_limit (0 = off; protocol/conn-buffers.ts)
  readonly watcherLogbufSize: number;
  readonly workerLogbufSize: number;
  readonly slabReassign: boolean;
  readonly slabAutomove: number;
  readonly slabAutomoveRatio: number; // -o slab_automove_ratio (default 0.8)
  readonly slabAutomoveWindow: number; // -o slab_automove_window, in one-second samples (default 30)
  readonly hashAlgorithm: string; // reported; we use our own murmur3
  readonly multigetLineMax: number; // our cap on a get/gets line (bytes)
  readonly logFormat: 'text' | 'json'; // --log-format
  readonly configFile: string | null; // --config-file
  readonly logFile: string | null; // `logfile` from the Debian conf (honoured with -d outside systemd)
  /** -o metrics_listen=ADDR:PORT: the Prometheus endpoint (src/metrics/); null = off. */
  readonly metricsListen: { readonly host: string; readonly port: number } | null;
  readonly ssl: SslSettings;
}

export const MEMCACHED_VERSION = '1.6.18';
export const MIB = 1024 * 1024;

export const DEFAULT_SETTINGS: Settings = Object.freeze({
  version: MEMCACHED_VERSION,
  port: 11211,
  udpPort: 0,
  listen: [],
  listenSpec: '',
  unixSocketPath: null,
  unixSocketMask: 0o700,
  enableShutdown: false,
  daemonize: false,
  user: null,
  memLimitBytes: 64 * MIB,
  evictionsDisabled: false,
  maxConnections: 1024,
  verbosity: 0,
  pidFile: null,
  growthFactor: 1.25,
  slabConfig: '1.25',
  memoryFile: null,
  chunkSizeMin: 48,
  threads: 4, // memcached's default
  reqsPerEvent: 20,
  casEnabled: true,
  listenBacklog: 1024,
  bindingProtocol: 'auto',
  itemSizeMax: 1 * MIB,
  saslEnabled: false,
  flushEnabled: true,
  dumpEnabled: true,
  watchEnabled: true,
  authFile: null,
  prefixDelimiter: ':',
  detailEnabled: false,
  idleTimeoutSec: 0,
  slabChunkMax: 512 * 1024,
  hashPowerInit: 0,
  hashExpandDisabled: false,
  trackSizes: false,
  debugCommands: false,
  testInitialMallocBytes: 0,
  lruCrawler: true,
  lruCrawlerSleepUs: 100,
  lruCrawlerToCrawl: 0,
  lruSegmented: true,
  hotLruPct: 20,
  warmLruPct: 40,
  hotMaxFactor: 0.2,
  warmMaxFactor: 2.0,
  temporaryTtl: 61,
  tempLru: false,
  maxconnsFast: true,
  tailRepairTime: 0,
  readBufMemLimitBytes: 0,
  watcherLogbufSize: 256 * 1024,
  workerLogbufSize: 64 * 1024,
  slabReassign: true,
  slabAutomove: 1,
  slabAutomoveRatio: 0.8,
  slabAutomoveWindow: 30,
  hashAlgorithm: 'murmur3',
  multigetLineMax: 1 * MIB,
  logFormat: 'text',
  configFile: null,
  logFile: null,
  metricsListen: null,
  ssl: DEFAULT_SSL,
});

/** Settings for tests and embedding: the defaults with some fields replaced. */
export function makeSettings(overrides: Partial<Settings>): Settings {
  return Object.freeze({ ...DEFAULT_SETTINGS, ...overrides });
}
