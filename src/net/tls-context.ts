// -Z: the server's TLS context, built at start from the -o ssl_* settings with Node's tls
// (OpenSSL, as memcached's), and again by `refresh_certs`. A missing or unreadable file, a bad
// key or cipher list fails the start with memcached's line (its ssl_init /
// load_server_certificates) and EX_USAGE; the same line is refresh_certs' answer.

import crypto from 'node:crypto';
import fs from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import type { SslSettings } from '../config/settings.js';
import { ConfigError, ExitCode, errnoCode, errorMessage, strerror } from '../errors.js';
import type { TlsControl } from '../server-context.js';
import { createSessionServer, SessionCache, type SessionStore } from './tls-sessions.js';

/** What a TLS listener needs to wrap an accepted socket (read at each accept: refresh_certs swaps it). */
export interface TlsServerContext {
  readonly secureContext: tls.SecureContext;
  /** verify modes 1..3 ask the client for a certificate. */
  readonly requestCert: boolean;
  /** verify modes 2 and 3 refuse a client without a valid one. */
  readonly rejectUnauthorized: boolean;
  /** ssl_session_cache: the server whose events keep the sessions (tls-sessions.ts); null when off. */
  readonly sessionServer: tls.Server | null;
  /**
   * The server side of TLS over an accepted socket, not yet handshaken. Here, not in
   * connection.ts, so that a server without -Z never loads node:tls (docs/threads.md,
   * "Memory per thread").
   */
  wrap(raw: net.Socket): tls.TLSSocket;
}

const MIN_VERSIONS: readonly tls.SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** OpenSSL's text for a failed fopen: `error:80000002:system library::No such file or directory`. */
function opensslSystemError(e: unknown): string {
  const code = errnoCode(e);
  const errno = code !== undefined ? (os.constants.errno as Record<string, number>)[code] : undefined;
  if (errno === undefined) return errorMessage(e);
  return 'error:' + (0x80000000 + errno).toString(16).toUpperCase() + ':system library::' + strerror(e);
}

/** memcached's NULL path: OpenSSL is handed a null file name. */
const NULL_PATH_ERROR = 'error:8000000E:system library::Bad address';
/** OpenSSL's text for a CA file holding no certificate. */
const NO_CERT_OR_CRL_ERROR = 'error:05800088:x509 certificate routines::no certificate or crl found';
/** Node's ticketKeys: 16 bytes of name, 16 of HMAC secret, 16 of AES key. */
const TICKET_KEYS_BYTES = 48;

/** Session ticket keys for one server (made once: every serving thread takes the same). */
export function newTicketKeys(): Buffer {
  return crypto.randomBytes(TICKET_KEYS_BYTES);
}

/**
 * The certificates' state every serving thread sees (threads/server-wide.ts keeps it in shared
 * memory): a generation bumped by each successful refresh_certs, and when that was.
 */
export interface CertsShare {
  readonly certGeneration: number;
  /** Unix ms of the last successful load (the start, then refresh_certs on any thread). */
  readonly certsLoadedAtMs: number;
  /** A refresh succeeded at atMs: returns the new generation. */
  noteCertRefresh(atMs: number): number;
  /** A BroadcastChannel on which a refresh is announced to the other threads; null with one thread. */
  readonly certsChannel: string | null;
}

/** What a ServerTls shares with the other serving threads of its server. */
export interface TlsShare {
  /** From newTicketKeys(), the same in every thread: a ticket issued by one is taken by all. */
  readonly ticketKeys: Buffer;
  /** The server's session-id cache (-o ssl_session_cache); null when off. */
  readonly sessions: SessionStore | null;
  readonly certs: CertsShare;
}

/** The share of a server of one thread: its own keys and cache. */
export function ownTlsShare(ssl: SslSettings, certs: CertsShare): TlsShare {
  return { ticketKeys: newTicketKeys(), sessions: ssl.sessionCache ? new SessionCache() : null, certs };
}

