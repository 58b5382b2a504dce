// The command line: every flag of memcached 1.6.18's `memcached -h`, with the same short and
// long names, plus our own --config-file and --log-format. Parsing only collects the strings as
// given (config/from-args.ts gives them meaning, with memcached's rules); nothing here has side
// effects. Errors come back as ConfigError with getopt-style text ("unrecognized option").

import { Command, CommanderError } from 'commander';
import { ConfigError, ExitCode } from '../errors.js';

export const PROGRAM_NAME = 'memcachedts';
export const PROGRAM_VERSION = '0.1.0';
export const VERSION_LINE = `${PROGRAM_NAME} ${PROGRAM_VERSION} (memcached 1.6.18 compatible)`;

/** Option values exactly as given; repeated -l and -o are kept in order, -v is counted. */
export interface RawOptions {
  port?: string; // -p
  udpPort?: string; // -U
  unixSocket?: string; // -s
  unixMask?: string; // -a
  enableShutdown?: boolean; // -A
  listen: string[]; // -l, every occurrence
  daemon?: boolean; // -d
  enableCoredumps?: boolean; // -r
  user?: string; // -u
  memoryLimit?: string; // -m
  disableEvictions?: boolean; // -M
  connLimit?: string; // -c
  lockMemory?: boolean; // -k
  verbose: number; // -v count
  help?: boolean; // -h
  license?: boolean; // -i
  version?: boolean; // -V
  pidfile?: string; // -P
  slabGrowthFactor?: string; // -f
  slabMinSize?: string; // -n
  enableLargepages?: boolean; // -L
  D?: string; // -D (memcached has no long name for it)
  threads?: string; // -t
  maxReqsPerEvent?: string; // -R
  disableCas?: boolean; // -C
  listenBacklog?: string; // -b
  protocol?: string; // -B
  maxItemSize?: string; // -I
  enableSasl?: boolean; // -S
  disableFlushAll?: boolean; // -F
  disableDumping?: boolean; // -X
  disableWatch?: boolean; // -W
  authFile?: string; // -Y
  memoryFile?: string; // -e
  enableSsl?: boolean; // -Z
  extended: string[]; // -o, every occurrence
  napiIds?: string; // -N
  configFile?: string; // --config-file (ours)
  logFormat?: string; // --log-format (ours)
}

interface FlagSpec {
  readonly flags: string;
  readonly help: string;
}

