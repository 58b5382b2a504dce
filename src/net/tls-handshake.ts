// What a TLS handshake's end looks like in memcached's log lines, and how long one may take.
// Apart from tls-context.ts (which loads node:tls), so that connection.ts can name them in a
// server without -Z.

import type tls from 'node:tls';
import { errnoCode } from '../errors.js';

/** A handshake not finished by then is dropped and counted (it holds a -c slot meanwhile). */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Why a handshake failed: OpenSSL's (or the socket's) error, the peer gone, or its certificate refused. */
export type HandshakeFailure = Error | 'closed' | 'refused';

/**
 * memcached's -v line for a failed SSL_accept: SSL_get_error's code (1 SSL_ERROR_SSL, 5
 * SSL_ERROR_SYSCALL) and strerror(errno), which is "Success" unless the socket itself failed.
 */
export function handshakeFailureLine(cause: HandshakeFailure): string {
  let code = 1;
  let text = 'Success';
  if (cause === 'closed') {
    code = 5;
  } else if (cause !== 'refused' && errnoCode(cause) === 'ECONNRESET') {
    code = 5;
    text = 'Connection reset by peer';
  }
  return 'SSL connection failed with error code : ' + code + ' : ' + text;
}

/** The client certificate's subject as OpenSSL's one-line form prints it (`/O=Example/CN=client`), or null. */
export function peerSubject(secure: tls.TLSSocket): string | null {
  const cert = secure.getPeerX509Certificate();
  if (cert === undefined || cert.subject === '') return null;
  return '/' + cert.subject.split('\n').join('/');
}
