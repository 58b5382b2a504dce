// A ServerContext for unit tests that drive a Session directly (no sockets): the real store,
// fresh counters, a verbose log that collects its lines, and a Session factory.
import { createStore } from '../../src/store/cache.js';
import { Counters } from '../../src/stats/counters.js';
import { PrefixStats } from '../../src/stats/prefix-stats.js';
import { RuntimeSettings } from '../../src/config/runtime-settings.js';
import { WatchLog } from '../../src/log/watch.js';
import { StderrVerboseLog } from '../../src/log/verbose.js';
import { makeSettings, type Settings } from '../../src/config/settings.js';
import type { AsciiAuthenticator } from '../../src/auth/ascii-auth.js';
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
  authThrottle?: Partial<AuthThrottleOptions>;
}

export function makeTestContext(opts: TestContextOptions = {}): TestContext {
  const settings = makeSettings(opts.settings ?? {});
  const logLines: string[] = [];
  const shutdownRequests: boolean[] = [];
  const runtime = new RuntimeSettings(settings);
  const store = createStore(settings, runtime);
  const ctx: TestContext = {
    settings,
    runtime,
    store,
    counters: new Counters(),
    prefixStats: new PrefixStats(settings.prefixDelimiter),
    sasl: null,
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

/** Everything the session has queued for the socket, as one Buffer (and clears it). */
export function takeOutput(s: Session): Buffer {
  const parts = s.out.take();
  return parts === null ? Buffer.alloc(0) : Buffer.concat(parts);
}

/** Feeds each chunk with onData, collecting replies after each (as net/ would). */
export function feed(s: Session, chunks: readonly Buffer[]): { out: Buffer; action: number } {
  const outs: Buffer[] = [];
  let action = 0;
  for (const c of chunks) {
    action = s.onData(c);
    outs.push(takeOutput(s));
    if (action !== 0) break;
  }
  return { out: Buffer.concat(outs), action };
}
