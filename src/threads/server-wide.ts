// What every serving thread of one server shares besides the store (docs/threads.md,
// "Server-wide behaviour"): the -c count and the other connection gauges, the connection ids,
// the verbosity level, one block of Counters per thread that `stats` sums, and (with several
// threads) the connection table of `stats conns`. All of it is in SharedArrayBuffers: a worker
// attaches to the same state with attach(buffers, thread); a server of one loop (tests, tools)
// makes its own with create(1, ...).

import { randomUUID } from 'node:crypto';
import { COUNTER_WORDS, Counters } from '../stats/counters.js';
import { ConnTable } from './conn-table.js';
import { WatchShare, type WatchShareBuffers } from '../log/watch-share.js';

/** What a thread needs to attach: structured-clonable as it is. */
export interface ServerWideBuffers {
  readonly gauges: SharedArrayBuffer;
  /** Block 0: the values at the last `stats reset`; block t: thread t's Counters. */
  readonly counters: SharedArrayBuffer;
  /** The BroadcastChannel on which a freed -c slot is announced to threads with parked sockets. */
  readonly slotChannel: string;
  /** The BroadcastChannel on which a successful refresh_certs is announced (null with one thread). */
  readonly certsChannel: string | null;
  /** ConnTable's records; null with one thread (its own sessions are every connection). */
  readonly connTable: SharedArrayBuffer | null;
  /** What the threads' watch logs share (log/watch-share.ts). */
  readonly watch: WatchShareBuffers;
}

// Int32 words of the gauges block.
const CLIENTS = 0; // client connections holding a -c slot
const LISTENER_CONNS = 1; // listening sockets and UDP conns (memcached counts them as conns)
const CONN_STRUCTURES = 2; // the most conns ever open at once
const NEXT_CONN_ID = 3;
const PARKED = 4; // sockets accepted beyond -c waiting for a slot, every thread's
const VERBOSITY = 5;
const CERT_GENERATION = 6; // bumped by each successful refresh_certs (net/tls-context.ts)
const GAUGE_WORDS = 8; // (word 7 pads to the Float64 below)
// Float64 words after the Int32 ones.
const CERTS_LOADED_AT_MS = 0;
const GAUGE_FLOATS = 1;
const FIRST_CONN_ID = 23; // memcached numbers its connections by fd; its first listener is fd 23

/**
 * One server's shared state as one thread sees it (each thread attaches its own instance).
 */
export class ServerWide {
  /** The shared memory, to hand to another thread. */
  readonly buffers: ServerWideBuffers;
  /** Serving threads (-t). */
  readonly threads: number;
  /** The thread this instance serves (1..threads). */
  readonly thread: number;
  /** This thread's counters. */
  readonly counters: Counters;
  /** Every thread's connections, for `stats conns`; null with one thread. */
  readonly connTable: ConnTable | null;
  private readonly gauges: Int32Array;
  private readonly floats: Float64Array;
  private readonly blocks: Float64Array[];
  /** Thread t's counters at [t - 1]. */
  readonly perThread: readonly Counters[];
  private readonly baseline: Float64Array;
  /** `stats` totals, filled by totals() (one per thread, reused). */
  private readonly sum: Counters;

  private constructor(buffers: ServerWideBuffers, thread: number) {
    this.buffers = buffers;
    this.thread = thread;
    this.connTable = buffers.connTable === null ? null : new ConnTable(buffers.connTable);
    this.gauges = new Int32Array(buffers.gauges, 0, GAUGE_WORDS);
    this.floats = new Float64Array(buffers.gauges, GAUGE_WORDS * 4, GAUGE_FLOATS);
    const blockCount = buffers.counters.byteLength / (COUNTER_WORDS * 8);
    this.threads = blockCount - 1;
    this.blocks = [];
    for (let t = 1; t < blockCount; t++) this.blocks.push(new Float64Array(buffers.counters, t * COUNTER_WORDS * 8, COUNTER_WORDS));
    this.perThread = this.blocks.map((block) => new Counters(block));
    this.counters = this.perThread[thread - 1]!;
    this.baseline = new Float64Array(buffers.counters, 0, COUNTER_WORDS);
    this.sum = new Counters();
  }

  /**
   * A fresh state for threads serving threads, seen from thread 1; verbosity: -v's count;
   * maxConnections: -c (the connection table's size).
   */
  static create(threads: number, verbosity: number, maxConnections = 0): ServerWide {
    const wide = new ServerWide(
      {
        gauges: new SharedArrayBuffer(GAUGE_WORDS * 4 + GAUGE_FLOATS * 8),
        counters: new SharedArrayBuffer((threads + 1) * COUNTER_WORDS * 8),
        slotChannel: 'memcachedts-slots-' + randomUUID(),
        certsChannel: threads > 1 ? 'memcachedts-certs-' + randomUUID() : null,
        connTable: threads > 1 ? ConnTable.create(maxConnections).buffer : null,
        watch: WatchShare.buffersFor(threads),
      },
      1,
    );
    wide.gauges[NEXT_CONN_ID] = FIRST_CONN_ID;
    wide.gauges[VERBOSITY] = verbosity;
    // Each thread loads the certificates (-Z) as it starts, within moments of this.
    wide.floats[CERTS_LOADED_AT_MS] = Date.now();
    return wide;
  }

