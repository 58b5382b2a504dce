// -s PATH: a unix stream socket with exactly the -a mode (umask around bind, chmod after, as
// memcached's umask(~mask & 0777) gives). A stale socket file at PATH is replaced; any other
// kind of file there is an error. The file is removed on close.

import fs from 'node:fs';
import net from 'node:net';
import nodePath from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { ConnectionHub } from './connection.js';
import { acceptWithStaticReads } from './static-read.js';

export interface UnixListener {
  readonly server: net.Server;
  readonly path: string;
  close(): Promise<void>;
}

export class UnixSocketError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = 'UnixSocketError';
    this.code = code;
  }
}

/** Removes a stale socket at path; throws UnixSocketError('ENOTSOCK') if something else is there. */
export function removeStaleSocket(path: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path);
  } catch (e: unknown) {
    if ((e as { code?: unknown }).code === 'ENOENT') return;
    throw e;
  }
  if (!st.isSocket()) throw new UnixSocketError(`${path} exists and is not a socket`, 'ENOTSOCK');
  fs.unlinkSync(path);
}

export function listenUnix(hub: ConnectionHub, path: string, mode: number, backlog: number): Promise<UnixListener> {
  try {
    // libuv reports a missing directory as EACCES; ask first so the message says ENOENT.
    fs.statSync(nodePath.dirname(path));
    removeStaleSocket(path);
  } catch (e: unknown) {
    return Promise.reject(e);
  }
  // A worker thread cannot set the umask (Node refuses): there the chmod below alone gives the mode.
  const oldMask = isMainThread ? process.umask(~mode & 0o777) : null;
  try {
    return serveUnix(hub, path, { path, backlog }, () => {
      try {
        fs.chmodSync(path, mode & 0o777); // memcached masks -a to 0777: no sticky or set-id bits
      } catch {
        // the umask already gave the mode; chmod only repairs an unusual filesystem
      }
    });
  } finally {
    if (oldMask !== null) process.umask(oldMask);
  }
}

/**
 * Accepts on the unix socket another thread opened (-t N) by its descriptor. Its close() only
 * stops accepting here: closing the descriptor would close it for every thread.
 */
export function listenUnixFd(hub: ConnectionHub, fd: number, path: string): Promise<UnixListener> {
  return serveUnix(hub, path, { fd }, null);
}

function serveUnix(hub: ConnectionHub, path: string, options: net.ListenOptions | { fd: number }, onBound: (() => void) | null): Promise<UnixListener> {
  return new Promise((resolve, reject) => {
    const listenAddr = 'unix:' + path;
    const server = net.createServer({ allowHalfOpen: true });
    server.on('connection', (socket: net.Socket) => hub.accept(socket, 'unix', listenAddr));
    const onError = (err: Error): void => {
      server.close();
      reject(err);
    };
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      server.on('error', (err: Error) => hub.ctx.log.error('unix listener ' + path + ': ' + err.message));
      acceptWithStaticReads(
        server,
        (socket) => hub.accept(socket, 'unix', listenAddr, true),
        (message) => hub.ctx.log.error('unix listener ' + path + ': ' + message),
      );
      onBound?.();
      const isOwner = onBound !== null;
      resolve({
        server,
        path,
        close: () =>
          new Promise<void>((done) => {
            if (!isOwner) {
              done();
              return;
            }
            server.close();
            try {
              if (fs.lstatSync(path).isSocket()) fs.unlinkSync(path);
            } catch {
              // already gone
            }
            done();
          }),
      });
    });
  });
}
