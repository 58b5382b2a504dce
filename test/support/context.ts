// A ServerContext for unit tests that drive a Session directly (no sockets): the real store,
// fresh counters, a verbose log that collects its lines, and a Session factory. Feed the
// session with support/session-driver.ts.
import { createStore } from '../../src/store/cache.js';
import { ServerWide } from '../../src/threads/server-wide.js';
import { PrefixStats } from '../../src/stats/prefix-stats.js';
import { RuntimeSettings } from '../../src/config/runtime-settings.js';
import { WatchLog } from '../../src/log/watch.js';
import { StderrVerboseLog } from '../../src/log/verbose.js';
import { makeSettings, type Settings } from '../../src/config/settings.js';
import type { AsciiAuthenticator } from '../../src/auth/ascii-auth.js';
import type { Authenticator } from '../../src/auth/authenticator.js';
import type { Clock } from '../../src/store/clock.js';
import type { ServerContext } from '../../src/server-context.js';
import type { ConnInfo } from '../../src/conn-info.js';
import { Session } from '../../src/protocol/session.js';
import { FRONT_ENDS } from '../../src/protocol/front-ends.js';
import { BufferBudget } from '../../src/protocol/conn-buffers.js';
import { AuthThrottle, type AuthThrottleOptions } from '../../src/protocol/auth-throttle.js';

export interface TestContext extends ServerContext {
  /** -v lines written so far. */
  readonly logLines: string[];
  /** Calls to requestShutdown (true = graceful). */
  readonly shutdownRequests: boolean[];
}

export interface TestContextOptions {
  settings?: Partial<Settings>;
  logLevel?: number;
  asciiAuth?: AsciiAuthenticator | null;
  /** Binary SASL (also turns on -S and binds the binary protocol, as -S does). */
  sasl?: Authenticator | null;
  /** The store's clock (a ManualClock to drive expiry). */
  clock?: Clock;
  authThrottle?: Partial<AuthThrottleOptions>;
}

export function makeTestContext(opts: TestContextOptions = {}): TestContext {
  const sasl = opts.sasl ?? null;
  const saslSettings: Partial<Settings> = sasl !== null ? { saslEnabled: true, bindingProtocol: 'binary' } : {};
  const settings = makeSettings({ ...saslSettings, ...opts.settings });
  const logLines: string[] = [];
  const shutdownRequests: boolean[] = [];
  const runtime = new RuntimeSettings(settings);
  const store = createStore(settings, runtime, opts.clock);
  const wide = ServerWide.create(1, opts.logLevel ?? 0);
  const ctx: TestContext = {
    settings,
    runtime,
    store,
    counters: wide.counters,
    wide,
    prefixStats: new PrefixStats(settings.prefixDelimiter),
    sasl,
    asciiAuth: opts.asciiAuth ?? null,
    authThrottle: new AuthThrottle(opts.authThrottle),
    log: new StderrVerboseLog(opts.logLevel ?? 0, (line) => logLines.push(line)),
    watch: new WatchLog(store, settings.watcherLogbufSize, settings.workerLogbufSize),
    sessions: new Set(),
    bufferBudget: BufferBudget.forSettings(settings),
    startedAtMs: Date.now(),
    requestShutdown(graceful: boolean): void {
      shutdownRequests.push(graceful);
    },
    logLines,
    shutdownRequests,
  };
  return ctx;
}

let nextId = 30;

/** A session as a TCP connection from 127.0.0.1 would get one. */
export function makeSession(ctx: ServerContext): Session {
  const id = nextId++;
  const conn: ConnInfo = { id, transport: 'tcp', peer: 'tcp:127.0.0.1:' + (40000 + id), listenAddr: 'tcp:127.0.0.1:11211' };
  const s = new Session(ctx, conn, FRONT_ENDS);
  ctx.sessions.add(s);
  return s;
}