function readPem(path: string | null, what: string): Buffer {
  if (path === null) throw new ConfigError(`Error loading the ${what}: (null) : ${NULL_PATH_ERROR}`, ExitCode.Usage);
  try {
    return fs.readFileSync(path);
  } catch (e: unknown) {
    throw new ConfigError(`Error loading the ${what}: ${path} : ${opensslSystemError(e)}`, ExitCode.Usage);
  }
}

/** A CA file OpenSSL's X509_load_cert_crl_file would find nothing in. */
const PEM_CERT_OR_CRL = /-----BEGIN (?:TRUSTED |X509 )?CERTIFICATE-----|-----BEGIN X509 CRL-----/;

/** memcached's SESSION_ID_CONTEXT role: sessions are resumable only by this server. */
const SESSION_ID_CONTEXT = 'memcachedts';

/** What every context of one server shares, so that a refresh keeps issued tickets valid. */
interface SharedContextOptions {
  readonly ticketKeys: Buffer;
  readonly sessionIdContext?: string;
}

/**
 * Builds a SecureContext from the ssl_* files or throws ConfigError (exit 64 at start) with
 * memcached's message for the first file that fails (its load_server_certificates order). One
 * OpenSSL context is built when all is well; only a failure builds the steps one by one to name
 * the file at fault.
 */
function buildSecureContext(ssl: SslSettings, shared: SharedContextOptions): tls.SecureContext {
  const cert = readPem(ssl.chainCert, 'certificate chain');
  // memcached reads the key from ssl_key; with no ssl_key OpenSSL is given a NULL path.
  const key = readPem(ssl.key, 'key');
  if (ssl.keyFormat !== 1) {
    throw new ConfigError(`Error loading the key: ${ssl.key} : memcachedts reads PEM keys only (ssl_keyformat=1)`, ExitCode.Usage);
  }
  const ca = ssl.caCert !== null ? readPem(ssl.caCert, 'CA certificate') : undefined;
  const options: tls.SecureContextOptions = { ...shared, minVersion: MIN_VERSIONS[ssl.minVersion] ?? 'TLSv1.2' };
  const whole = { ...options, cert, key, ca, ...(ssl.ciphers !== null ? { ciphers: ssl.ciphers } : {}) };
  let context: tls.SecureContext;
  try {
    context = tls.createSecureContext(whole);
  } catch (e: unknown) {
    throw failedStep(ssl, options, cert, key, ca, e);
  }
  if (ca !== undefined && !PEM_CERT_OR_CRL.test(ca.toString('latin1'))) {
    throw new ConfigError(`Error loading the CA certificate: ${ssl.caCert} : ${NO_CERT_OR_CRL_ERROR}`, ExitCode.Usage);
  }
  return context;
}

/** The ConfigError of the first step that fails, in memcached's order: chain, key, CA, ciphers. */
function failedStep(
  ssl: SslSettings,
  options: tls.SecureContextOptions,
  cert: Buffer,
  key: Buffer,
  ca: Buffer | undefined,
  wholeError: unknown,
): ConfigError {
  const fails = (step: tls.SecureContextOptions): unknown => {
    try {
      tls.createSecureContext({ ...options, ...step });
      return null;
    } catch (e: unknown) {
      return e;
    }
  };
  let e = fails({ cert });
  if (e !== null) return new ConfigError(`Error loading the certificate chain: ${ssl.chainCert} : ${errorMessage(e)}`, ExitCode.Usage);
  e = fails({ cert, key });
  if (e !== null) return new ConfigError(`Error loading the key: ${ssl.key} : ${errorMessage(e)}`, ExitCode.Usage);
  if (ca !== undefined) {
    if (!PEM_CERT_OR_CRL.test(ca.toString('latin1'))) {
      return new ConfigError(`Error loading the CA certificate: ${ssl.caCert} : ${NO_CERT_OR_CRL_ERROR}`, ExitCode.Usage);
    }
    e = fails({ cert, key, ca });
    if (e !== null) return new ConfigError(`Error loading the CA certificate: ${ssl.caCert} : ${errorMessage(e)}`, ExitCode.Usage);
  }
  if (ssl.ciphers !== null) return new ConfigError(`Error setting the provided cipher(s): ${ssl.ciphers}`, ExitCode.Usage);
  return new ConfigError(`Error loading the certificate chain: ${ssl.chainCert} : ${errorMessage(wholeError)}`, ExitCode.Usage);
}

