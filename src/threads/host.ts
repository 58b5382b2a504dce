// The main thread's side of a -t N server (docs/threads.md, "Threads"): makes the shared store
// memory, run-time settings and server-wide state, starts N serving threads (thread 1 binds the
// listeners, then threads 2..N accept on them by descriptor), and stops them. The main thread
// itself never accepts a connection. A serving thread that dies ends the process.

import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Settings } from '../config/settings.js';
import { RuntimeSettings } from '../config/runtime-settings.js';
import { StoreMemory } from '../store/store-memory.js';
import { StartupError } from '../errors.js';
import type { BoundAddress } from '../server.js';
import type { SessionCache } from '../net/tls-sessions.js';
import { ServerWide } from './server-wide.js';
import type { HostOrder, WorkerReport, WorkerStart } from './messages.js';

const WORKER_SCRIPT = new URL('./worker-main.js', import.meta.url);

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
    for (let off = 0; off < chunk.length; ) off += fs.writeSync(fd, chunk, off);
  } catch {
    // a closed stdout/stderr: nobody to tell
  }
}

/** One serving thread and the reports it sends. */
class ServingThread {
  readonly thread: number;
  readonly worker: Worker;
  private waiters: Array<{ type: WorkerReport['type']; resolve: (r: WorkerReport) => void }> = [];
  isEnding = false;

  /** sessions: -o ssl_session_cache's server-wide cache, which this thread reaches by message. */
  constructor(thread: number, start: WorkerStart, events: HostEvents, sessions: SessionCache | null) {
    this.thread = thread;
    // stdout/stderr: true keeps Node from piping them into process.stdout/stderr, which would
    // open fd 1 and 2 as non-blocking pipes (a parent sharing them, e.g. a test harness, then
    // loses output to EAGAIN); what a thread writes there is copied with blocking writes.
    this.worker = new Worker(WORKER_SCRIPT, { workerData: start, stdout: true, stderr: true });
    this.worker.stdout.on('data', (chunk: Buffer) => writeAll(1, chunk));
    this.worker.stderr.on('data', (chunk: Buffer) => writeAll(2, chunk));
    this.worker.on('message', (r: WorkerReport) => {
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
    });
    this.worker.on('error', (e: unknown) => {
      this.isEnding = true;
      events.onThreadDeath(thread, e);
    });
    this.worker.on('exit', (code: number) => {
      if (!this.isEnding) events.onThreadDeath(thread, new Error(`serving thread ${thread} exited (${code})`));
    });
  }

  /** The next report of this type (or a 'failed' one). */
  next(type: WorkerReport['type']): Promise<WorkerReport> {
    return new Promise((resolve) => this.waiters.push({ type, resolve }));
  }

  order(o: HostOrder): void {
    this.worker.postMessage(o);
  }

  async end(): Promise<void> {
    this.isEnding = true;
    await this.worker.terminate();
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
