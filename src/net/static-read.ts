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
// A connection may also ask for its next read to land somewhere else: while a large value is
// arriving, straight into the item's memory (memcached's conn_nread does the same), so those
// bytes are never copied. Node's `onread.buffer` may be a function, called after every read;
// what it returns (a Uint8Array) becomes the socket's buffer, anything else keeps the current
// one, so in the common case it returns nothing and costs nothing more.

import net from 'node:net';
import { getSystemErrorName } from 'node:util';
import { isPlainSockets, serverHandle, socketHandle } from './stream-binding.js';

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

/** One socket's reading state; the onread functions of that socket close over it. */
class ReadSlot {
  /** Set by the connection once it exists; unset, reading stops. */
  target: ReadTarget | null = null;
  /** The buffer the socket reads into now. */
  current: Buffer = READ_BUFFER;
}

const SLOT = Symbol('memcachedts.readSlot');
type SlottedSocket = net.Socket & { [SLOT]?: ReadSlot };

export function setReadTarget(socket: net.Socket, target: ReadTarget): void {
  const slot = (socket as SlottedSocket)[SLOT];
  if (slot !== undefined) slot.target = target;
}

function onreadFor(slot: ReadSlot): { buffer: () => Buffer | undefined; callback: (nread: number, buf: Buffer) => boolean } {
  return {
    // After every read (and once at the start): a Buffer to switch to, or undefined to stay.
    buffer: (): Buffer | undefined => {
      const target = slot.target;
      if (target === null) {
        slot.current = READ_BUFFER;
        return READ_BUFFER;
      }
      const next = target.nextReadBuffer();
      if (next === null) {
        if (slot.current === READ_BUFFER) return undefined; // the common case: no change
        slot.current = READ_BUFFER;
        return READ_BUFFER;
      }
      slot.current = next;
      return next;
    },
    // Returning false stops reading (no connection yet: it is paused before any read anyway).
    callback: (nread: number, buf: Buffer): boolean => {
      const target = slot.target;
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
  const slot = new ReadSlot();
  slot.target = target;
  const onread = onreadFor(slot);
  const fieldsOf = socket as unknown as Record<symbol, unknown>;
  fieldsOf[fields.buffer] = READ_BUFFER;
  fieldsOf[fields.callback] = onread.callback;
  fieldsOf[fields.generator] = onread.buffer;
  (handle.useUserBuffer as (buf: Uint8Array) => void).call(handle, READ_BUFFER);
  (socket as SlottedSocket)[SLOT] = slot;
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
    const slot = new ReadSlot();
    const socket = new net.Socket({
      handle: clientHandle,
      // A client's FIN must not cut off replies to requests it already sent.
      allowHalfOpen: true,
      readable: true,
      writable: true,
      onread: onreadFor(slot),
    } as unknown as net.SocketConstructorOpts);
    (socket as SlottedSocket)[SLOT] = slot;
    onSocket(socket);
  };
  return true;
}