// Order and wording follow `memcached -h` of 1.6.18.
const FLAGS: readonly FlagSpec[] = [
  { flags: '-p, --port <num>', help: 'TCP port to listen on (default: 11211)' },
  { flags: '-U, --udp-port <num>', help: 'UDP port to listen on (default: 0, off)' },
  { flags: '-s, --unix-socket <file>', help: 'UNIX socket to listen on (disables network support)' },
  { flags: '-a, --unix-mask <mask>', help: 'access mask for UNIX socket, in octal (default: 700)' },
  { flags: '-A, --enable-shutdown', help: 'enable ascii "shutdown" command' },
  { flags: '-l, --listen <addr>', help: 'interface to listen on (default: INADDR_ANY)' },
  { flags: '-d, --daemon', help: 'run as a daemon' },
  { flags: '-r, --enable-coredumps', help: 'maximize core file limit' },
  { flags: '-u, --user <user>', help: 'assume identity of <username> (only when run as root)' },
  { flags: '-m, --memory-limit <num>', help: 'item memory in megabytes (default: 64)' },
  { flags: '-M, --disable-evictions', help: 'return error on memory exhausted instead of evicting' },
  { flags: '-c, --conn-limit <num>', help: 'max simultaneous connections (default: 1024)' },
  { flags: '-k, --lock-memory', help: 'lock down all paged memory' },
  { flags: '-h, --help', help: 'print this help and exit' },
  { flags: '-i, --license', help: 'print memcached and libevent license' },
  { flags: '-V, --version', help: 'print version and exit' },
  { flags: '-P, --pidfile <file>', help: 'save PID in <file>' },
  { flags: '-f, --slab-growth-factor <num>', help: 'chunk size growth factor (default: 1.25)' },
  { flags: '-n, --slab-min-size <bytes>', help: 'min space used for key+value+flags (default: 48)' },
  { flags: '-L, --enable-largepages', help: 'try to use large memory pages (if available)' },
  { flags: '-D <char>', help: 'Use <char> as the delimiter between key prefixes and IDs' },
  { flags: '-t, --threads <num>', help: 'number of threads to use (default: 4)' },
  { flags: '-R, --max-reqs-per-event <num>', help: 'maximum number of requests per event (default: 20)' },
  { flags: '-C, --disable-cas', help: 'disable use of CAS' },
  { flags: '-b, --listen-backlog <num>', help: 'set the backlog queue limit (default: 1024)' },
  { flags: '-B, --protocol <name>', help: 'protocol - one of ascii, binary, or auto (default: auto-negotiate)' },
  { flags: '-I, --max-item-size <num>', help: 'adjusts max item size (default: 1m, min: 1k, max: 1024m)' },
  { flags: '-S, --enable-sasl', help: 'turn on Sasl authentication' },
  { flags: '-F, --disable-flush-all', help: 'disable flush_all command' },
  { flags: '-X, --disable-dumping', help: 'disable stats cachedump and lru_crawler metadump' },
  { flags: '-W, --disable-watch', help: 'disable watch commands (live logging)' },
  { flags: '-Y, --auth-file <file>', help: 'enable ASCII protocol authentication' },
  { flags: '-e, --memory-file <file>', help: 'mmap a file for item memory' },
  { flags: '-Z, --enable-ssl', help: 'enable TLS/SSL' },
  { flags: '-N, --napi-ids <num>', help: 'number of napi ids' },
  { flags: '--config-file <path>', help: 'read flags from a Debian /etc/memcached.conf' },
  { flags: '--log-format <format>', help: 'text (memcached lines) or json (pino)' },
];

/** A fresh commander program (commander keeps state per parse, so one per call). */
export function buildProgram(): Command {
  const program = new Command(PROGRAM_NAME);
  program
    .helpOption(false)
    .exitOverride()
    .allowExcessArguments(true) // getopt leaves operands alone and memcached ignores them
    .showSuggestionAfterError(false)
    .configureOutput({ writeOut: () => {}, writeErr: () => {} });
  for (const spec of FLAGS) {
    if (spec.flags.startsWith('-l,')) {
      program.option(spec.flags, spec.help, (v: string, prev: string[]) => [...prev, v], [] as string[]);
    } else {
      program.option(spec.flags, spec.help);
    }
  }
  program.option('-v, --verbose', 'verbose (repeat for more)', (_v: string, prev: number) => prev + 1, 0);
  program.option('-o, --extended <list>', 'comma separated list of extended options', (v: string, prev: string[]) => [...prev, v], [] as string[]);
  return program;
}

/** memcached's getopt_long accepts `--verbose=N` (and ignores N): so do we. */
function normaliseArgv(argv: readonly string[]): string[] {
  return argv.map((a) => (a.startsWith('--verbose=') ? '--verbose' : a));
}

/** Parses one argv segment into raw option strings; throws ConfigError (exit 64) like getopt. */
export function parseRawOptions(argv: readonly string[]): RawOptions {
  const program = buildProgram();
  const args = normaliseArgv(argv);
  try {
    program.parse(args, { from: 'user' });
  } catch (e: unknown) {
    if (e instanceof CommanderError) throw new ConfigError(getoptMessage(e, args), ExitCode.Usage);
    throw e;
  }
  return program.opts<RawOptions>();
}

