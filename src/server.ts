// The server of one serving thread: one store, one ServerContext, the listeners memcached would
// open for these settings (TCP on every -l address, UDP with -U, or only a unix socket with -s),
// and an orderly close. Bind failures throw an Error with code 'BIND' and memcached's wording,
// which the CLI prints before exiting 71. With -t N (threads/), thread 1 binds here and the
// other threads accept on the same sockets by descriptor (SharedListeners).

import { errnoCode, strerror } from './errors.js';
import dns from 'node:dns';
import net from 'node:net';
import type { Settings, ListenAddress } from './config/settings.js';
import { RuntimeSettings } from './config/runtime-settings.js';
import type { Store } from './store/store.js';
import { createStore } from './store/cache.js';
import { WatchLog } from './log/watch.js';
import type { Authenticator } from './auth/authenticator.js';
import type { AsciiAuthenticator } from './auth/ascii-auth.js';
import type { ListenerInfo, ServerContext } from './server-context.js';
import type { VerboseLog } from './log/verbose.js';
import { PrefixStats } from './stats/prefix-stats.js';
import { AuthThrottle, type AuthThrottleOptions } from './protocol/auth-throttle.js';
import { ConnectionHub } from './net/connection.js';
import { BufferBudget } from './protocol/conn-buffers.js';
import { listenTcp, listenTcpFd, type TcpListener } from './net/tcp.js';
import { listeningFd } from './net/stream-binding.js';
import type { TlsShare } from './net/tls-context.js';
import type { UdpEndpoint } from './net/udp.js';
import { listenUnix, listenUnixFd, type UnixListener } from './net/unix.js';
import { ServerWide } from './threads/server-wide.js';
import type { RunningMetrics } from './metrics/metrics-server.js';

export interface ServerDeps {
  log: VerboseLog;
  /** A store built elsewhere: with the runtime given here (the one the server hands down). */
  store?: Store;
  /** The server's run-time settings; built from settings when not given. */
  runtime?: RuntimeSettings;
  sasl?: Authenticator | null;
  asciiAuth?: AsciiAuthenticator | null;
  /** Overrides of the authentication throttle's limits (tests). */
  authThrottle?: Partial<AuthThrottleOptions>;
  /** `shutdown [graceful]` (with -A): the owner decides how to stop. */
  onShutdownRequest?: (graceful: boolean) => void;
  /** -t N: what the serving threads share, seen from this thread; absent, a server of one thread. */
  wide?: ServerWide;
  /**
   * The listeners thread 1 opened: this thread accepts on them by descriptor instead of
   * binding (and opens no UDP socket and no metrics endpoint, which stay on thread 1).
   */
  sharedListeners?: SharedListeners;
  /** -t N with -Z: the server's ticket keys and session cache (the main thread's); absent, this server's own. */
  tls?: Omit<TlsShare, 'certs'>;
}

/** Thread 1's TCP and unix listeners, as the other serving threads attach to them. */
export interface SharedListeners {
  readonly tcp: ReadonlyArray<{ readonly fd: number; readonly isTls: boolean }>;
  readonly unix: { readonly fd: number; readonly path: string } | null;
  /** Every listener (UDP included) for `stats conns` in every thread. */
  readonly infos: readonly ListenerInfo[];
}

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
}

export interface RunningServer {
  readonly ctx: ServerContext;
  readonly tcpAddresses: readonly BoundAddress[];
  readonly udpAddresses: readonly BoundAddress[];
  readonly unixPath: string | null;
  /** -o metrics_listen: where GET /metrics is served; null when off. */
  readonly metricsAddress: BoundAddress | null;
  /** What the other serving threads need to accept on this server's listeners. */
  readonly sharedListeners: SharedListeners;
  /** Stops accepting, lets queued replies go out (bounded), closes sockets, the unix file, the store. */
  close(graceful: boolean): Promise<void>;
}

/** A listener could not be opened; message is what memcached prints (one or two lines). */
export class BindError extends Error {
  readonly code = 'BIND';
  constructor(message: string) {
    super(message);
    this.name = 'BindError';
  }
}

/** How long close(true) waits for connections to take their last replies and go. */
const GRACEFUL_WAIT_MS = 2000;
const ABRUPT_WAIT_MS = 200;