/**
 * The server's TLS: the context new connections get, swapped whole by refresh_certs (live
 * connections keep the one they shook hands with, as memcached's SSL objects do), the time of
 * the last load, and the session cache.
 *
 * With -t N each serving thread has its own ServerTls (a SecureContext cannot cross threads)
 * over one TlsShare: the same ticket keys, one session cache, and the certificate generation. A
 * refresh_certs on any thread bumps the generation and announces it; every other thread loads
 * the files again when the announcement arrives, or at its next TLS accept if that comes first
 * (the generation is checked there), so no new connection anywhere gets the certificates of
 * before a refresh that has answered OK.
 */
export class ServerTls implements TlsServerContext, TlsControl {
  private readonly ssl: SslSettings;
  private readonly shared: SharedContextOptions;
  private readonly certs: CertsShare;
  private context: tls.SecureContext;
  /** The certificate generation this.context was loaded for. */
  private generation: number;
  private announcer: BroadcastChannel | null;
  readonly requestCert: boolean;
  readonly rejectUnauthorized: boolean;
  readonly sessionServer: tls.Server | null;

  /** Loads the files or throws ConfigError; onNewSession counts ssl_new_sessions. */
  constructor(ssl: SslSettings, onNewSession: () => void, share: TlsShare) {
    this.ssl = ssl;
    const ticketKeys = share.ticketKeys;
    this.shared = ssl.sessionCache ? { ticketKeys, sessionIdContext: SESSION_ID_CONTEXT } : { ticketKeys };
    this.certs = share.certs;
    this.generation = share.certs.certGeneration;
    this.context = buildSecureContext(ssl, this.shared);
    this.requestCert = ssl.verifyMode >= 1;
    this.rejectUnauthorized = ssl.verifyMode >= 2;
    this.sessionServer = ssl.sessionCache && share.sessions !== null ? createSessionServer(share.sessions, onNewSession) : null;
    this.announcer = null;
    if (share.certs.certsChannel !== null) {
      const channel = new BroadcastChannel(share.certs.certsChannel);
      channel.onmessage = () => this.catchUp();
      (channel as unknown as { unref(): void }).unref();
      this.announcer = channel;
    }
  }

  /** Read at each accept: a refresh made on another thread is taken first. */
  get secureContext(): tls.SecureContext {
    this.catchUp();
    return this.context;
  }

  wrap(raw: net.Socket): tls.TLSSocket {
    const options: tls.TLSSocketOptions = {
      isServer: true,
      secureContext: this.secureContext,
      requestCert: this.requestCert,
      rejectUnauthorized: false, // checked by the caller, as memcached's verify modes ask
    };
    if (this.sessionServer !== null) options.server = this.sessionServer;
    return new tls.TLSSocket(raw, options);
  }

  /** Loads the files again if another thread refreshed since this context was loaded. */
  private catchUp(): void {
    const generation = this.certs.certGeneration;
    if (generation === this.generation) return;
    this.generation = generation;
    try {
      this.context = buildSecureContext(this.ssl, this.shared);
    } catch (e: unknown) {
      // The files broke after the refresh that succeeded: keep the context we have.
      if (!(e instanceof ConfigError)) throw e;
    }
  }

  /** The server closes: no more announcements. */
  close(): void {
    this.announcer?.close();
    this.announcer = null;
  }

  get certsLoadedAtMs(): number {
    return this.certs.certsLoadedAtMs;
  }

  refreshCerts(): string | null {
    try {
      this.context = buildSecureContext(this.ssl, this.shared);
    } catch (e: unknown) {
      if (e instanceof ConfigError) return e.message;
      throw e;
    }
    this.generation = this.certs.noteCertRefresh(Date.now());
    this.announcer?.postMessage(this.generation);
    return null;
  }
}
