// What the main thread and the serving threads of a -t N server say to each other
// (docs/threads.md, "Threads"). Everything here is structured-clonable; the shared memory
// travels as SharedArrayBuffers, seen by both sides.

import type { Settings } from '../config/settings.js';
import type { StoreBuffers } from '../store/store-memory.js';
import type { BoundAddress, SharedListeners } from '../server.js';
import type { ServerWideBuffers } from './server-wide.js';

/** A serving thread's workerData. */
export interface WorkerStart {
  readonly settings: Settings;
  /** 1..N; thread 1 binds the listeners (and restores and saves the -e image). */
  readonly thread: number;
  readonly store: StoreBuffers;
  readonly runtime: SharedArrayBuffer;
  readonly wide: ServerWideBuffers;
  /** -Z: the server's session ticket keys (made once by main, so a ticket is taken by every thread); else null. */
  readonly tlsTicketKeys: Uint8Array | null;
}

/** Serving thread → main. */
export type WorkerReport =
  /** Attached to the store (thread 1: the -e image restored), ready for 'listen'. */
  | { readonly type: 'prepared' }
  | {
      readonly type: 'listening';
      readonly tcpAddresses: readonly BoundAddress[];
      readonly udpAddresses: readonly BoundAddress[];
      readonly unixPath: string | null;
      readonly listeners: SharedListeners;
    }
  /** The start failed: what to print and the exit code (a bind failure is 71, as memcached). */
  | { readonly type: 'failed'; readonly message: string; readonly exitCode: number }
  /** `shutdown [graceful]` (with -A) on one of its connections. */
  | { readonly type: 'shutdown'; readonly graceful: boolean }
  | { readonly type: 'stopped' }
  | { readonly type: 'saved' }
  /** -o ssl_session_cache: a session OpenSSL made, for main's server-wide cache (session-relay.ts). */
  | { readonly type: 'tls-session-save'; readonly id: Uint8Array; readonly data: Uint8Array }
  /** A client resumes a session id: main answers with 'tls-session-found'. */
  | { readonly type: 'tls-session-find'; readonly request: number; readonly id: Uint8Array };

/** Main → serving thread. */
export type HostOrder =
  /**
   * Serve: thread 1 binds the listeners (listeners null), the others accept on thread 1's. Given
   * once every thread is prepared, so that no thread serves long alone while the others start.
   */
  | { readonly type: 'listen'; readonly listeners: SharedListeners | null }
  /** Stop accepting, let the connections go (graceful: with their last replies), report 'stopped'. */
  | { readonly type: 'stop'; readonly graceful: boolean }
  /** SIGHUP, or the privilege drop: read the password files again. */
  | { readonly type: 'reload-auth' }
  /** Thread 1, once every thread has stopped: write the -e image, report 'saved'. */
  | { readonly type: 'save' }
  /** The answer to 'tls-session-find': the session's data, or null (unknown or expired). */
  | { readonly type: 'tls-session-found'; readonly request: number; readonly data: Uint8Array | null };
