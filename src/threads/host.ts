// The main thread's side of a -t N server (docs/threads.md, "Threads"): makes the shared store
// memory, run-time settings and server-wide state, starts N serving threads (thread 1 binds the
// listeners, then threads 2..N accept on them by descriptor), and stops them. Thread 1 is the
// main thread itself (inProcessLink); threads 2..N are worker_threads. A serving thread that
// dies ends the process.

import { MessageChannel, Worker } from 'node:worker_threads';
import { writeFully } from '../common/fd-write.js';
import type { Settings } from '../config/settings.js';
import { RuntimeSettings } from '../config/runtime-settings.js';
import { StoreMemory } from '../store/store-memory.js';
import { StartupError } from '../errors.js';
import type { BoundAddress } from '../server.js';
import type { SessionCache } from '../net/tls-sessions.js';
import { ServerWide } from './server-wide.js';
import type { HostOrder, WorkerReport, WorkerStart } from './messages.js';
import { serveThread } from './worker-main.js';

const WORKER_SCRIPT = new URL('./worker-main.js', import.meta.url);
/**
 * A serving thread's V8 young generation, in MB. V8's default lets it grow to 8 MB and more
 * under a fill, all of it touched pages; 2 MB keeps each thread ~2 MiB smaller idle and ~5 MiB
 * filled (test/bench/thread-memory.ts). A request's garbage dies young, so scavenges stay cheap.
 */
const YOUNG_GENERATION_MB = 2;

export interface HostEvents {
  /** `shutdown [graceful]` on some thread's connection (with -A). */
  onShutdownRequest(graceful: boolean): void;
  /** A serving thread died (threw or exited): the process must end. */
  onThreadDeath(thread: number, err: unknown): void;
}

export interface RunningHost {
  readonly tcpAddresses: readonly BoundAddress[];
  readonly udpAddresses: readonly BoundAddress[];
  readonly unixPath: string | null;
  /** Every thread reads its password files again (SIGHUP, the privilege drop). */
  reloadAuth(): void;
  /** Stops every thread's connections (graceful: with their last replies), bounded by waitMs. */
  stopServing(graceful: boolean, waitMs: number): Promise<void>;
  /** After stopServing: thread 1 writes the -e image (the other threads are gone by then). */
  save(): Promise<void>;
  /** Ends every thread. */
  end(): Promise<void>;
}

/** Writes all of chunk to fd (blocking), dropping it if the descriptor is gone. */
function writeAll(fd: number, chunk: Buffer): void {
  try {
    writeFully(fd, chunk);
  } catch {
    // a closed stdout/stderr: nobody to tell
  }
}

/** How the host reaches a serving thread: orders out, reports in, and the end of it. */
interface ThreadLink {
  post(order: HostOrder): void;
  end(): Promise<void>;
}

/**
 * Thread 1 runs in the main thread itself, reached through a MessageChannel: a worker costs a
 * V8 isolate of its own (~12 MiB of RSS), and the main thread has nothing else to do but wait
 * for signals. At -t 1 that is the single loop of before threads; at -t N, N - 1 workers.
 */
function inProcessLink(start: WorkerStart, onReport: (r: WorkerReport) => void, onDeath: (e: unknown) => void): ThreadLink {
  const { port1, port2 } = new MessageChannel();
  port1.on('message', onReport);
  serveThread(start, port2).catch(onDeath);
  return {
    post: (order) => port1.postMessage(order),
    end: () => {
      port1.close(); // both ends: the thread's order handler goes with it
      return Promise.resolve();
    },
  };
}

