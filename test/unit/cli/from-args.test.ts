import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine, type ParsedCommandLine } from '../../../src/cli/from-args.js';
import { parseDebianConf, type DebianConf } from '../../../src/config/debian-conf.js';
import { DEFAULT_SETTINGS, MIB, type Settings } from '../../../src/config/settings.js';
import { ConfigError } from '../../../src/errors.js';

const noConf = (path: string): DebianConf => {
  throw new Error(`unexpected conf read ${path}`);
};

function run(argv: string[], env: Record<string, string> = {}, confText?: string): { settings: Settings; warnings: readonly string[] } {
  const r: ParsedCommandLine = parseCommandLine(argv, { env, readConf: confText === undefined ? noConf : () => parseDebianConf(confText) });
  if (r.action !== 'run') throw new Error(`expected run, got ${r.action}`);
  return r;
}

function failure(argv: string[], env: Record<string, string> = {}): ConfigError {
  try {
    parseCommandLine(argv, { env, readConf: noConf });
  } catch (e: unknown) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`expected a ConfigError for ${argv.join(' ')}`);
}

test('no flags: memcached defaults', () => {
  const { settings, warnings } = run([]);
  assert.equal(settings.port, 11211);
  assert.equal(settings.udpPort, 0);
  assert.equal(settings.memLimitBytes, 64 * MIB);
  assert.equal(settings.maxConnections, 1024);
  assert.equal(settings.threads, 4); // memcached's default
  assert.equal(settings.itemSizeMax, MIB);
  assert.equal(settings.bindingProtocol, 'auto');
  assert.equal(settings.verbosity, 0);
  assert.equal(settings.unixSocketMask, 0o700);
  assert.equal(settings.logFormat, 'text');
  assert.deepEqual(warnings, []);
  assert.ok(Object.isFrozen(settings));
  assert.equal(settings.slabChunkMax, DEFAULT_SETTINGS.slabChunkMax);
});

test('short, attached, long= and long forms give the same values', () => {
  for (const argv of [['-p', '12345'], ['-p12345'], ['--port=12345'], ['--port', '12345']]) {
    assert.equal(run(argv).settings.port, 12345, argv.join(' '));
  }
  assert.equal(run(['--memory-limit=128']).settings.memLimitBytes, 128 * MIB);
  assert.equal(run(['-m', '64m']).settings.memLimitBytes, 64 * MIB); // atoi
  assert.equal(run(['--conn-limit', '10']).settings.maxConnections, 10);
  assert.equal(run(['-c10']).settings.maxConnections, 10);
});

test('every value flag lands in its setting', () => {
  const { settings: s } = run([
    '-U', '0', '-a', '660', '-A', '-M', '-P', '/tmp/x.pid', '-f', '1.5', '-n', '64', '-t', '2', '-R', '5',
    '-C', '-b', '10', '-B', 'binary', '-I', '2m', '-m', '128', '-F', '-X', '-W', '-D', '#', '-u', 'nobody', '-d',
    '--log-format', 'json',
  ]);
  assert.equal(s.unixSocketMask, 0o660);
  assert.equal(s.enableShutdown, true);
  assert.equal(s.evictionsDisabled, true);
  assert.equal(s.pidFile, '/tmp/x.pid');
  assert.equal(s.growthFactor, 1.5);
  assert.equal(s.chunkSizeMin, 64);
  assert.equal(s.threads, 2);
  assert.equal(s.reqsPerEvent, 5);
  assert.equal(s.casEnabled, false);
  assert.equal(s.listenBacklog, 10);
  assert.equal(s.bindingProtocol, 'binary');
  assert.equal(s.itemSizeMax, 2 * MIB);
  assert.equal(s.slabChunkMax, 512 * 1024);
  assert.equal(s.flushEnabled, false);
  assert.equal(s.dumpEnabled, false);
  assert.equal(s.watchEnabled, false);
  assert.equal(s.prefixDelimiter, '#');
  assert.equal(s.detailEnabled, true);
  assert.equal(s.user, 'nobody');
  assert.equal(s.daemonize, true);
  assert.equal(s.logFormat, 'json');
});

