// Accepted stream sockets that read into one static buffer instead of a fresh Buffer per read.
//
// Node's `onread: { buffer, callback }` socket option (public, documented) makes the handle
// read into a caller's buffer and call the callback with the byte count: no Buffer, no
// Readable push, no 'data' event and no nextTick per read event. Node 20's net.Server builds
// the sockets it accepts itself, with no way to pass `onread`; so once a server listens we
// take over its handle's `onconnection` (the function libuv's accept calls) and build each
// socket with the same options net.Server uses, plus `onread`. Everything else about the
// socket (write, end, pause/resume, setTimeout, 'end', 'close') is the ordinary net.Socket.
//
// One buffer serves every connection: libuv fills it and the callback consumes it before any
// other read happens (JavaScript runs one callback at a time), and Session copies whatever it
// keeps. When the handle does not look as expected (another Node), nothing is changed and the
// server's ordinary 'connection' event is used instead.
//
// Once the socket is built, its handle's `onread` (Node's onStreamRead, which libuv's read calls
// through Node) is replaced by onHandleRead, one function for every socket, which finds the
// connection on the handle itself. Node's function reads the socket, its readable state and its
// timer fields on every read, and our onread callbacks were closures over a holder: with hundreds
// of connections each of those is a cache line fetched per request (bench/README.md,
// "Per-connection memory"). End of stream and errors still go to Node's function. Node's socket
// timer (setTimeout) is not refreshed by these reads: idle timeouts are decided on the session's
// last command time (net/connection.ts), as memcached decides them.
//
// A connection may also ask for its next read to land somewhere else: while a large value is
// arriving, straight into the item's memory (memcached's conn_nread does the same), so those
// bytes are never copied. Node's `onread.buffer` may be a function, called after every read;
// what it returns (a Uint8Array) becomes the socket's buffer, anything else keeps the current
// one, so in the common case it returns nothing and costs nothing more.

import net from 'node:net';
import { getSystemErrorName } from 'node:util';
import { isPlainSockets, serverHandle, socketHandle, STREAM_BINDING } from './stream-binding.js';

/**
 * One read's worth: the size of Node's own per-read allocation (memcached starts at 16 KiB; a
 * smaller buffer measured no faster for large values here). A large value's first read holds
 * at most this much of it, the rest is read straight into the item.
 */
const READ_BUFFER_BYTES = 16 * 1024;
const READ_BUFFER = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);

/** What a stream connection does with the bytes of one read. */
export interface ReadTarget {
  /** buf[0, len) arrived: the shared buffer, or the buffer nextReadBuffer() asked for. */
  onBytes(buf: Buffer, len: number): void;
  /** Where the next read should land; null: the shared read buffer. */
  nextReadBuffer(): Buffer | null;
}

const TARGET = Symbol('memcachedts.readTarget');
const INTO = Symbol('memcachedts.readInto');

/**
 * One socket's reading state. An accepted TCP or unix socket keeps it on its handle, which Node
 * visits on every read anyway (onHandleRead finds it there); a TLS socket in a holder of its own.
 * Node's onread functions of the socket close over it too.
 */
interface ReadHolder {
  /** Set by the connection once it exists; unset, reading stops. */
  [TARGET]: ReadTarget | null;
  /** The buffer the socket reads into now. */
  [INTO]: Buffer;
}

const HOLDER = Symbol('memcachedts.readHolder');
type HeldSocket = net.Socket & { [HOLDER]?: ReadHolder };

/** An accepted socket's libuv handle as Node's stream code drives it, holding its read state. */
interface ReadingHandle extends ReadHolder {
  onread: (this: ReadingHandle, arrayBuffer: unknown) => unknown;
}

/** Node's onStreamRead, taken from the first handle: what onHandleRead hands everything else to. */
let nodeOnRead: ((this: ReadingHandle, arrayBuffer: unknown) => unknown) | null = null;
const READ_STATE = STREAM_BINDING?.streamBaseState ?? null;
const READ_BYTES_AT = STREAM_BINDING?.kReadBytesOrError ?? 0;

/**
 * A socket's handle read nread bytes into its current buffer (nread > 0), or reached the end or
 * an error (nread < 0). Returns the buffer for the next read, or undefined to keep the current one.
 * Node sets a destroyed socket's handle.onread to a no-op: nothing arrives here after destroy().
 */
function onHandleRead(this: ReadingHandle, arrayBuffer: unknown): unknown {
  const nread = READ_STATE![READ_BYTES_AT]!;
  const target = this[TARGET];
  if (nread <= 0 || target === null) return nodeOnRead!.call(this, arrayBuffer);
  target.onBytes(this[INTO], nread);
  return switchReadBuffer(this, target);
}

/**
 * After a read: where the next one lands (the target's choice, else the shared buffer), noted in
 * the holder. Returns the buffer to switch to, or undefined when it stays the same.
 */
function switchReadBuffer(holder: ReadHolder, target: ReadTarget): Buffer | undefined {
  const next = target.nextReadBuffer() ?? READ_BUFFER;
  if (next === holder[INTO]) return undefined; // the common case: no change
  holder[INTO] = next;
  return next;
}

