// memcached's logger for `watch` connections (logger.c), one per server context.
//
// Events go first into the worker buffer (-o worker_logbuf_size): a fixed header and the key
// copied, nothing rendered. An event that finds less than a full entry's room there is dropped
// and counted (log_worker_dropped), as memcached's per-thread bipbuf does. DRAIN_DELAY_MS after
// the first entry (memcached: its logger thread's loop, which sleeps at least 1 ms) the buffer
// is drained: lines of many requests go out in one write per watcher, each entry is rendered once
// (watch-format.ts) and copied into the buffer of every watcher that asked for that kind of
// event. A watcher's buffer is bounded (-o watcher_logbuf_size): what waits in it plus what its
// socket has not yet handed to the kernel never exceeds that size. A line that does not fit is
// counted as skipped, and `skipped=N` is written before the next line that fits. So a watcher
// that never reads costs two buffers of that size, and nothing the other clients wait for.
//
// Nobody watching costs nothing: the store is told which item events to report (a bit mask it
// tests before building anything), and connection events check mask here first.
//
// With -t N, what the threads share is in a WatchShare (watch-share.ts): the mask is the union
// of every thread's watchers, so every thread records what somebody watches; gids and the log_*
// counters are server-wide. A thread's drain sends its entries, as recorded, to the other
// threads when some of them have watchers (one BroadcastChannel message per drain, so each
// thread's entries arrive in order); each thread renders them for its own watchers as it does
// its own entries, into the same bounded buffers with the same skipped= accounting.

import type { StoreListener, LookupOutcome, Store, StoreMode, StoreResult } from '../store/store.js';
import { StoreEvents } from '../store/store.js';
import { KEY_MAX_LENGTH } from '../common/limits.js';
import { WatchCount, WatchShare } from './watch-share.js';
import {
  ConnTransport,
  E_A,
  E_B,
  E_CFD,
  E_CLSID,
  E_GID,
  E_KIND,
  E_LA,
  E_PORT,
  E_SEC,
  E_TAIL_LEN,
  E_TTL,
  E_USEC,
  E_VLEN,
  ENTRY_HEADER,
  EntryKind,
  LineBuilder,
  renderEntry,
  writeSkipped,
  type CloseReason,
} from './watch-format.js';

export { CloseReason, ConnTransport } from './watch-format.js';

/** memcached's LOG_* event flags, as `watch` arguments select them. */
export const WatchFlag = {
  SysEvents: 1 << 1,
  Fetchers: 1 << 2,
  Mutations: 1 << 3,
  SysErrors: 1 << 4,
  ConnEvents: 1 << 5,
  Evictions: 1 << 6,
  RawCmds: 1 << 9,
  ProxyReqs: 1 << 10,
  ProxyEvents: 1 << 11,
  ProxyUser: 1 << 12,
} as const;

/** memcached's WATCHER_LIMIT. */
export const WATCHER_LIMIT = 20;
/** Room an entry needs in the worker buffer to be written (memcached reserves reqlen 512 + header). */
const ENTRY_RESERVE = ENTRY_HEADER + 512;
/** Room a line needs in a watcher's buffer beyond its own length (room for a `skipped=` line). */
const LINE_SLACK = 128;
const OK_LINE = Buffer.from('OK\r\n', 'latin1');
const NO_BYTES = Buffer.alloc(0);
/**
 * How long entries wait in the worker buffer. Draining every event-loop turn instead cost one
 * write per request per watcher (sequential gets ran at 0.3x); memcached's logger sleeps
 * between 1 ms and 1 s.
 */
const DRAIN_DELAY_MS = 1;
/**
 * Lines still staged after a drain (the socket held earlier bytes) are retried this much later,
 * in case the socket gives no 'drain' notice (plain sockets do not after a write below their
 * high-water mark); normally Connection.onDrain flushes them first.
 */
const RETRY_DELAY_MS = 10;
/** Unix ms when performance.now() was 0 (constant; reading the getter each time costs). */
const TIME_ORIGIN_MS = performance.timeOrigin;

/** The flag a watcher needs for each EntryKind. */
const KIND_FLAG: readonly number[] = [WatchFlag.Fetchers, WatchFlag.Mutations, WatchFlag.Evictions, WatchFlag.ConnEvents, WatchFlag.ConnEvents];