test('-v counting: -v, -vv, -vvv, repeated, --verbose and --verbose=N', () => {
  assert.equal(run(['-v']).settings.verbosity, 1);
  assert.equal(run(['-vv']).settings.verbosity, 2);
  assert.equal(run(['-vvv']).settings.verbosity, 3);
  assert.equal(run(['-v', '-v']).settings.verbosity, 2);
  assert.equal(run(['--verbose', '-vv']).settings.verbosity, 3);
  assert.equal(run(['--verbose=2']).settings.verbosity, 1);
  assert.equal(run(['-vA']).settings.enableShutdown, true);
});

test('-l is repeatable and kept as given; -s disables TCP listeners', () => {
  const { settings } = run(['-l', '127.0.0.1', '--listen=::1', '-p', '2000']);
  assert.equal(settings.listenSpec, '127.0.0.1,::1');
  assert.ok(settings.listen.some((a) => a.host === '127.0.0.1' && a.port === 2000));
  assert.ok(settings.listen.some((a) => a.host === '::1' && a.isIpv6));
  const unix = run(['-s', '/tmp/mc.sock', '-l', '127.0.0.1']).settings;
  assert.equal(unix.unixSocketPath, '/tmp/mc.sock');
  assert.deepEqual(unix.listen, []);
});

test('-U without -p moves the TCP port too, as memcached does', () => {
  assert.equal(run(['-U', '3000']).settings.port, 3000);
  assert.equal(run(['-U', '3000', '-p', '4000']).settings.port, 4000);
  assert.equal(run(['-U', '0']).settings.port, 11211);
});

test('-I limits and the slab_chunk_max rule, with memcached messages', () => {
  assert.equal(failure(['-I', '2k']).message, 'slab_chunk_max (bytes: 524288) cannot be larger than -I (item_size_max 2048)');
  assert.equal(failure(['-I', '512']).message, 'Item max size cannot be less than 1024 bytes.');
  assert.equal(failure(['-I', 'abc']).message, 'Item max size cannot be less than 1024 bytes.');
  assert.equal(failure(['-I', '2000m']).message, 'Cannot set item size limit higher than 1/2 of memory max.');
  assert.equal(failure(['-m', '4096', '-I', '2000m']).message, 'Cannot set item size limit higher than a gigabyte.');
  assert.equal(failure(['-I', '1500k']).message, '-I (item_size_max: 1536000) must be evenly divisible by slab_chunk_max (bytes: 524288)');
  assert.equal(failure(['-m', 'abc']).message, 'Cannot set item size limit higher than 1/2 of memory max.');
  assert.equal(run(['-I', '2k', '-o', 'slab_chunk_max=1024']).settings.itemSizeMax, 2048);
  assert.equal(run(['-I', '1024m', '-m', '4096']).settings.itemSizeMax, 1024 * MIB);
  assert.equal(run(['-I', '512k']).settings.slabChunkMax, 512 * 1024);
  for (const e of [failure(['-I', '2k']), failure(['-m', 'abc'])]) assert.equal(e.exitCode, 64);
});

test('ports, protocol, SASL and -Y combinations', () => {
  assert.equal(failure(['-p', '99999']).message, 'ERROR: Invalid port number 99999.');
  assert.equal(failure(['-B', 'foo']).message, 'Invalid value for binding protocol: foo\n -- should be one of auto, binary, or ascii');
  assert.equal(failure(['-S', '-B', 'ascii']).message, 'ERROR: You cannot allow the ASCII protocol while using SASL.');
  assert.equal(failure(['-S', '-B', 'auto']).message, 'ERROR: You cannot allow the ASCII protocol while using SASL.');
  assert.equal(failure(['-S', '-U', '5']).message, 'ERROR: Cannot enable UDP while using binary SASL authentication.');
  assert.equal(run(['-S']).settings.bindingProtocol, 'binary');
  assert.equal(run(['-S', '-B', 'binary']).settings.saslEnabled, true);
  assert.equal(run(['-Y', '/etc/x']).settings.bindingProtocol, 'ascii');
  assert.equal(failure(['-Y', '/etc/x', '-B', 'binary']).message, 'ERROR: You cannot allow the BINARY protocol while using ascii authentication tokens.');
  assert.equal(failure(['-Y', '/etc/x', '-U', '5']).message, 'Cannot use UDP with ascii authentication enabled (-U 0 to disable)');
  for (const e of [failure(['-S', '-B', 'ascii']), failure(['-S', '-U', '5']), failure(['-p', '70000'])]) assert.equal(e.exitCode, 64);
});