export async function startServer(settings: Settings, deps: ServerDeps): Promise<RunningServer> {
  const wide = deps.wide ?? ServerWide.create(1, deps.log.level);
  const counters = wide.counters;
  // memcached's ssl_init: the certificate and key are read before anything is built or bound.
  // node:tls and the certificate code load only with -Z (docs/threads.md, "Memory per thread").
  const tlsModule = settings.ssl.enabled ? await import('./net/tls-context.js') : null;
  const tls = tlsModule !== null
    ? new tlsModule.ServerTls(settings.ssl, () => counters.ssl_new_sessions++,
      deps.tls !== undefined ? { ...deps.tls, certs: wide } : tlsModule.ownTlsShare(settings.ssl, wide))
    : null;
  const runtime = deps.runtime ?? new RuntimeSettings(settings);
  const store = deps.store ?? createStore(settings, runtime);
  const listenerInfos: ListenerInfo[] = [];
  const ctx: ServerContext = {
    settings,
    runtime,
    store,
    counters,
    wide,
    prefixStats: new PrefixStats(settings.prefixDelimiter),
    sasl: deps.sasl ?? null,
    asciiAuth: deps.asciiAuth ?? null,
    authThrottle: new AuthThrottle(deps.authThrottle),
    log: deps.log,
    watch: new WatchLog(store, settings.watcherLogbufSize, settings.workerLogbufSize, wide.watchShare()),
    sessions: new Set(),
    bufferBudget: BufferBudget.forSettings(settings, wide.threads),
    startedAtMs: Date.now(),
    requestShutdown(graceful: boolean): void {
      deps.onShutdownRequest?.(graceful);
    },
    listeners: () => listenerInfos,
    tls,
  };
  const hub = new ConnectionHub(ctx);
  const tcp: TcpListener[] = [];
  const udp: UdpEndpoint[] = [];
  let unix: UnixListener | null = null;
  let metrics: RunningMetrics | null = null;

  // Listeners shared by descriptor are only closed by the thread that opened them.
  const isAttached = deps.sharedListeners !== undefined;
  const closeListeners = async (): Promise<void> => {
    if (!isAttached) for (const l of tcp) l.server.close();
    const pending: Array<Promise<void>> = udp.map((u) => u.close());
    if (unix !== null) pending.push(unix.close());
    if (metrics !== null) pending.push(metrics.close());
    await Promise.all(pending);
  };

  try {
    if (deps.sharedListeners !== undefined) {
      const shared = deps.sharedListeners;
      listenerInfos.push(...shared.infos);
      for (const l of shared.tcp) tcp.push(await listenTcpFd(hub, l.fd, l.isTls ? tls : null));
      if (shared.unix !== null) unix = await listenUnixFd(hub, shared.unix.fd, shared.unix.path);
    } else {
      if (settings.metricsListen !== null) {
        // The endpoint's thread takes a moment to start: bound first, it is up when clients can connect.
        // Loaded only when asked for, as UDP below: threads 2..N never open either
        // (docs/threads.md, "Memory per thread").
        const { startMetrics } = await import('./metrics/metrics-server.js');
        const m = settings.metricsListen;
        metrics = await startMetrics(ctx, m.host, m.port).catch((e: unknown) => {
          throw new BindError('failed to listen on metrics address ' + hostPort(m.host, m.port) + ': ' + strerror(e));
        });
      }
      if (settings.unixSocketPath !== null) {
        unix = await bindUnix(hub, settings);
        const id = hub.allocateId();
        listenerInfos.push({ id, transport: 'unix', addr: 'unix:' + unix.path });
        hub.countListenerConns(1);
        logListening(ctx, id, protocolLabel(settings));
      } else {
        const groups = listenGroups(settings);
        if (settings.port !== 0) {
          for (const group of groups) {
            // notls: keeps one listener clear; UDP and unix sockets are never TLS (as memcached).
            const groupTls = group[0]?.notls === true ? null : tls;
            const bindTcp = (host: string, port: number, isIpv6: boolean): Promise<TcpListener> =>
              listenTcp(hub, host, port, isIpv6, settings.listenBacklog, groupTls);
            for (const l of await bindGroup(group, settings, 'tcp', bindTcp)) {
              tcp.push(l);
              const id = hub.allocateId();
              listenerInfos.push({ id, transport: 'tcp', addr: l.addr });
              hub.countListenerConns(1);
              logListening(ctx, id, protocolLabel(settings));
            }
          }
        }
        if (settings.udpPort !== 0) {
          // memcached: one UDP conn per worker thread, or one per socket when -l lists several.
          const connsPerSocket = settings.listenSpec.includes(',') ? 1 : Math.max(1, settings.threads);
          const allocateIds = (n: number): number[] => Array.from({ length: n }, () => hub.allocateId());
          const { bindUdp } = await import('./net/udp.js');
          for (const group of groups) {
            for (const u of await bindGroup(group, settings, 'udp', (host, port, isIpv6) => bindUdp(ctx, host, port, isIpv6, allocateIds, connsPerSocket))) {
              udp.push(u);
              listenerInfos.push(...u.listeners);
              hub.countListenerConns(u.listeners.length);
              for (const l of u.listeners) logListening(ctx, l.id, 'udp');
            }
          }
        }
      }
    }
  } catch (e: unknown) {
    await closeListeners().catch(() => {});
    if (deps.store === undefined) store.close();
    throw e;
  }

  if (!isAttached) warnAboutExposure(ctx, tcp, udp);

  let closing: Promise<void> | null = null;
  return {
    ctx,
    tcpAddresses: tcp.map((l) => ({ host: l.host, port: l.port })),
    udpAddresses: udp.map((u) => ({ host: u.host, port: u.port })),
    unixPath: unix === null ? null : unix.path,
    metricsAddress: metrics === null ? null : { host: metrics.host, port: metrics.port },
    sharedListeners: {
      tcp: tcp.map((l) => ({ fd: l.fd, isTls: l.isTls })),
      unix: unix === null ? null : { fd: listeningFd(unix.server), path: unix.path },
      infos: listenerInfos,
    },
    close(graceful: boolean): Promise<void> {
      if (closing === null) {
        closing = (async () => {
          await closeListeners();
          await hub.closeAll(true, graceful ? GRACEFUL_WAIT_MS : ABRUPT_WAIT_MS);
          ctx.watch.close();
          tls?.close();
          store.close();
        })();
      }
      return closing;
    },
  };
}