/** Reads of this just-built socket go through onHandleRead (see the top of the file). */
function readThroughHandle(handle: ReadingHandle): void {
  if (READ_STATE === null || typeof handle.onread !== 'function') return;
  if (nodeOnRead === null) nodeOnRead = handle.onread;
  else if (handle.onread !== nodeOnRead) return; // not the function seen before: leave Node's path
  handle.onread = onHandleRead;
}

export function setReadTarget(socket: net.Socket, target: ReadTarget): void {
  const holder = (socket as HeldSocket)[HOLDER];
  if (holder !== undefined) holder[TARGET] = target;
}

function onreadFor(holder: ReadHolder): { buffer: () => Buffer | undefined; callback: (nread: number, buf: Buffer) => boolean } {
  return {
    // After every read (and once at the start): a Buffer to switch to, or undefined to stay.
    buffer: (): Buffer | undefined => {
      const target = holder[TARGET];
      if (target === null) {
        holder[INTO] = READ_BUFFER;
        return READ_BUFFER;
      }
      return switchReadBuffer(holder, target);
    },
    // Returning false stops reading (no connection yet: it is paused before any read anyway).
    callback: (nread: number, buf: Buffer): boolean => {
      const target = holder[TARGET];
      if (target === null) return false;
      target.onBytes(buf, nread);
      return true;
    },
  };
}

/** The fields net.Socket's constructor fills from `onread`, found on a socket by their names. */
interface OnreadFields {
  readonly buffer: symbol;
  readonly callback: symbol;
  readonly generator: symbol;
}

function onreadFields(socket: net.Socket): OnreadFields | null {
  const byName = new Map<string | undefined, symbol>();
  for (const sym of Object.getOwnPropertySymbols(socket)) byName.set(sym.description, sym);
  const buffer = byName.get('kBuffer');
  const callback = byName.get('kBufferCb');
  const generator = byName.get('kBufferGen');
  if (buffer === undefined || callback === undefined || generator === undefined) return null;
  return { buffer, callback, generator };
}

/**
 * A TLS socket's decrypted bytes through the same path as a plain one's: the shared buffer, or
 * straight into an item. Node honours `onread` only for TLS sockets it connects itself, not for
 * one wrapped around an accepted socket, so this sets the three fields `onread` would have set
 * and hands the TLS handle the buffer (OpenSSL's output is copied into it rather than into a
 * fresh Buffer per read: no garbage per record). Called once the handshake is done, in the
 * 'secure' event, before any application byte is read. Returns false, changing nothing, when
 * the socket does not look as expected; its bytes then come as 'data' events.
 */
export function readTlsStatically(socket: net.Socket, target: ReadTarget): boolean {
  if (isPlainSockets) return false;
  const handle = socketHandle(socket) as { useUserBuffer?: unknown } | null;
  const fields = onreadFields(socket);
  if (fields === null || handle === null || typeof handle.useUserBuffer !== 'function') return false;
  const holder: ReadHolder = { [TARGET]: target, [INTO]: READ_BUFFER };
  const onread = onreadFor(holder);
  const fieldsOf = socket as unknown as Record<symbol, unknown>;
  fieldsOf[fields.buffer] = READ_BUFFER;
  fieldsOf[fields.callback] = onread.callback;
  fieldsOf[fields.generator] = onread.buffer;
  (handle.useUserBuffer as (buf: Uint8Array) => void).call(handle, READ_BUFFER);
  (socket as HeldSocket)[HOLDER] = holder;
  return true;
}

interface ListenHandle {
  onconnection?: unknown;
}

export type AcceptError = (message: string) => void;

/**
 * Makes a listening server hand its new sockets, built with a static read buffer, to onSocket
 * (instead of emitting 'connection'). Returns false, changing nothing, when that is not
 * possible; the caller then listens to 'connection' and gets ordinary sockets.
 */
export function acceptWithStaticReads(server: net.Server, onSocket: (socket: net.Socket) => void, onError: AcceptError): boolean {
  if (isPlainSockets) return false;
  const handle = serverHandle(server);
  if (typeof handle !== 'object' || handle === null || typeof (handle as ListenHandle).onconnection !== 'function') return false;
  (handle as ListenHandle).onconnection = (status: number, clientHandle: unknown): void => {
    if (status !== 0 || clientHandle === undefined) {
      onError('accept(): ' + (status < 0 ? getSystemErrorName(status) : String(status)));
      return;
    }
    // the handle holds the socket's read state (see ReadHolder), set before Node first reads
    const handle = clientHandle as ReadingHandle;
    handle[TARGET] = null;
    handle[INTO] = READ_BUFFER;
    const socket = new net.Socket({
      handle: clientHandle,
      // A client's FIN must not cut off replies to requests it already sent.
      allowHalfOpen: true,
      readable: true,
      writable: true,
      onread: onreadFor(handle),
    } as unknown as net.SocketConstructorOpts);
    (socket as HeldSocket)[HOLDER] = handle;
    readThroughHandle(handle);
    onSocket(socket);
  };
  return true;
}
