// -o ssl_session_cache: a server-side TLS session cache, so a client that resumes by session
// id (TLS 1.2 without tickets) skips the full handshake. memcached turns on OpenSSL's internal
// cache (SSL_SESS_CACHE_SERVER); Node keeps OpenSSL's internal cache off and asks the
// application through a server's 'newSession' / 'resumeSession' events instead, so this holds
// the sessions and answers those events. Tickets (TLS 1.3, and 1.2 clients that ask for one)
// need no cache, in memcached as here.

import tls from 'node:tls';

/** OpenSSL's default cache size (SSL_SESSION_CACHE_MAX_SIZE_DEFAULT), which memcached keeps. */
export const SESSION_CACHE_MAX = 20 * 1024;
/** OpenSSL 3's default session lifetime for TLS (memcached sets none). */
export const SESSION_TIMEOUT_SEC = 2 * 60 * 60;

interface CachedSession {
  readonly data: Buffer;
  readonly createdMs: number;
}

/**
 * A tls.Server that never listens: accepted sockets are wrapped with it as their `server`
 * option, which is how Node routes a socket's session events. onNewSession runs once per
 * session OpenSSL creates (memcached's ssl_new_session_callback counts the same events).
 */
export function createSessionServer(onNewSession: () => void): tls.Server {
  const server = new tls.Server();
  // Insertion order is creation order: the oldest session is first.
  const sessions = new Map<string, CachedSession>();
  server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
    onNewSession();
    const now = Date.now();
    dropExpired(sessions, now);
    if (sessions.size >= SESSION_CACHE_MAX) {
      const oldest = sessions.keys().next();
      if (oldest.done !== true) sessions.delete(oldest.value);
    }
    sessions.set(id.toString('hex'), { data, createdMs: now });
    done();
  });
  server.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
    const key = id.toString('hex');
    const hit = sessions.get(key);
    if (hit !== undefined && Date.now() - hit.createdMs > SESSION_TIMEOUT_SEC * 1000) sessions.delete(key);
    done(null, hit !== undefined && sessions.has(key) ? hit.data : null);
  });
  return server;
}

function dropExpired(sessions: Map<string, CachedSession>, now: number): void {
  const cutoff = now - SESSION_TIMEOUT_SEC * 1000;
  for (const [key, s] of sessions) {
    if (s.createdMs > cutoff) return;
    sessions.delete(key);
  }
}