/** The socket a watcher writes to (net/ implements it on the watching connection). */
export interface WatchSink {
  /** Bytes handed to the socket that the kernel has not taken yet. */
  readonly queuedBytes: number;
  /**
   * Hands bytes to the socket, after everything written to it before. The buffer is not
   * touched again until queuedBytes has fallen to 0.
   */
  writeWatch(buf: Buffer): void;
}

/** One `watch` connection: what it asked for and its bounded output buffer. */
export class Watcher {
  readonly flags: number;
  /** Entries logged before the watcher existed (lower gid) are not shown to it. */
  readonly minGid: number;
  private readonly sink: WatchSink;
  private readonly capacity: number;
  /** Lines waiting: staging[0, fill). */
  private staging: Buffer;
  private fill: number;
  /** The buffer last handed to the socket, reused once the socket has written it. */
  private spare: Buffer;
  /** Lines not written since the last one that was, for the next `skipped=` line. */
  skipped: number;
  /** This drain pass already found no room: skip without trying to flush again (memcached's failed_flush). */
  isFlushFailed: boolean;

  /** staging and spare: two buffers of capacity bytes, allocated by the caller. */
  constructor(sink: WatchSink, flags: number, minGid: number, staging: Buffer, spare: Buffer) {
    this.sink = sink;
    this.flags = flags;
    this.minGid = minGid;
    this.capacity = staging.length;
    this.staging = staging;
    this.fill = 0;
    this.spare = spare;
    this.skipped = 0;
    this.isFlushFailed = false;
  }

  get hasStaged(): boolean {
    return this.fill > 0;
  }

  /** Room for more lines: the capacity less what waits here and in the socket. */
  get freeBytes(): number {
    return this.capacity - this.fill - this.sink.queuedBytes;
  }

  /** Copies src[start, start + len) in; the caller checked freeBytes. */
  offer(src: Buffer, start: number, len: number): void {
    this.fill += src.copy(this.staging, this.fill, start, start + len);
  }

  /** Writes `skipped=N\n` in (room was checked with the line that follows it). */
  putSkipped(line: LineBuilder): void {
    this.fill += writeSkipped(this.staging, this.fill, this.skipped, line);
    this.skipped = 0;
  }

  /**
   * Hands what waits to the socket when it holds nothing older (one write in flight at most,
   * so the socket never holds more than one buffer). Returns the bytes handed over.
   */
  flush(): number {
    const n = this.fill;
    if (n === 0 || this.sink.queuedBytes > 0) return 0;
    const buf = this.staging;
    this.sink.writeWatch(buf.subarray(0, n));
    this.fill = 0;
    if (this.sink.queuedBytes > 0) {
      // The socket keeps these bytes until the kernel takes them: fill the other buffer meanwhile.
      this.staging = this.spare;
      this.spare = buf;
    }
    return n;
  }
}

/** The log_* figures of `stats`. */
export interface WatchStats {
  log_worker_dropped: number;
  log_worker_written: number;
  log_watcher_skipped: number;
  log_watcher_sent: number;
  log_watchers: number;
}

/** The store events a union of watch flags needs. */
function storeEventsOf(flags: number): number {
  let events = 0;
  if ((flags & WatchFlag.Fetchers) !== 0) events |= StoreEvents.ItemGet;
  if ((flags & WatchFlag.Mutations) !== 0) events |= StoreEvents.ItemStore;
  if ((flags & WatchFlag.Evictions) !== 0) events |= StoreEvents.Eviction;
  return events;
}

export class WatchLog implements StoreListener {
  /** The connection whose request runs now (sessions set it): memcached's cfd= (c->sfd). */
  cfd: number;
  private readonly share: WatchShare;
  /** This thread's log_* counters (share.counts). */
  private readonly counts: Float64Array;
  /** Entries of other threads (null with one thread); open until close(). */
  private channel: BroadcastChannel | null;
  private readonly sums: WatchStats;
  private readonly watcherBufBytes: number;
  private readonly workerBufBytes: number;
  private readonly watchers: Array<Watcher | null>;
  private watcherCount: number;
  /** The worker buffer: entries in work[0, workEnd), drained all at once; made at the first watch. */
  private work: Buffer;
  private workEnd: number;
  private isDrainScheduled: boolean;
  /** The drain timer, made once and re-armed with refresh() (no timer object per drain). */
  private drainTimer: NodeJS.Timeout | null;
  private retryTimer: NodeJS.Timeout | null;
  private isRetryScheduled: boolean;
  private readonly line: LineBuilder;
  private readonly skipLine: LineBuilder;
  private readonly drainNow: () => void;
  private readonly retryNow: () => void;