test('bad numbers: memcached messages, exit 64', () => {
  const cases: Array<[string[], string]> = [
    [['-c', 'abc'], 'Maximum connections must be greater than 0'],
    [['-c', '0'], 'Maximum connections must be greater than 0'],
    [['-t', '0'], 'Number of threads must be greater than 0'],
    [['-R', '0'], 'Number of requests per event must be greater than 0'],
    [['-f', '0.5'], 'Factor must be greater than 1'],
    [['-f', 'abc'], 'Factor must be greater than 1'],
    [['-n', '0'], 'Chunk size must be greater than 0'],
    [['-D', ''], 'No delimiter specified'],
    // -N's own warning (Node cannot honour it) was printed before the check fails
    [['-N', '8'], 'WARNING: -N (NAPI ids) is not supported by memcachedts and is ignored.\nNumber of napi_ids(8) cannot be greater than number of threads(4)'],
    [['--log-format', 'xml'], 'Invalid value for --log-format: xml\n -- should be one of text or json'],
  ];
  for (const [argv, message] of cases) {
    const e = failure(argv);
    assert.equal(e.message, message, argv.join(' '));
    assert.equal(e.exitCode, 64);
  }
  assert.match(run(['-t', '65']).warnings.join('\n'), /high number of workerthreads/);
  // memcached prints a warning when its getopt loop meets the flag: a later failure follows it
  assert.equal(
    failure(['-t', '100', '-I', '2000m']).message,
    'WARNING: Setting a high number of workerthreads is not recommended.\n Set this value to the number of cores in your machine or less.\n' +
      'Cannot set item size limit higher than 1/2 of memory max.',
  );
});

test('unknown flags and missing values: getopt-style messages, exit 64', () => {
  assert.equal(failure(['--bogus']).message, 'memcachedts: unrecognized option \'--bogus\'\nIllegal argument "?"');
  assert.equal(failure(['-x']).message, 'memcachedts: invalid option -- \'x\'\nIllegal argument "?"');
  assert.equal(failure(['-m']).message, 'memcachedts: option requires an argument -- \'m\'\nIllegal argument "?"');
  assert.equal(failure(['--port']).message, 'memcachedts: option \'--port\' requires an argument\nIllegal argument "?"');
  assert.equal(failure(['--bogus']).exitCode, 64);
});

test('-o numbers are cut to 32 bits as memcached cuts them (safe_strtoul)', () => {
  // memcached 1.6.18: -o lru_crawler_tocrawl=4294967297 shows `lru_crawler_tocrawl 1`.
  assert.equal(run(['-o', 'lru_crawler_tocrawl=4294967297']).settings.lruCrawlerToCrawl, 1);
  assert.equal(failure(['-o', 'lru_crawler_tocrawl=-1']).message, 'lru_crawler_tocrawl takes a numeric 32bit value');
  assert.equal(failure(['-o', 'lru_crawler_tocrawl=18446744073709551616']).message, 'lru_crawler_tocrawl takes a numeric 32bit value');
});

