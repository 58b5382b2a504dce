// -o ssl_session_cache: a server-side TLS session cache, so a client that resumes by session
// id (TLS 1.2 without tickets) skips the full handshake. memcached turns on OpenSSL's internal
// cache (SSL_SESS_CACHE_SERVER); Node keeps OpenSSL's internal cache off and asks the
// application through a server's 'newSession' / 'resumeSession' events instead, so this holds
// the sessions and answers those events. Tickets (TLS 1.3, and 1.2 clients that ask for one)
// need no cache, in memcached as here. With -t N the cache is the main thread's (one per
// server, as memcached's SSL_CTX holds one): each serving thread reaches it through a
// SessionStore that asks by message (threads/session-relay.ts), and Node lets the
// 'resumeSession' answer come later.

import tls from 'node:tls';

/** OpenSSL's default cache size (SSL_SESSION_CACHE_MAX_SIZE_DEFAULT), which memcached keeps. */
export const SESSION_CACHE_MAX = 20 * 1024;
/** OpenSSL 3's default session lifetime for TLS (memcached sets none). */
export const SESSION_TIMEOUT_SEC = 2 * 60 * 60;

/** Where the server's sessions are kept. */
export interface SessionStore {
  save(id: Buffer, data: Buffer): void;
  /** answer gets the session's data, or null (unknown or expired); now or later. */
  find(id: Buffer, answer: (data: Buffer | null) => void): void;
}

interface CachedSession {
  readonly data: Buffer;
  readonly createdMs: number;
}

/** The sessions of one server, at most SESSION_CACHE_MAX, each for SESSION_TIMEOUT_SEC. */
export class SessionCache implements SessionStore {
  /** Insertion order is creation order: the oldest session is first. */
  private readonly sessions = new Map<string, CachedSession>();

  get size(): number {
    return this.sessions.size;
  }

  save(id: Buffer, data: Buffer): void {
    const sessions = this.sessions;
    const now = Date.now();
    this.dropExpired(now);
    if (sessions.size >= SESSION_CACHE_MAX) {
      const oldest = sessions.keys().next();
      if (oldest.done !== true) sessions.delete(oldest.value);
    }
    sessions.set(id.toString('hex'), { data, createdMs: now });
  }

  find(id: Buffer, answer: (data: Buffer | null) => void): void {
    const key = id.toString('hex');
    const hit = this.sessions.get(key);
    if (hit !== undefined && Date.now() - hit.createdMs > SESSION_TIMEOUT_SEC * 1000) {
      this.sessions.delete(key);
      answer(null);
      return;
    }
    answer(hit !== undefined ? hit.data : null);
  }

  private dropExpired(now: number): void {
    const cutoff = now - SESSION_TIMEOUT_SEC * 1000;
    for (const [key, s] of this.sessions) {
      if (s.createdMs > cutoff) return;
      this.sessions.delete(key);
    }
  }
}

/**
 * A tls.Server that never listens: accepted sockets are wrapped with it as their `server`
 * option, which is how Node routes a socket's session events. onNewSession runs once per
 * session OpenSSL creates (memcached's ssl_new_session_callback counts the same events).
 */
export function createSessionServer(store: SessionStore, onNewSession: () => void): tls.Server {
  const server = new tls.Server();
  server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
    onNewSession();
    store.save(id, data);
    done();
  });
  server.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
    store.find(id, (data) => done(null, data));
  });
  return server;
}
