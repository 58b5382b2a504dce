// net's one door to Node's internals: the stream_wrap binding (through process.binding, which
// Node 20 still offers for it: the write request class and the shared state array its stream
// handles report through) and the libuv handles behind sockets and servers (`_handle`).
// socket-writer.ts writes straight to a socket's handle; static-read.ts takes over a listening
// server's accept. Both check what they get and fall back to Node's own socket code when
// MEMCACHEDTS_PLAIN_SOCKETS=1 or when this Node does not look as expected.

import type net from 'node:net';

export interface StreamBinding {
  WriteWrap: new () => object;
  /** Int32Array: the byte count of the last write, and whether it went async. */
  streamBaseState: Int32Array;
  kBytesWritten: number;
  kLastWriteWasAsync: number;
  /** Index in streamBaseState of a read's byte count (or negative error) for the onread call. */
  kReadBytesOrError: number;
}

/** Set MEMCACHEDTS_PLAIN_SOCKETS=1 to use Node's ordinary sockets only (for comparison). */
export const isPlainSockets = process.env['MEMCACHEDTS_PLAIN_SOCKETS'] === '1';

function loadBinding(): StreamBinding | null {
  if (isPlainSockets) return null;
  try {
    const binding = (process as unknown as { binding?: (name: string) => unknown }).binding;
    if (typeof binding !== 'function') return null;
    const b = binding.call(process, 'stream_wrap') as Partial<StreamBinding> | null;
    if (b === null || typeof b.WriteWrap !== 'function' || !(b.streamBaseState instanceof Int32Array)) return null;
    if (typeof b.kBytesWritten !== 'number' || typeof b.kLastWriteWasAsync !== 'number' || typeof b.kReadBytesOrError !== 'number') return null;
    return b as StreamBinding;
  } catch {
    return null;
  }
}

/** null when plain sockets are asked for or this Node's binding has another shape. */
export const STREAM_BINDING: StreamBinding | null = loadBinding();

/** The libuv handle behind a socket (a TCPWrap, PipeWrap or TLSWrap), null once it is closed. */
export function socketHandle(socket: net.Socket): unknown {
  return (socket as unknown as { _handle?: unknown })._handle ?? null;
}

/** The listening handle behind a server, null when it does not listen. */
export function serverHandle(server: net.Server): unknown {
  return (server as unknown as { _handle?: unknown })._handle ?? null;
}

/** The descriptor under a listening server (Node keeps it on the libuv handle); -1 when it does not listen. */
export function listeningFd(server: net.Server): number {
  const handle = serverHandle(server) as { fd?: unknown } | null;
  return handle !== null && typeof handle.fd === 'number' ? handle.fd : -1;
}
