// -o read_buf_mem_limit=N (MiB): memcached bounds the memory of its connection buffers. Each
// worker thread keeps a cache of 16 KiB buffers limited to N MiB / -t of them; a connection
// takes one as its read buffer while it has input in hand, and its replies take "response
// objects", 13 to a buffer. When the cache is empty memcached gives up on the request:
// - a new read buffer: the connection is closed (`read_buf_oom`);
// - a response object for a command: the connection is closed, its unflushed replies lost;
// - a response object for the next key of a multiget: the replies queued since the last flush
//   are dropped and the get answers `SERVER_ERROR out of memory writing get response`
//   (`response_obj_oom` counts every refusal).
// Replies are flushed (their objects freed) after a get, at `mn`, at a -R yield and when the
// input runs dry. We run on one event loop, so the worker threads are virtual: connections are
// dealt to them round-robin as memcached's dispatcher deals them to threads, each with its own
// budget, which is what makes a small limit bite as it does in memcached. Off (null) without
// the option: then nothing here runs.

import type { Settings } from '../config/settings.js';
import type { Counters } from '../stats/counters.js';

/** memcached's READ_BUFFER_SIZE: the unit of the budget. */
export const READ_BUFFER_SIZE = 16384;
/**
 * memcached's MAX_RESP_PER_BUNDLE on 64-bit Linux: (16384 - 24-byte bundle header) over a
 * 1184-byte mc_resp (its 1 KiB write buffer included).
 */
export const RESPONSES_PER_BUNDLE = 13;

/** The buffers of every virtual worker thread. One per server. */
export class BufferBudget {
  /** Buffers each virtual thread may still hand out. */
  private readonly freeBuffers: Int32Array;
  private nextThread: number;

  constructor(limitBytes: number, threads: number) {
    // thread.c: limit / num_threads, in whole buffers, at least one.
    const perThread = Math.floor(limitBytes / threads);
    const buffers = perThread < READ_BUFFER_SIZE ? 1 : Math.floor(perThread / READ_BUFFER_SIZE);
    this.freeBuffers = new Int32Array(threads).fill(buffers);
    this.nextThread = 0;
  }

  /**
   * servingThreads: with -t N real threads each has its own budget, one thread's share;
   * a server of one loop deals its connections to -t virtual threads.
   */
  static forSettings(settings: Settings, servingThreads = 1): BufferBudget | null {
    if (settings.readBufMemLimitBytes <= 0) return null;
    if (servingThreads > 1) return new BufferBudget(settings.readBufMemLimitBytes / servingThreads, 1);
    return new BufferBudget(settings.readBufMemLimitBytes, Math.max(1, settings.threads));
  }

  /** The virtual thread of a new connection (round-robin, as dispatch_conn_new). */
  assignThread(): number {
    const t = this.nextThread;
    this.nextThread = (t + 1) % this.freeBuffers.length;
    return t;
  }

  take(thread: number): boolean {
    if (this.freeBuffers[thread]! <= 0) return false;
    this.freeBuffers[thread]!--;
    return true;
  }

  give(thread: number, count: number): void {
    this.freeBuffers[thread]! += count;
  }
}

/** One connection's share of its thread's buffers. */
export class ConnBuffers {
  private readonly budget: BufferBudget;
  private readonly counters: Counters;
  private readonly thread: number;
  hasReadBuffer: boolean;
  /** Response objects in use since the last flush, and the buffers ("bundles") holding them. */
  private responses: number;
  private bundles: number;

  constructor(budget: BufferBudget, counters: Counters) {
    this.budget = budget;
    this.counters = counters;
    this.thread = budget.assignThread();
    this.hasReadBuffer = false;
    this.responses = 0;
    this.bundles = 0;
  }

  /** rbuf_alloc: false (counted as read_buf_oom) when the thread has no buffer left. */
  acquireReadBuffer(): boolean {
    if (this.hasReadBuffer) return true;
    if (!this.budget.take(this.thread)) {
      this.counters.read_buf_oom++;
      return false;
    }
    this.hasReadBuffer = true;
    return true;
  }

  /** rbuf_release: the input is all handled. */
  releaseReadBuffer(): void {
    if (!this.hasReadBuffer) return;
    this.hasReadBuffer = false;
    this.budget.give(this.thread, 1);
  }

  /** resp_start: false (counted as response_obj_oom) when no response object can be had. */
  startResponse(): boolean {
    if (this.responses === this.bundles * RESPONSES_PER_BUNDLE) {
      if (!this.budget.take(this.thread)) {
        this.counters.response_obj_oom++;
        return false;
      }
      this.bundles++;
    }
    this.responses++;
    return true;
  }

  /** The replies since the last flush were written (or dropped): their objects are free. */
  releaseResponses(): void {
    if (this.bundles === 0) return;
    this.budget.give(this.thread, this.bundles);
    this.bundles = 0;
    this.responses = 0;
  }

  /** The connection is gone. */
  close(): void {
    this.releaseResponses();
    this.releaseReadBuffer();
  }
}