// --- listen addresses -------------------------------------------------------------------------

/**
 * The -l entries as memcached's server_socket() calls see them: one group per entry, and `*`
 * (or no -l at all) is one group of 0.0.0.0 and ::. Within a group, "address in use" on some
 * addresses is tolerated when another one binds.
 */
function listenGroups(settings: Settings): ListenAddress[][] {
  if (settings.listen.length === 0) {
    return [[
      { host: '0.0.0.0', port: settings.port, isIpv6: false },
      { host: '::', port: settings.port, isIpv6: true },
    ]];
  }
  const groups: ListenAddress[][] = [];
  const list = settings.listen;
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    const b = list[i + 1];
    if (a.host === '0.0.0.0' && b !== undefined && b.host === '::' && b.port === a.port) {
      groups.push([a, b]);
      i++;
    } else {
      groups.push([a]);
    }
  }
  return groups;
}

type Binder<T> = (host: string, port: number, isIpv6: boolean) => Promise<T>;

async function bindGroup<T>(group: readonly ListenAddress[], settings: Settings, kind: 'tcp' | 'udp', bind: Binder<T>): Promise<T[]> {
  const targets: Array<{ host: string; port: number; isIpv6: boolean }> = [];
  for (const a of group) {
    const asked = kind === 'udp' && a.explicitPort !== true ? settings.udpPort : a.port;
    // memcached turns -1 into 0 (any free port) and hands other negatives to getaddrinfo,
    // which refuses them; errno is still 0 then, hence "Success".
    if (asked < -1) {
      throw new BindError('getaddrinfo(): Servname not supported for ai_socktype\n' + failedLine(settings, kind) + ': Success');
    }
    const port = asked === -1 ? 0 : asked;
    if (net.isIP(a.host) !== 0) {
      targets.push({ host: a.host, port, isIpv6: net.isIPv6(a.host) });
      continue;
    }
    let found: dns.LookupAddress[];
    try {
      found = await dns.promises.lookup(a.host, { all: true });
    } catch (e: unknown) {
      throw new BindError('getaddrinfo(): ' + strerror(e) + '\n' + failedLine(settings, kind) + ': ' + strerror(e));
    }
    for (const f of found) targets.push({ host: f.address, port, isIpv6: f.family === 6 });
  }
  const bound: T[] = [];
  let lastError: unknown = null;
  for (const t of targets) {
    try {
      bound.push(await bind(t.host, t.port, t.isIpv6));
    } catch (e: unknown) {
      const code = errnoCode(e);
      // memcached skips EADDRINUSE (and families the host lacks) while another address binds.
      if (code === 'EADDRINUSE' || (code === 'EAFNOSUPPORT' && targets.length > 1)) {
        lastError = e;
        continue;
      }
      // Release what this group already bound before failing.
      for (const b of bound) await closeBound(b);
      throw new BindError('bind(): ' + strerror(e) + '\n' + failedLine(settings, kind) + ': ' + strerror(e));
    }
  }
  if (bound.length === 0) {
    throw new BindError(failedLine(settings, kind) + ': ' + strerror(lastError));
  }
  return bound;
}