/** Threads 2..N: a worker_thread each. */
function workerLink(start: WorkerStart, onReport: (r: WorkerReport) => void, onDeath: (e: unknown) => void, isEnding: () => boolean): ThreadLink {
  // stdout/stderr: true keeps Node from piping them into process.stdout/stderr, which would
  // open fd 1 and 2 as non-blocking pipes (a parent sharing them, e.g. a test harness, then
  // loses output to EAGAIN); what a thread writes there is copied with blocking writes.
  const worker = new Worker(WORKER_SCRIPT, {
    workerData: start,
    stdout: true,
    stderr: true,
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
  worker.stdout.on('data', (chunk: Buffer) => writeAll(1, chunk));
  worker.stderr.on('data', (chunk: Buffer) => writeAll(2, chunk));
  worker.on('message', onReport);
  worker.on('error', onDeath);
  worker.on('exit', (code: number) => {
    if (!isEnding()) onDeath(new Error(`serving thread ${start.thread} exited (${code})`));
  });
  return {
    post: (order) => worker.postMessage(order),
    end: async () => {
      await worker.terminate();
    },
  };
}

/** One serving thread and the reports it sends. */
class ServingThread {
  readonly thread: number;
  private readonly link: ThreadLink;
  private waiters: Array<{ type: WorkerReport['type']; resolve: (r: WorkerReport) => void }> = [];
  private isEnding = false;

  /** sessions: -o ssl_session_cache's server-wide cache, which this thread reaches by message. */
  constructor(thread: number, start: WorkerStart, events: HostEvents, sessions: SessionCache | null) {
    this.thread = thread;
    const onReport = (r: WorkerReport): void => {
      if (r.type === 'shutdown') {
        events.onShutdownRequest(r.graceful);
        return;
      }
      if (r.type === 'tls-session-save') {
        sessions?.save(Buffer.from(r.id), Buffer.from(r.data));
        return;
      }
      if (r.type === 'tls-session-find') {
        const request = r.request;
        if (sessions === null) this.order({ type: 'tls-session-found', request, data: null });
        else sessions.find(Buffer.from(r.id), (data) => this.order({ type: 'tls-session-found', request, data: data === null ? null : new Uint8Array(data) }));
        return;
      }
      if (r.type === 'failed') this.isEnding = true; // it ends by itself now
      const i = this.waiters.findIndex((w) => w.type === r.type || r.type === 'failed');
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(r);
    };
    const onDeath = (e: unknown): void => {
      this.isEnding = true;
      events.onThreadDeath(thread, e);
    };
    this.link = thread === 1 ? inProcessLink(start, onReport, onDeath) : workerLink(start, onReport, onDeath, () => this.isEnding);
  }

  /** The next report of this type (or a 'failed' one). */
  next(type: WorkerReport['type']): Promise<WorkerReport> {
    return new Promise((resolve) => this.waiters.push({ type, resolve }));
  }

  order(o: HostOrder): void {
    this.link.post(o);
  }

  async end(): Promise<void> {
    this.isEnding = true;
    await this.link.end();
  }
}

/** Starts settings.threads serving threads; rejects with a StartupError when thread 1 cannot start. */
export async function startHost(settings: Settings, events: HostEvents): Promise<RunningHost> {
  const memory = StoreMemory.create(settings);
  const runtime = new RuntimeSettings(settings);
  const wide = ServerWide.create(settings.threads, settings.verbosity, settings.maxConnections);
  // -Z: one set of ticket keys and one session cache for the server, whichever thread serves
  // (node:tls is loaded only then).
  let tlsTicketKeys: Uint8Array | null = null;
  let sessions: SessionCache | null = null;
  if (settings.ssl.enabled) {
    const { newTicketKeys } = await import('../net/tls-context.js');
    tlsTicketKeys = new Uint8Array(newTicketKeys());
    if (settings.ssl.sessionCache) sessions = new (await import('../net/tls-sessions.js')).SessionCache();
  }
  const threads: ServingThread[] = [];
  /** The thread's next report of this type; a 'failed' one ends every thread and rejects. */
  const expect = async (t: ServingThread, type: WorkerReport['type']): Promise<WorkerReport> => {
    const r = await t.next(type);
    if (r.type === 'failed') {
      await Promise.all(threads.map((x) => x.end()));
      throw new StartupError(r.message, r.exitCode);
    }
    return r;
  };
  const spawn = async (thread: number): Promise<ServingThread> => {
    const start: WorkerStart = { settings, thread, store: memory.buffers, runtime: runtime.buffer, wide: wide.buffers, tlsTicketKeys };
    const t = new ServingThread(thread, start, events, sessions);
    threads.push(t);
    await expect(t, 'prepared');
    return t;
  };

  // Thread 1 first: it restores the -e image before any other thread sees the store.
  const first = await spawn(1);
  const rest: Array<Promise<ServingThread>> = [];
  for (let t = 2; t <= settings.threads; t++) rest.push(spawn(t));
  const others = await Promise.all(rest);
  first.order({ type: 'listen', listeners: null });
  const bound = (await expect(first, 'listening')) as WorkerReport & { type: 'listening' };
  await Promise.all(
    others.map((t) => {
      t.order({ type: 'listen', listeners: bound.listeners });
      return expect(t, 'listening');
    }),
  );

  return {
    tcpAddresses: bound.tcpAddresses,
    udpAddresses: bound.udpAddresses,
    unixPath: bound.unixPath,
    reloadAuth(): void {
      for (const t of threads) t.order({ type: 'reload-auth' });
    },
    async stopServing(graceful: boolean, waitMs: number): Promise<void> {
      const stopped = threads.map((t) => t.next('stopped'));
      for (const t of threads) t.order({ type: 'stop', graceful });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, waitMs);
      });
      await Promise.race([Promise.all(stopped), timedOut]);
      clearTimeout(timer);
      // Threads 2..N end first: their handles on the shared listeners hold descriptor numbers
      // thread 1 already closed, and must be gone before anything opens a file (the -e image).
      await Promise.all(threads.slice(1).map((t) => t.end()));
    },
    async save(): Promise<void> {
      const t = threads[0]!;
      const saved = t.next('saved');
      t.order({ type: 'save' });
      await saved;
    },
    async end(): Promise<void> {
      await Promise.all(threads.map((t) => t.end()));
    },
  };
}