test('-o: every key of memcached -h, and its checks', () => {
  const { settings: s, warnings } = run([
    '-o', 'maxconns_fast,hashpower=20,no_hashexpand,tail_repair_time=30,hash_algorithm=xxh3,lru_crawler,lru_crawler_sleep=50',
    '-o', 'lru_crawler_tocrawl=7,read_buf_mem_limit=4,hot_lru_pct=10,warm_lru_pct=30,hot_max_factor=0.5,warm_max_factor=3',
    '--extended=temporary_ttl=30,idle_timeout=9,slab_chunk_max=262144,watcher_logbuf_size=8,track_sizes,modern',
  ]);
  assert.equal(s.maxconnsFast, true);
  assert.equal(s.hashPowerInit, 20);
  assert.equal(s.hashExpandDisabled, true);
  assert.equal(s.tailRepairTime, 30);
  assert.equal(s.hashAlgorithm, 'xxh3');
  assert.equal(s.lruCrawlerSleepUs, 50);
  assert.equal(s.lruCrawlerToCrawl, 7);
  assert.equal(s.readBufMemLimitBytes, 4 * MIB);
  assert.equal(s.hotLruPct, 10);
  assert.equal(s.warmLruPct, 30);
  assert.equal(s.hotMaxFactor, 0.5);
  assert.equal(s.warmMaxFactor, 3);
  assert.equal(s.temporaryTtl, 30);
  assert.equal(s.tempLru, true);
  assert.equal(s.idleTimeoutSec, 9);
  assert.equal(s.slabChunkMax, 262144);
  assert.equal(s.watcherLogbufSize, 8 * 1024);
  assert.equal(s.trackSizes, true);
  assert.deepEqual(warnings, []);
  const off = run(['-o', 'no_lru_crawler,no_lru_maintainer,no_maxconns_fast,no_slab_reassign,no_slab_automove']).settings;
  assert.equal(off.lruCrawler, false);
  assert.equal(off.lruSegmented, false);
  assert.equal(off.maxconnsFast, false);
  assert.equal(off.slabReassign, false);
  assert.equal(off.slabAutomove, 0);
  const legacy = run(['-o', 'no_modern']).settings;
  assert.equal(legacy.hashAlgorithm, 'jenkins');
  assert.equal(legacy.slabChunkMax, MIB);

  const cases: Array<[string, string]> = [
    ['bogus', 'Illegal suboption "bogus"'],
    ['hashpower', 'Missing numeric argument for hashpower'],
    ['hashpower=abc', 'Initial hashtable multiplier of 0 is too low'],
    ['hashpower=40', 'Initial hashtable multiplier of 40 is too high\nChoose a value based on "STAT hash_power_level" from a running instance'],
    ['idle_timeout', 'Missing numeric argument for idle_timeout'],
    ['slab_chunk_max=abc', 'could not parse argument to slab_chunk_max'],
    ['hash_algorithm=foo', 'Unknown hash_algorithm option (jenkins, murmur3, xxh3)'],
    ['hot_lru_pct=50,warm_lru_pct=50', 'hot_lru_pct + warm_lru_pct cannot be more than 80% combined'],
    ['temporary_ttl=10,no_lru_maintainer', 'temporary_ttl requires lru_maintainer to be enabled'],
    ['lru_crawler_tocrawl=x', 'lru_crawler_tocrawl takes a numeric 32bit value'],
    ['slab_sizes=100-90', 'slab size 90 cannot be lower than or equal to a previous class size'],
    ['ssl_verify_mode=9', 'Invalid ssl_verify_mode. Use help to see valid options.'],
    ['modern,,no_modern', 'Illegal suboption ""'],
  ];
  for (const [opt, message] of cases) {
    const e = failure(['-o', opt]);
    assert.equal(e.message, message, opt);
    assert.equal(e.exitCode, 64);
  }
});

test('-o relaxed_privileges (what memcached-debug takes from its t/ suite): accepted silently', () => {
  const { settings, warnings } = run(['-o', 'relaxed_privileges', '-p', '12345']);
  assert.equal(settings.port, 12345);
  assert.deepEqual(warnings, []);
});

test('flags Node cannot honour: accepted with one warning line each', () => {
  const { warnings } = run(['-k', '-L', '-r', '-N', '1', '-o', 'ssl_kernel_tls,ssl_kernel_tls,ext_path=/x:1G,ext_threads=2,sock_cookie_id=1']);
  assert.equal(warnings.length, 8, warnings.join('\n'));
  for (const w of warnings) {
    assert.match(w, /^WARNING: .* not supported by memcachedts/);
    assert.ok(!w.includes('\n'));
  }
  assert.match(run(['-o', 'resp_obj_mem_limit=5']).warnings[0] ?? '', /^DEPRECATED: resp_obj_mem_limit/);
});

test('-Z and the ssl_* options: kept for the TLS listeners and stats settings, no warning', () => {
  const { settings, warnings } = run([
    '-Z', '-o', 'ssl_chain_cert=/c.pem,ssl_key=/k.pem,ssl_ca_cert=/ca.pem,ssl_verify_mode=2,ssl_min_version=3,ssl_ciphers=HIGH,ssl_wbuf_size=32,ssl_session_cache',
  ]);
  assert.deepEqual(warnings, []);
  assert.deepEqual(settings.ssl, {
    enabled: true, chainCert: '/c.pem', key: '/k.pem', keyFormat: 1, verifyMode: 2, ciphers: 'HIGH',
    caCert: '/ca.pem', wbufSizeBytes: 32 * 1024, sessionCache: true, kernelTls: false, minVersion: 3,
  });
  assert.equal(run([]).settings.ssl.enabled, false);
  const e = failure(['-Z', '-p', '0']);
  assert.equal(e.message, 'ERROR: You cannot enable SSL without a TCP port.');
  assert.equal(e.exitCode, 64);
  assert.equal(failure(['-o', 'ssl_min_version=4']).message, 'Invalid ssl_min_version. Use help to see valid options.');
});