  /** share: what the server's threads share; by default this log's own (one thread). */
  constructor(store: Store, watcherBufBytes: number, workerBufBytes: number, share = new WatchShare(WatchShare.buffersFor(1), 1)) {
    this.cfd = 0;
    this.share = share;
    this.counts = share.counts;
    this.channel = null;
    this.sums = { log_worker_dropped: 0, log_worker_written: 0, log_watcher_skipped: 0, log_watcher_sent: 0, log_watchers: 0 };
    this.watcherBufBytes = watcherBufBytes;
    this.workerBufBytes = workerBufBytes;
    this.watchers = new Array<Watcher | null>(WATCHER_LIMIT).fill(null);
    this.watcherCount = 0;
    this.work = NO_BYTES;
    this.workEnd = 0;
    this.isDrainScheduled = false;
    this.drainTimer = null;
    this.retryTimer = null;
    this.isRetryScheduled = false;
    this.line = new LineBuilder();
    this.skipLine = new LineBuilder(64);
    this.drainNow = (): void => this.drain();
    this.retryNow = (): void => this.retry();
    // The store reads the shared mask word at each verb: events start and stop at once on every thread.
    store.setListener(this, share.events);
    if (share.channel !== null) {
      const channel = new BroadcastChannel(share.channel);
      channel.onmessage = (e: unknown): void => this.receive((e as MessageEvent<Uint8Array>).data);
      (channel as unknown as { unref(): void }).unref();
      this.channel = channel;
    }
  }

  /** Whether connection events are being recorded (callers skip gathering addresses if not). */
  get wantsConnEvents(): boolean {
    return (this.share.flags & WatchFlag.ConnEvents) !== 0;
  }

  /** The log_* figures of `stats`, server-wide (a reused object: read it at once). */
  get stats(): WatchStats {
    const s = this.sums;
    const share = this.share;
    s.log_worker_dropped = share.sum(WatchCount.WorkerDropped);
    s.log_worker_written = share.sum(WatchCount.WorkerWritten);
    s.log_watcher_skipped = share.sum(WatchCount.WatcherSkipped);
    s.log_watcher_sent = share.sum(WatchCount.WatcherSent);
    s.log_watchers = share.watchers;
    return s;
  }

  /** The server closes: no more entries from other threads. */
  close(): void {
    this.channel?.close();
    this.channel = null;
  }

  /**
   * A connection becomes a watcher of the events in flags; 'too_many' when WATCHER_LIMIT
   * watchers exist already, 'failed' when its buffers cannot be had (memcached's malloc
   * failure: the sizes come from -o). Its first bytes are memcached's `OK\r\n`, written by the
   * log like its lines.
   */
  add(sink: WatchSink, flags: number): Watcher | 'too_many' | 'failed' {
    if (this.watcherCount >= WATCHER_LIMIT) return 'too_many';
    let staging: Buffer;
    let spare: Buffer;
    try {
      if (this.work.length === 0 && this.workerBufBytes > 0) this.work = Buffer.allocUnsafe(this.workerBufBytes);
      staging = Buffer.allocUnsafe(this.watcherBufBytes);
      spare = Buffer.allocUnsafe(this.watcherBufBytes);
    } catch (e: unknown) {
      if (e instanceof RangeError) return 'failed'; // beyond what a Buffer can hold
      throw e;
    }
    const slot = this.watchers.indexOf(null);
    const w = new Watcher(sink, flags, this.share.nextGid(), staging, spare);
    w.offer(OK_LINE, 0, OK_LINE.length);
    this.watchers[slot] = w;
    this.watcherCount++;
    this.updateMask(1);
    this.scheduleDrain();
    return w;
  }

  /** The watching connection closed: its waiting lines are dropped. */
  remove(w: Watcher): void {
    const slot = this.watchers.indexOf(w);
    if (slot < 0) return;
    this.watchers[slot] = null;
    this.watcherCount--;
    this.updateMask(-1);
  }

  /** `stats reset` zeroes the counters (log_watchers is a gauge). */
  resetStats(): void {
    this.share.reset();
  }

  /** This thread's watchers changed (by watcherDelta): the server-wide mask follows. */
  private updateMask(watcherDelta: number): void {
    let mask = 0;
    for (const w of this.watchers) if (w !== null) mask |= w.flags;
    this.share.update(mask, watcherDelta, storeEventsOf);
  }