  /** The state another thread made, seen from thread (1-based, as memcached numbers its workers). */
  static attach(buffers: ServerWideBuffers, thread: number): ServerWide {
    return new ServerWide(buffers, thread);
  }

  /** The next fd-like id, unique across threads (listeners take theirs first, as in memcached). */
  allocateId(): number {
    return Atomics.add(this.gauges, NEXT_CONN_ID, 1);
  }

  /** Takes a -c slot for a new client; false when the server is full. */
  takeClientSlot(maxConnections: number): boolean {
    const g = this.gauges;
    const before = Atomics.add(g, CLIENTS, 1);
    if (before >= maxConnections) {
      Atomics.sub(g, CLIENTS, 1);
      return false;
    }
    this.noteStructures(before + 1 + Atomics.load(g, LISTENER_CONNS));
    return true;
  }

  releaseClientSlot(): void {
    Atomics.sub(this.gauges, CLIENTS, 1);
  }

  /** Client connections server-wide (a plain read: -R's "anyone else to yield to?"). */
  get clientCount(): number {
    return this.gauges[CLIENTS]!;
  }

  countListenerConns(n: number): void {
    const all = Atomics.add(this.gauges, LISTENER_CONNS, n) + n + Atomics.load(this.gauges, CLIENTS);
    this.noteStructures(all);
  }

  private noteStructures(all: number): void {
    const g = this.gauges;
    for (;;) {
      const seen = Atomics.load(g, CONN_STRUCTURES);
      if (all <= seen || Atomics.compareExchange(g, CONN_STRUCTURES, seen, all) === seen) return;
    }
  }

  /** memcached's curr_connections: all conns, listeners included, minus one. */
  get currConnections(): number {
    const all = Atomics.load(this.gauges, LISTENER_CONNS) + Atomics.load(this.gauges, CLIENTS);
    return all > 0 ? all - 1 : 0;
  }

  get connectionStructures(): number {
    return Atomics.load(this.gauges, CONN_STRUCTURES);
  }

  /** n sockets parked (or, negative, let in); returns the count before. */
  addParked(n: number): number {
    return Atomics.add(this.gauges, PARKED, n);
  }

  get parkedCount(): number {
    return Atomics.load(this.gauges, PARKED);
  }

  /** 0 while sockets wait for a slot anywhere (memcached stops accepting), else 1. */
  get acceptingConns(): number {
    return this.parkedCount > 0 ? 0 : 1;
  }

  /** The verbosity word alone, for a thread's logger to keep its level in. */
  verbosityWord(): Int32Array {
    return new Int32Array(this.buffers.gauges, VERBOSITY * 4, 1);
  }

  /** This thread's side of the shared watch state (one per call: the server's WatchLog takes it). */
  watchShare(): WatchShare {
    return new WatchShare(this.buffers.watch, this.thread);
  }

  // The certificates' state (net/tls-context.ts CertsShare).

  get certGeneration(): number {
    return Atomics.load(this.gauges, CERT_GENERATION);
  }

  get certsChannel(): string | null {
    return this.buffers.certsChannel;
  }

  get certsLoadedAtMs(): number {
    return this.floats[CERTS_LOADED_AT_MS]!;
  }

  noteCertRefresh(atMs: number): number {
    this.floats[CERTS_LOADED_AT_MS] = atMs;
    // The time is written before the generation moves (Atomics.add orders the plain store).
    return Atomics.add(this.gauges, CERT_GENERATION, 1) + 1;
  }

  /** Every thread's counters summed, since the last `stats reset` (reused: read it at once). */
  totals(): Counters {
    const out = this.sum.words;
    out.fill(0);
    for (const block of this.blocks) for (let i = 0; i < COUNTER_WORDS; i++) out[i]! += block[i]!;
    const base = this.baseline;
    for (let i = 0; i < COUNTER_WORDS; i++) out[i]! -= base[i]!;
    return this.sum;
  }

  /**
   * `stats reset`: the totals start again from 0. Each block is written by its own thread only,
   * so the reset moves the baseline instead of zeroing other threads' words under them.
   */
  resetCounters(): void {
    const base = this.baseline;
    base.fill(0);
    for (const block of this.blocks) for (let i = 0; i < COUNTER_WORDS; i++) base[i]! += block[i]!;
  }
}