test('-e is a real feature (warm restart): no warning; -f is kept as typed for its metadata', () => {
  const { settings, warnings } = run(['-e', '/dev/shm/mem', '-f', '1.250']);
  assert.deepEqual(warnings, []);
  assert.equal(settings.memoryFile, '/dev/shm/mem');
  assert.equal(settings.slabConfig, '1.250');
  assert.equal(run([]).settings.slabConfig, '1.25');
  assert.equal(run([]).settings.memoryFile, null);
});

test('-h, -V, -i: the first one given wins', () => {
  assert.equal(parseCommandLine(['-h']).action, 'help');
  assert.equal(parseCommandLine(['--help']).action, 'help');
  assert.equal(parseCommandLine(['-V']).action, 'version');
  assert.equal(parseCommandLine(['--version', '-h']).action, 'version');
  assert.equal(parseCommandLine(['-i']).action, 'license');
  assert.equal(parseCommandLine(['-p', '1', '-h', '-I', '1']).action, 'help');
});

test('--config-file: the conf flags sit where the option stands; later flags win', () => {
  const conf = '-d\nlogfile /tmp/mc.log\n-m 128\n-p 11311\n-u memcache\n-l 127.0.0.1\n-vv\n';
  const { settings } = run(['--config-file', '/etc/memcached.conf', '-p', '2222'], {}, conf);
  assert.equal(settings.port, 2222);
  assert.equal(settings.memLimitBytes, 128 * MIB);
  assert.equal(settings.user, 'memcache');
  assert.equal(settings.verbosity, 2);
  assert.equal(settings.listenSpec, '127.0.0.1');
  assert.equal(settings.configFile, '/etc/memcached.conf');
  assert.equal(settings.logFile, '/tmp/mc.log');
  // before the option: the file wins
  assert.equal(run(['-p', '2222', '--config-file=/c'], {}, conf).settings.port, 11311);
  // a later -l replaces the file's list; a later -v replaces its count
  const later = run(['--config-file', '/c', '-l', '::1', '-v'], {}, conf).settings;
  assert.equal(later.listenSpec, '::1');
  assert.equal(later.verbosity, 1);
});

test('--config-file: -d from the conf is dropped under systemd, kept outside it', () => {
  const conf = '-d\n-p 1\n';
  assert.equal(run(['--config-file', '/c'], {}, conf).settings.daemonize, true);
  assert.equal(run(['--config-file', '/c'], { INVOCATION_ID: 'x' }, conf).settings.daemonize, false);
  assert.equal(run(['--config-file', '/c'], { JOURNAL_STREAM: '8:9' }, conf).settings.daemonize, false);
  assert.equal(run(['--config-file', '/c', '-d'], { INVOCATION_ID: 'x' }, conf).settings.daemonize, true);
});

test('--config-file errors: bad flag in the file, missing path', () => {
  assert.throws(() => parseCommandLine(['--config-file', '/c'], { env: {}, readConf: () => parseDebianConf('-m 64\n--bogus\n') }), /unrecognized option '--bogus'/);
  assert.throws(() => parseCommandLine(['--config-file'], { env: {}, readConf: noConf }), /requires an argument/);
});

test('-o worker_logbuf_size: memcached 1.6.18 also checks the value as slab_sizes (its missing break)', () => {
  const ok = run(['-o', 'worker_logbuf_size=64']);
  assert.equal(ok.settings.workerLogbufSize, 64 * 1024);
  const low = failure(['-o', 'worker_logbuf_size=16']);
  assert.equal(low.message, 'slab size 16 is out of valid range');
  assert.equal(low.exitCode, 64);
  assert.equal(failure(['-o', 'worker_logbuf_size=4000000']).message, 'slab size 4000000 is out of valid range');
});
