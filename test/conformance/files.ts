// Every file of memcached 1.6.18's t/ suite and what the conformance runner does with it.
// The runner refuses to start when the fetched suite and this table disagree, so a file can
// neither be forgotten nor be listed and missing.
//
// `expectedFailure` names a file memcachedts fails today and why: the run still passes, the
// failure is printed, and when the file starts passing the runner says so loudly (take it off
// then). `failsOnRelease` is the same for Debian's release memcached (`--target=real`).

export const SUITE_VERSION = '1.6.18';

export type FilePlan =
  | { readonly kind: 'run'; readonly expectedFailure?: string; readonly failsOnRelease?: string }
  | { readonly kind: 'left-out'; readonly why: string };

const EXTSTORE = 'extstore (-o ext_path): not in memcachedts; the file skips itself when -h lacks ext_path';
const TLS = 'TLS: runs only with SSL_TEST=1 against a -Z server; left out until memcachedts has -Z';
const SKIP_ALL = 'skips itself unconditionally in 1.6.18 (plan skip_all)';
const SOURCE_TREE = "checks memcached's source tree (needs its git checkout / doc/), not the server";

const run = (notes: { expectedFailure?: string; failsOnRelease?: string } = {}): FilePlan => ({ kind: 'run', ...notes });
const leftOut = (why: string): FilePlan => ({ kind: 'left-out', why });

export const SUITE_FILES: Readonly<Record<string, FilePlan>> = {
  '00-startup.t': run(),
  '64bit.t': run({ expectedFailure: 'issue #15 item 9: T_MEMD_INITIAL_MALLOC hook and the size limit the file expects' }),
  'ascii-auth.t': run(),
  'binary-extstore.t': leftOut(EXTSTORE),
  'binary-get.t': run(),
  'binary-sasl.t': run({ expectedFailure: 'issue #15 item 1: CRAM-MD5, a sasldb created after start' }),
  'binary.t': run(),
  'bogus-commands.t': run(),
  'cas.t': run(),
  'chunked-extstore.t': leftOut(EXTSTORE),
  'chunked-items.t': run(),
  'conn-limits.t': run({ expectedFailure: 'issue #15 item 7: -o read_buf_mem_limit and response_obj_oom' }),
  'daemonize.t': run(),
  'dash-M.t': run(),
  'dyn-maxbytes.t': run(),
  'error-extstore.t': leftOut(EXTSTORE),
  'evictions.t': run(),
  'expirations.t': run({
    expectedFailure: 'issue #15 item 10: needs debugtime (-o debug_commands)',
    failsOnRelease: "debugtime exists only in memcached's debug build (memcached-debug)",
  }),
  'extstore-buckets.t': leftOut(EXTSTORE),
  'extstore-jbod.t': leftOut(EXTSTORE),
  'extstore.t': leftOut(EXTSTORE),
  'flags.t': run(),
  'flush-all.t': run(),
  'getandtouch.t': run(),
  'getset.t': run(),
  'idle-timeout.t': run(),
  'incrdecr.t': run(),
  'issue_104.t': run(),
  'issue_108.t': run(),
  'issue_14.t': run(),
  'issue_140.t': leftOut(SKIP_ALL),
  'issue_152.t': run(),
  'issue_163.t': run(),
  'issue_183.t': run({ expectedFailure: 'issue #15 item 5: -o no_modern reclaims a flushed item at the LRU tail' }),
  'issue_192.t': run(),
  'issue_22.t': run(),
  'issue_260.t': leftOut(SKIP_ALL),
  'issue_29.t': run(),
  'issue_3.t': run(),
  'issue_41.t': run(),
  'issue_42.t': run(),
  'issue_50.t': run(),
  'issue_61.t': run({ expectedFailure: 'issue #15 item 4: conn_yields counted per -R requests' }),
  'issue_67.t': run({ expectedFailure: 'issue #15 item 6: MEMCACHED_PORT_FILENAME, -p -1 / -U -1' }),
  'issue_68.t': run(),
  'issue_70.t': run(),
  'item_size_max.t': run(),
  'line-lengths.t': leftOut(SOURCE_TREE),
  'lru-crawler.t': run({ expectedFailure: 'issue #15 item 3: lru_crawler enable does not reach stats settings' }),
  'lru-maintainer.t': run(),
  'lru.t': run(),
  'malicious-commands.t': run(),
  'maxconns.t': run(),
  'metaget.t': run(),
  'misbehave.t': leftOut('seccomp (-o drop_privileges): checks that a forbidden syscall kills the daemon; Node has no seccomp filter'),
  'multiversioning.t': run(),
  'noreply.t': run(),
  'proxy.t': leftOut('the lua proxy (proxy_config): not built into Debian 12 memcached, not in memcachedts'),
  'quit.t': run(),
  'refhang.t': leftOut(SKIP_ALL),
  'restart.t': run(),
  'shutdown.t': run(),
  'slabhang.t': leftOut(SKIP_ALL),
  'slabs-reassign-chunked.t': run({ expectedFailure: 'issue #15 item 8: chunk rescues, pages back to the global pool' }),
  'slabs-reassign2.t': run({ expectedFailure: 'issue #15 item 8: slab_global_page_pool, automove frees pages' }),
  'slabs_reassign.t': run(),
  'ssl_cert_refresh.t': leftOut(TLS),
  'ssl_ports.t': leftOut(TLS),
  'ssl_proto_version.t': leftOut(TLS),
  'ssl_session_resumption.t': leftOut(TLS),
  'ssl_settings.t': leftOut(TLS),
  'ssl_verify_modes.t': leftOut(TLS),
  'stats-conns.t': run(),
  'stats-detail.t': run(),
  'stats.t': run(),
  'strtol-testing.t': run(),
  'touch.t': run(),
  'udp.t': run(),
  'unixsocket.t': run(),
  'watcher.t': run({ expectedFailure: 'issue #15 item 2: watch streams nothing (the file waits for log lines)' }),
  'watcher_connid.t': run({ expectedFailure: 'issue #15 item 2: watch streams nothing' }),
  'whitespace.t': leftOut(SOURCE_TREE),
};