function getoptMessage(e: CommanderError, argv: readonly string[]): string {
  const quoted = /'([^']*)'/.exec(e.message)?.[1] ?? '';
  if (e.code === 'commander.unknownOption') {
    const what = quoted.startsWith('--') ? `unrecognized option '${quoted}'` : `invalid option -- '${quoted.replace(/^-/, '')}'`;
    return `${PROGRAM_NAME}: ${what}\nIllegal argument "?"`;
  }
  if (e.code === 'commander.optionMissingArgument') {
    // quoted is like "-p, --port <num>": report the form that was typed
    const short = /^-(\w)\b/.exec(quoted)?.[1];
    const long = /--([\w-]+)/.exec(quoted)?.[1];
    const typedLong = long !== undefined && argv.includes(`--${long}`);
    const what = typedLong || short === undefined ? `option '--${long ?? quoted}' requires an argument` : `option requires an argument -- '${short}'`;
    return `${PROGRAM_NAME}: ${what}\nIllegal argument "?"`;
  }
  return `${PROGRAM_NAME}: ${e.message.replace(/^error: /, '')}`;
}

export const HELP_TEXT = `${VERSION_LINE}
-p, --port=<num>          TCP port to listen on (default: 11211)
-U, --udp-port=<num>      UDP port to listen on (default: 0, off)
-s, --unix-socket=<file>  UNIX socket to listen on (disables network support)
-a, --unix-mask=<mask>    access mask for UNIX socket, in octal (default: 700)
-A, --enable-shutdown     enable ascii "shutdown" command
-l, --listen=<addr>       interface to listen on (default: INADDR_ANY)
                          repeatable; comma or semicolon lists of host, host:port,
                          [v6] and [v6]:port
-d, --daemon              run as a daemon
-r, --enable-coredumps    maximize core file limit (accepted, no effect in Node)
-u, --user=<user>         assume identity of <username> (only when run as root)
-m, --memory-limit=<num>  item memory in megabytes (default: 64)
-M, --disable-evictions   return error on memory exhausted instead of evicting
-c, --conn-limit=<num>    max simultaneous connections (default: 1024)
-k, --lock-memory         lock down all paged memory (accepted, no effect in Node)
-v, --verbose             verbose (print errors/warnings while in event loop)
-vv                       very verbose (also print client commands/responses)
-vvv                      extremely verbose (internal state transitions)
-h, --help                print this help and exit
-i, --license             print the license and exit
-V, --version             print version and exit
-P, --pidfile=<file>      save PID in <file> (removed on exit)
-f, --slab-growth-factor=<num> chunk size growth factor (default: 1.25)
-n, --slab-min-size=<bytes> min space used for key+value+flags (default: 48)
-L, --enable-largepages  try to use large memory pages (accepted, no effect in Node)
-D <char>     Use <char> as the delimiter between key prefixes and IDs.
              This is used for per-prefix stats reporting. The default is
              ":" (colon). If this option is specified, stats collection
              is turned on automatically; if not, then it may be turned on
              by sending the "stats detail on" command to the server.
-t, --threads=<num>       number of threads to use (default: 4)
-R, --max-reqs-per-event  maximum number of requests per event, limits the
                          requests processed per connection to prevent
                          starvation (default: 20)
-C, --disable-cas         disable use of CAS
-b, --listen-backlog=<num> set the backlog queue limit (default: 1024)
-B, --protocol=<name>     protocol - one of ascii, binary, or auto (default: auto-negotiate)
-I, --max-item-size=<num> adjusts max item size
                          (default: 1m, min: 1k, max: 1024m)
-S, --enable-sasl         turn on Sasl authentication
-F, --disable-flush-all   disable flush_all command
-X, --disable-dumping     disable stats cachedump and lru_crawler metadump
-W  --disable-watch       disable watch commands (live logging)
-Y, --auth-file=<file>    (EXPERIMENTAL) enable ASCII protocol authentication. format:
                          user:pass\\nuser2:pass2\\n
-e, --memory-file=<file>  (EXPERIMENTAL) saves the cache to a file for the next start.
                          use only in ram disks (/dev/shm)!
                          enables restartable cache (stop with SIGUSR1)
-Z, --enable-ssl          enable TLS/SSL on TCP listeners (notls:ADDR:PORT in -l keeps one clear)
-o, --extended            comma separated list of extended options
                          most options have a 'no_' prefix to disable
   - maxconns_fast:       immediately close new connections after limit (default: enabled)
   - hashpower:           an integer multiplier for how large the hash
                          table should be. normally grows at runtime. (default starts at: 0)
                          set based on "STAT hash_power_level"
   - tail_repair_time:    time in seconds for how long to wait before
                          forcefully killing LRU tail item.
                          disabled by default; very dangerous option.
   - hash_algorithm:      the hash table algorithm
                          default is murmur3 hash. options: jenkins, murmur3, xxh3
   - no_lru_crawler:      disable LRU Crawler background thread.
   - lru_crawler_sleep:   microseconds to sleep between items
                          default is 100.
   - lru_crawler_tocrawl: max items to crawl per slab per run
                          default is 0 (unlimited)
   - read_buf_mem_limit:  limit in megabytes for connection read/response buffers.
                          do not adjust unless you have high (20k+) conn. limits.
                          0 means unlimited (default: 0)
   - no_lru_maintainer:   disable new LRU system + background thread.
   - hot_lru_pct:         pct of slab memory to reserve for hot lru.
                          (requires lru_maintainer, default pct: 20)
   - warm_lru_pct:        pct of slab memory to reserve for warm lru.
                          (requires lru_maintainer, default pct: 40)
   - hot_max_factor:      items idle > cold lru age * drop from hot lru. (default: 0.20)
   - warm_max_factor:     items idle > cold lru age * this drop from warm. (default: 2.00)
   - temporary_ttl:       TTL's below get separate LRU, can't be evicted.
                          (requires lru_maintainer, default: 61)
   - idle_timeout:        timeout for idle connections. (default: 0, no timeout)
   - slab_chunk_max:      (EXPERIMENTAL) maximum slab size in bytes. use extreme care. (default: 524288)
   - watcher_logbuf_size: size in kilobytes of per-watcher write buffer. (default: 256)
   - worker_logbuf_size:  size in kilobytes of per-worker-thread buffer
                          read by background thread, then written to watchers. (default: 64)
   - track_sizes:         enable dynamic reports for 'stats sizes' command.
   - no_hashexpand:       disables hash table expansion (dangerous)
   - modern:              enables options which will be default in future.
                          currently: nothing
   - no_modern:           uses defaults of previous major version (1.4.x)
   - sock_cookie_id:      (accepted, no effect in memcachedts)
   - debug_commands:      (memcachedts) enable memcached-debug's test commands:
                          debugtime <seconds>|p|r moves, pauses or resumes the clock.
                          off by default (then debugtime is ERROR, as in release memcached)
   - ssl_chain_cert:      certificate chain file in PEM format
   - ssl_key:             private key (PEM), required with -Z
   - ssl_keyformat:       private key format: 1 (PEM) only in memcachedts (default: 1)
   - ssl_verify_mode:     peer certificate verification mode, default is 0(None).
                          valid values are 0(None), 1(Request), 2(Require)
                          or 3(Once)
   - ssl_ciphers:         specify cipher list to be used (TLS 1.2 and below)
   - ssl_ca_cert:         PEM format file of acceptable client CA's
   - ssl_min_version:     minimum protocol version to accept, 0..3 (default: 2, tlsv1.2)
   - ssl_session_cache:   enable server-side SSL session cache, to support session
                          resumption
   - ssl_wbuf_size, ssl_kernel_tls: accepted and reported; ssl_kernel_tls warns that
                          memcachedts does not do it
   - ext_* (extstore) options are accepted with a warning and have no effect.
   - metrics_listen:      (memcachedts) ADDR:PORT for Prometheus GET /metrics, loopback or
                          private address only, not a memcached port (default: off)
-N, --napi_ids            number of napi ids (accepted, no effect in Node)

memcachedts options:
--config-file=<path>      read flags from a Debian-format /etc/memcached.conf first;
                          flags after --config-file on the command line win
--log-format=text|json    text: memcached's stderr lines (default); json: pino lines
`;

export const LICENSE_TEXT = `memcachedts ${PROGRAM_VERSION}: MIT License

Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without
restriction, including without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.

memcachedts is a reimplementation in TypeScript; it contains no code from memcached
(BSD 3-clause, Danga Interactive) or libevent.
`;
