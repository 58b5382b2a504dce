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

import net from 'node:net';
import { getSystemErrorName } from 'node:util';

/** One read's worth: the size of Node's own per-read allocation. */
const READ_BUFFER_BYTES = 64 * 1024;
const READ_BUFFER = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);

/** Set MEMCACHEDTS_PLAIN_SOCKETS=1 to use Node's ordinary accepted sockets (for comparison). */
const isDisabled = process.env['MEMCACHEDTS_PLAIN_SOCKETS'] === '1';

/** What a stream connection does with the bytes of one read. */
export interface ReadTarget {
  onBytes(buf: Buffer, len: number): void;
}

/** The socket's reader: set by the connection once it exists; unset, reading stops. */
const TARGET = Symbol('memcachedts.readTarget');
type TargetedSocket = net.Socket & { [TARGET]?: ReadTarget };

export function setReadTarget(socket: net.Socket, target: ReadTarget): void {
  (socket as TargetedSocket)[TARGET] = target;
}

// Node calls the onread callback with the socket as `this`; returning false stops reading.
function onStaticRead(this: TargetedSocket, nread: number, buf: Buffer): boolean {
  const target = this[TARGET];
  if (target === undefined) return false;
  target.onBytes(buf, nread);
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
  if (isDisabled) return false;
  const handle = (server as unknown as { _handle?: ListenHandle | null })._handle;
  if (handle === null || handle === undefined || typeof handle.onconnection !== 'function') return false;
  handle.onconnection = (status: number, clientHandle: unknown): void => {
    if (status !== 0 || clientHandle === undefined) {
      onError('accept(): ' + (status < 0 ? getSystemErrorName(status) : String(status)));
      return;
    }
    const socket = new net.Socket({
      handle: clientHandle,
      // A client's FIN must not cut off replies to requests it already sent.
      allowHalfOpen: true,
      readable: true,
      writable: true,
      onread: { buffer: READ_BUFFER, callback: onStaticRead },
    } as unknown as net.SocketConstructorOpts);
    onSocket(socket);
  };
  return true;
}