  // --- recording (StoreListener and net/) ----------------------------------------------

  itemGet(outcome: LookupOutcome, key: Buffer, keyStart: number, keyLen: number, valueLen: number, slabClass: number): void {
    const at = this.begin(EntryKind.ItemGet, keyLen);
    if (at < 0) return;
    const work = this.work;
    work[at + E_A] = outcome;
    work.writeInt32LE(this.cfd, at + E_CFD);
    work.writeInt32LE(valueLen, at + E_VLEN);
    work.writeInt32LE(slabClass, at + E_CLSID);
    this.putTail(at, key, keyStart, keyLen);
  }

  itemStore(result: StoreResult, mode: StoreMode, key: Buffer, keyStart: number, keyLen: number, valueLen: number,
    ttlSec: number, slabClass: number): void {
    const at = this.begin(EntryKind.ItemStore, keyLen);
    if (at < 0) return;
    const work = this.work;
    work[at + E_A] = result;
    work[at + E_B] = mode;
    work.writeInt32LE(this.cfd, at + E_CFD);
    work.writeInt32LE(valueLen, at + E_VLEN);
    work.writeInt32LE(slabClass, at + E_CLSID);
    work.writeDoubleLE(ttlSec, at + E_TTL);
    this.putTail(at, key, keyStart, keyLen);
  }

  eviction(key: Buffer, keyStart: number, keyLen: number, valueLen: number, isFetched: boolean, ttlSec: number,
    idleSec: number, slabClass: number): void {
    const at = this.begin(EntryKind.Eviction, keyLen);
    if (at < 0) return;
    const work = this.work;
    work[at + E_A] = isFetched ? 1 : 0;
    work.writeInt32LE(0, at + E_CFD);
    work.writeInt32LE(valueLen, at + E_VLEN);
    work.writeInt32LE(slabClass, at + E_CLSID);
    work.writeDoubleLE(ttlSec, at + E_TTL);
    work.writeInt32LE(idleSec | 0, at + E_LA);
    this.putTail(at, key, keyStart, keyLen);
  }

  /**
   * A client connection was accepted (TCP or unix; memcached logs none for UDP). rip: the peer's
   * address as inet_ntop prints it, or 'unix'.
   */
  connNew(cfd: number, transport: ConnTransport, rip: string, rport: number): void {
    this.connEvent(EntryKind.ConnNew, cfd, transport, rip, rport, 0);
  }

  connClose(cfd: number, transport: ConnTransport, rip: string, rport: number, reason: CloseReason): void {
    this.connEvent(EntryKind.ConnClose, cfd, transport, rip, rport, reason);
  }

  private connEvent(kind: EntryKind, cfd: number, transport: ConnTransport, rip: string, rport: number, reason: number): void {
    if ((this.share.flags & WatchFlag.ConnEvents) === 0) return;
    const ripLen = Math.min(rip.length, 63);
    const at = this.begin(kind, ripLen);
    if (at < 0) return;
    const work = this.work;
    work[at + E_A] = transport;
    work[at + E_B] = reason;
    work.writeInt32LE(cfd, at + E_CFD);
    work.writeInt32LE(rport, at + E_PORT);
    work.write(rip, at + ENTRY_HEADER, ripLen, 'latin1');
  }

  /** Room for one entry in the worker buffer: its offset with the common fields written, or -1 (dropped). */
  private begin(kind: EntryKind, tailLen: number): number {
    if (tailLen > KEY_MAX_LENGTH) tailLen = KEY_MAX_LENGTH;
    const at = this.workEnd;
    if (this.work.length - at < ENTRY_RESERVE && !this.hasWorkRoom(at)) {
      this.counts[WatchCount.WorkerDropped]!++;
      return -1;
    }
    this.workEnd = at + ENTRY_HEADER + tailLen;
    this.counts[WatchCount.WorkerWritten]!++;
    const work = this.work;
    work[at + E_KIND] = kind;
    work[at + E_TAIL_LEN] = tailLen;
    work.writeDoubleLE(this.share.nextGid(), at + E_GID);
    // gettimeofday's seconds and microseconds (wall clock at start + the monotonic clock since)
    const us = Math.floor((TIME_ORIGIN_MS + performance.now()) * 1000);
    const sec = Math.floor(us / 1e6);
    work.writeUInt32LE(sec, at + E_SEC);
    work.writeUInt32LE(us - sec * 1e6, at + E_USEC);
    if (!this.isDrainScheduled) this.scheduleDrain();
    return at;
  }

