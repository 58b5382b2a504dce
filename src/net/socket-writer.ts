// Writes a connection's reply batches to its socket, straight to the stream handle when it can.
//
// socket.write() goes through Node's Writable stream: a write request object, the write
// callback, and a nextTick per write (whose tick drain also allocates), even when the kernel
// takes every byte at once, which is nearly always the case for a cache's replies. Here a batch
// goes to the handle's own writeBuffer/writev with one shared request object: when the kernel
// takes it all (the common case) nothing is allocated and nothing is scheduled. When it does
// not, libuv queues the rest in order and calls back once it is written; that request is then
// left to the handle and a new one is made for the next write.
//
// Every write to the socket must go through its writer (socket.end() with no data aside, which
// libuv orders after the writes it holds). The ordinary socket.write() is used whenever the
// stream itself holds bytes the writer gave it (so the two never overtake each other), and on a
// Node whose handle does not look as expected (then every write takes that path). Once the
// connection closes, writes are dropped (close()).
//
// With hundreds of connections each event touches a different connection's objects, so the
// writer keeps what it needs to decide (the handle, whether the stream was ever written to)
// itself rather than asking the socket (or its stream state) on every write.

import type net from 'node:net';
import { socketHandle, STREAM_BINDING } from './stream-binding.js';

interface StreamHandle {
  writeBuffer(req: WriteReq, buf: Uint8Array): number;
  writev(req: WriteReq, chunks: Uint8Array[], allBuffers: boolean): number;
}

/** Node's WriteWrap: the fields its stream code sets, plus ours. */
interface WriteReq {
  handle: StreamHandle | null;
  oncomplete: (this: WriteReq, status: number) => void;
  async: boolean;
  bytes: number;
  buffer: unknown;
  callback: unknown;
  writer: SocketWriter | null;
}

interface WriteBinding {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array;
  kBytesWritten: number;
  kLastWriteWasAsync: number;
}

const BINDING = STREAM_BINDING as WriteBinding | null;

/**
 * The request object for writes the kernel takes at once. One serves every connection: such a
 * write is over before the call returns; a write that is not hands it over to libuv, and the
 * next write makes a new one.
 */
let sharedReq: WriteReq | null = null;

function isStreamHandle(h: unknown): h is StreamHandle {
  return (
    typeof h === 'object' &&
    h !== null &&
    typeof (h as StreamHandle).writeBuffer === 'function' &&
    typeof (h as StreamHandle).writev === 'function'
  );
}

/** Called by libuv (through Node) when a write that did not complete at once is done. */
function onAsyncWriteDone(this: WriteReq, status: number): void {
  const writer = this.writer;
  this.writer = null;
  this.buffer = null;
  this.handle = null;
  if (writer !== null) writer.asyncWriteDone(this.bytes, status);
}

export class SocketWriter {
  private readonly socket: net.Socket;
  /** Called when the last write left in the kernel's queue by this writer is done. */
  private readonly onWritten: () => void;
  /** The socket's stream handle when direct writes are possible, else null. */
  private readonly handle: StreamHandle | null;
  /** socket.write() was used: from then on its queue is checked before each direct write. */
  private isStreamUsed: boolean;
  /** The connection is ending or gone: writes are dropped. */
  private isClosed: boolean;
  /** Bytes of writes that did not complete at once (libuv holds them, in order). */
  private asyncBytes: number;

  /** allowDirect false: every write goes through socket.write() (a TLSSocket's handle is TLSWrap). */
  constructor(socket: net.Socket, onWritten: () => void, allowDirect = true) {
    this.socket = socket;
    this.onWritten = onWritten;
    const handle = BINDING !== null && allowDirect ? socketHandle(socket) : null;
    this.handle = isStreamHandle(handle) ? handle : null;
    this.isStreamUsed = false;
    this.isClosed = false;
    this.asyncBytes = 0;
  }

  /**
   * Bytes handed over and not yet taken by the kernel: the writes libuv holds, plus the stream's
   * queue once the writer has used socket.write() (no binding, or a handle gone).
   */
  get queuedBytes(): number {
    return this.isStreamUsed ? this.asyncBytes + this.socket.writableLength : this.asyncBytes;
  }

  /**
   * The connection is ending (socket.end) or being destroyed: later writes are dropped (a write
   * after end() would make the stream destroy the socket and cut off the replies still queued).
   */
  close(): void {
    this.isClosed = true;
  }

  write(buf: Buffer): void {
    if (this.isClosed) return;
    const handle = this.directHandle();
    if (handle === null) {
      this.isStreamUsed = true;
      this.socket.write(buf);
      return;
    }
    const req = this.takeReq(handle);
    const err = handle.writeBuffer(req, buf);
    this.afterWrite(req, err, buf);
  }

  /** Several pieces in order, one system call where the kernel takes them all. */
  writeMany(parts: Buffer[]): void {
    if (this.isClosed) return;
    const handle = this.directHandle();
    if (handle === null) {
      this.isStreamUsed = true;
      const socket = this.socket;
      socket.cork();
      for (const p of parts) socket.write(p);
      socket.uncork();
      return;
    }
    const req = this.takeReq(handle);
    const err = handle.writev(req, parts, true);
    this.afterWrite(req, err, parts);
  }

  /**
   * The handle to write to directly, or null to go through socket.write(). A socket destroyed
   * meanwhile (by Node, on a read error) has a closed handle: the write fails (EBADF, or nothing
   * done once Node has let go of it) and takes afterWrite's error path, a second destroy() that
   * does nothing. Asking the socket for its handle instead would visit the socket on every write.
   */
  private directHandle(): StreamHandle | null {
    const handle = this.handle;
    if (handle === null) return null;
    if (this.isStreamUsed && this.socket.writableLength !== 0) return null;
    return handle;
  }

  private takeReq(handle: StreamHandle): WriteReq {
    let req = sharedReq;
    if (req === null) {
      req = new BINDING!.WriteWrap();
      req.oncomplete = onAsyncWriteDone;
      req.async = false;
      req.bytes = 0;
      req.buffer = null;
      req.callback = null;
      req.writer = null;
      sharedReq = req;
    }
    req.handle = handle;
    return req;
  }

  private afterWrite(req: WriteReq, err: number, data: unknown): void {
    const state = BINDING!.streamBaseState;
    if (err !== 0) {
      // EPIPE, ECONNRESET...: the peer is gone; EBADF, or undefined from a handle Node has let go
      // of: the socket was destroyed meanwhile. As with a failed socket.write, close. The request
      // may have been half used by Node (a partial write, then a failed queued one): not reused.
      req.handle = null;
      sharedReq = null;
      this.socket.destroy();
      return;
    }
    if (state[BINDING!.kLastWriteWasAsync] === 0) {
      req.handle = null; // done: the request object is ours again
      return;
    }
    // libuv holds the rest: the request (and the bytes) stay with it until onAsyncWriteDone.
    const bytes = state[BINDING!.kBytesWritten]!;
    req.async = true;
    req.bytes = bytes;
    req.buffer = data;
    req.writer = this;
    sharedReq = null;
    this.asyncBytes += bytes;
  }

  /** From onAsyncWriteDone. */
  asyncWriteDone(bytes: number, status: number): void {
    this.asyncBytes -= bytes;
    if (status < 0) {
      this.socket.destroy(); // ECANCELED when closed meanwhile; else the peer went away
      return;
    }
    if (this.asyncBytes === 0 && this.socket.writableLength === 0) this.onWritten();
  }
}