async function closeBound(b: unknown): Promise<void> {
  const x = b as { server?: net.Server; close?: () => Promise<void> };
  if (x.server !== undefined && x.close === undefined) x.server.close();
  else if (x.close !== undefined) await x.close();
}

/** memcached's second line: the port without -l, the -l text with it. */
function failedLine(settings: Settings, kind: 'tcp' | 'udp'): string {
  if (settings.listen.length === 0) {
    return kind === 'tcp' ? 'failed to listen on TCP port ' + settings.port : 'failed to listen on UDP port ' + settings.udpPort;
  }
  return 'failed to listen on one of interface(s) ' + settings.listenSpec;
}

async function bindUnix(hub: ConnectionHub, settings: Settings): Promise<UnixListener> {
  const path = settings.unixSocketPath!;
  try {
    return await listenUnix(hub, path, settings.unixSocketMask, settings.listenBacklog);
  } catch (e: unknown) {
    if (errnoCode(e) === 'ENOTSOCK') {
      // memcached: bind() fails with EADDRINUSE on the file it would not unlink.
      throw new BindError('bind(): Address already in use\nfailed to listen on UNIX socket: ' + path + ': ' + (e as Error).message);
    }
    throw new BindError('bind(): ' + strerror(e) + '\nfailed to listen on UNIX socket: ' + path + ': ' + strerror(e));
  }
}

// --- messages ---------------------------------------------------------------------------------

function protocolLabel(settings: Settings): string {
  switch (settings.bindingProtocol) {
    case 'auto':
      return 'auto-negotiate';
    case 'ascii':
      return 'ascii';
    case 'binary':
      return 'binary';
  }
}

function logListening(ctx: ServerContext, id: number, label: string): void {
  if (ctx.log.level >= 2) ctx.log.line('<' + id + ' server listening (' + label + ')');
}

function isLoopback(host: string): boolean {
  if (net.isIPv4(host)) return host.startsWith('127.');
  const h = host.toLowerCase();
  return h === '::1' || h.startsWith('::ffff:127.');
}

/** Our own warnings (memcached 1.6.18 prints none): exposed listeners deserve a line on stderr. */
function warnAboutExposure(ctx: ServerContext, tcp: readonly TcpListener[], udp: readonly UdpEndpoint[]): void {
  const s = ctx.settings;
  const exposedTcp = tcp.filter((l) => !isLoopback(l.host));
  if (exposedTcp.length > 0 && !s.saslEnabled && s.authFile === null) {
    const where = exposedTcp.map((l) => hostPort(l.host, l.port)).join(', ');
    ctx.log.warn(
      `WARNING: listening on ${where} (not loopback) with no authentication (-S or -Y): anyone who can reach ` +
        'it can read, change and flush the cache. Bind to 127.0.0.1 with -l, or firewall the port; across a ' +
        'network use -S or -Y with TLS (-Z).',
    );
  }
  const clearTcp = exposedTcp.filter((l) => !l.isTls);
  if (clearTcp.length > 0 && (s.saslEnabled || s.authFile !== null)) {
    const where = clearTcp.map((l) => hostPort(l.host, l.port)).join(', ');
    ctx.log.warn(
      `WARNING: listening on ${where} (not loopback) without TLS: passwords (-S PLAIN, -Y) and values cross ` +
        'the network in clear. Add -Z with a certificate and key (see README "Encrypting with TLS").',
    );
  }
  const exposedUdp = udp.filter((u) => !isLoopback(u.host));
  if (exposedUdp.length > 0) {
    const where = exposedUdp.map((u) => hostPort(u.host, u.port)).join(', ');
    ctx.log.warn(
      `WARNING: UDP is enabled on ${where} (not loopback). Open memcached UDP ports were used for the ` +
        'February 2018 "Memcrashed" reflection/amplification DDoS attacks (1.3-1.7 Tbps): use -U 0 unless ' +
        'you need UDP, and never expose it to the internet.',
    );
  }
}

function hostPort(host: string, port: number): string {
  return (host.includes(':') ? '[' + host + ']' : host) + ':' + port;
}