  /** The worker buffer is made at the first entry (a thread records for other threads' watchers too). */
  private hasWorkRoom(at: number): boolean {
    if (this.work.length > 0 || this.workerBufBytes <= 0) return false;
    try {
      this.work = Buffer.allocUnsafe(this.workerBufBytes);
    } catch (e: unknown) {
      if (e instanceof RangeError) return false;
      throw e;
    }
    return this.work.length - at >= ENTRY_RESERVE;
  }

  private putTail(at: number, src: Buffer, start: number, len: number): void {
    const work = this.work;
    if (len > KEY_MAX_LENGTH) len = KEY_MAX_LENGTH;
    const to = at + ENTRY_HEADER;
    if (len <= 32) for (let i = 0; i < len; i++) work[to + i] = src[start + i]!;
    else src.copy(work, to, start, start + len);
  }

  private scheduleDrain(): void {
    if (this.isDrainScheduled) return;
    this.isDrainScheduled = true;
    if (this.drainTimer === null) this.drainTimer = setTimeout(this.drainNow, DRAIN_DELAY_MS).unref();
    else this.drainTimer.refresh();
  }

  // --- draining (memcached's logger thread) ----------------------------------------------

  /**
   * Sends the recorded entries to the other threads when some have watchers, renders them to
   * this thread's watchers that want them, then writes to their sockets.
   */
  private drain(): void {
    this.isDrainScheduled = false;
    const end = this.workEnd;
    this.workEnd = 0;
    if (end > 0 && this.channel !== null && this.share.watchers > this.watcherCount) {
      // A copy of exactly the entries (posting a view would copy its whole buffer).
      const copy = new Uint8Array(end);
      copy.set(this.work.subarray(0, end));
      this.channel.postMessage(copy);
    }
    this.render(this.work, end);
  }

  /** Entries another thread recorded: rendered for this thread's watchers, if any. */
  private receive(data: Uint8Array): void {
    if (this.watcherCount === 0 || !(data instanceof Uint8Array)) return;
    this.render(Buffer.from(data.buffer, data.byteOffset, data.byteLength), data.byteLength);
  }

  /** The entries in entries[0, end) to the watchers that want them, then their sockets written. */
  private render(entries: Buffer, end: number): void {
    const watchers = this.watchers;
    for (const w of watchers) {
      if (w === null) continue;
      w.isFlushFailed = false;
      w.flush();
    }
    let at = 0;
    while (at < end && this.watcherCount > 0) {
      const kind = entries[at + E_KIND]!;
      this.deliver(entries, at, KIND_FLAG[kind]!, entries.readDoubleLE(at + E_GID));
      at += ENTRY_HEADER + entries[at + E_TAIL_LEN]!;
    }
    let isStaged = false;
    for (const w of watchers) {
      if (w === null) continue;
      w.flush();
      if (w.hasStaged) isStaged = true;
    }
    if (isStaged && !this.isRetryScheduled) {
      this.isRetryScheduled = true;
      if (this.retryTimer === null) this.retryTimer = setTimeout(this.retryNow, RETRY_DELAY_MS).unref();
      else this.retryTimer.refresh();
    }
  }

  /** The retry after a drain that left lines staged: flush what the sockets now take. */
  private retry(): void {
    this.isRetryScheduled = false;
    if (!this.isDrainScheduled) this.drain();
  }

  /** logger_thread_write_entry: the line of the entry at entries[at] to each watcher of flag. */
  private deliver(entries: Buffer, at: number, flag: number, gid: number): void {
    const line = this.line;
    let isRendered = false;
    for (const w of this.watchers) {
      if (w === null || (w.flags & flag) === 0 || gid < w.minGid) continue;
      if (!isRendered) {
        renderEntry(entries, at, line);
        isRendered = true;
      }
      const need = line.len + LINE_SLACK;
      while (!w.isFlushFailed && w.freeBytes < need) {
        if (w.flush() === 0) w.isFlushFailed = true;
      }
      if (w.isFlushFailed) {
        w.skipped++;
        this.counts[WatchCount.WatcherSkipped]!++;
        continue;
      }
      if (w.skipped > 0) w.putSkipped(this.skipLine);
      w.offer(line.buf, 0, line.len);
      this.counts[WatchCount.WatcherSent]!++;
    }
  }
}
