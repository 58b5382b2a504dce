// The body of a serving thread of a -t N server (thread 1 runs it in the main thread, threads
// 2..N in worker_threads; threads/host.ts): attaches to the shared store
// and server-wide state, serves connections with server.ts (thread 1 binds the listeners, the
// others accept on them by descriptor), and follows the main thread's orders (messages.ts).

import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { ConfigError, ExitCode, StartupError, errorMessage } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { RuntimeSettings } from '../config/runtime-settings.js';
import { StoreMemory } from '../store/store-memory.js';
import { Cache } from '../store/cache.js';
import { systemClock } from '../store/clock.js';
import { BindError, startServer, type RunningServer, type SharedListeners } from '../server.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { AsciiAuthenticator } from '../auth/ascii-auth.js';
import { ServerWide } from './server-wide.js';
import { SessionRelay } from './session-relay.js';
import type { HostOrder, WorkerReport, WorkerStart } from './messages.js';

export async function serveThread(start: WorkerStart, port: MessagePort): Promise<void> {
  const report = (r: WorkerReport): void => port.postMessage(r);
  const { settings, thread } = start;
  const wide = ServerWide.attach(start.wide, thread);
  const log = createLogger({ format: settings.logFormat, levelWord: wide.verbosityWord() });
  const runtime = new RuntimeSettings(start.runtime);
  // Thread 1's Cache runs the store's background jobs (they reach items by try-lock, so the
  // other threads' verbs go on meanwhile); at -t 1 that is today's single loop.
  const store = new Cache(settings, systemClock, runtime, StoreMemory.attach(start.store), {
    runsBackgroundJobs: thread === 1,
    threadIndex: thread - 1,
    threads: wide.threads,
  });
  if (thread === 1) {
    // -e's file code (and node:zlib) is loaded only with -e (docs/threads.md, "Memory per thread").
    const restoreFailure = settings.memoryFile === null ? null : (await import('./warm-restart.js')).restoreAtStart(store, settings, log);
    if (restoreFailure !== null) {
      store.close();
      report({ type: 'failed', message: restoreFailure, exitCode: ExitCode.Failure });
      return;
    }
    // memcached prints its slab classes (slabs_init, -vv) before the "server listening" lines.
    if (log.level >= 2) store.describeSlabClasses((line) => log.line(line));
  }
  // Each thread keeps its own copy of the password sources. The main thread checked them and
  // printed their start-up warnings, and does again for the reloads it orders (SIGHUP, the
  // privilege drop); changes seen while serving (a file that appears, breaks or is fixed) are
  // told by thread 1, so that each is said once.
  let isTelling = false;
  const warnChanges = (message: string): void => {
    if (thread === 1 && isTelling) log.warn(message);
  };
  let sasl: Authenticator | null = null;
  if (settings.saslEnabled) {
    const { createSaslAuthenticator } = await import('../auth/sasl-conf.js');
    sasl = createSaslAuthenticator(process.env, warnChanges).authenticator;
  }
  let asciiAuth: AsciiAuthenticator | null = null;
  if (settings.authFile !== null) {
    const { createAsciiAuth } = await import('../auth/ascii-auth.js');
    asciiAuth = createAsciiAuth(settings.authFile, warnChanges);
  }

  const listeners = await new Promise<SharedListeners | null>((resolve) => {
    port.once('message', (order: HostOrder) => {
      if (order.type === 'listen') resolve(order.listeners);
    });
    report({ type: 'prepared' });
  });
  let server: RunningServer;
  try {
    server = await startServer(settings, {
      log,
      store,
      runtime,
      sasl,
      asciiAuth,
      wide,
      ...(listeners === null ? {} : { sharedListeners: listeners }),
      // -Z: main's ticket keys and session cache, so that any thread resumes any session.
      ...(start.tlsTicketKeys === null ? {} : {
        tls: { ticketKeys: Buffer.from(start.tlsTicketKeys), sessions: settings.ssl.sessionCache ? new SessionRelay(port) : null },
      }),
      onShutdownRequest: (graceful: boolean) => report({ type: 'shutdown', graceful }),
    });
  } catch (e: unknown) {
    store.close();
    if (e instanceof BindError) report({ type: 'failed', message: e.message, exitCode: ExitCode.OsErr });
    else if (e instanceof ConfigError || e instanceof StartupError) report({ type: 'failed', message: e.message, exitCode: e.exitCode });
    else throw e;
    return;
  }
  port.on('message', (order: HostOrder) => {
    switch (order.type) {
      case 'listen':
        break; // (given once, above)
      case 'stop':
        server.close(order.graceful).then(
          () => report({ type: 'stopped' }),
          (e: unknown) => {
            log.error(`error while closing: ${errorMessage(e)}`);
            report({ type: 'stopped' });
          },
        );
        break;
      case 'reload-auth':
        isTelling = false;
        sasl?.reload();
        asciiAuth?.reload();
        isTelling = true;
        break;
      case 'save':
        if (settings.memoryFile === null) report({ type: 'saved' });
        else
          import('./warm-restart.js').then(
            ({ saveAtStop }) => {
              saveAtStop(store, settings, log);
              report({ type: 'saved' });
            },
            (e: unknown) => {
              // the module would not load: no image, but the stop goes on (as a failed save)
              log.error(`[restart] failed to save metadata: ${errorMessage(e)}`);
              report({ type: 'saved' });
            },
          );
        break;
    }
  });
  isTelling = true;
  report({
    type: 'listening',
    tcpAddresses: server.tcpAddresses,
    udpAddresses: server.udpAddresses,
    unixPath: server.unixPath,
    listeners: server.sharedListeners,
  });
}

// A rejection here is unhandled, so it is thrown in this thread: the main thread sees the
// worker's 'error' and ends the process.
if (!isMainThread && parentPort !== null) void serveThread(workerData as WorkerStart, parentPort);
