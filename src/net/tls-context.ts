// -Z: the server's TLS context, built once at start from the -o ssl_* settings with Node's tls
// (OpenSSL, as memcached's). A missing or unreadable file, a bad key or cipher list fails the
// start with memcached's line (its ssl_init/load_server_certificates) and EX_USAGE.

import fs from 'node:fs';
import os from 'node:os';
import tls from 'node:tls';
import type { SslSettings } from '../config/settings.js';
import { ConfigError, ExitCode, errnoCode } from '../errors.js';

/** What a TLS listener needs to wrap an accepted socket. */
export interface TlsServerContext {
  readonly secureContext: tls.SecureContext;
  /** verify modes 1..3 ask the client for a certificate. */
  readonly requestCert: boolean;
  /** verify modes 2 and 3 refuse a client without a valid one. */
  readonly rejectUnauthorized: boolean;
}

/** A handshake not finished by then is dropped and counted (it holds a -c slot meanwhile). */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

const MIN_VERSIONS: readonly tls.SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** OpenSSL's text for a failed fopen: `error:80000002:system library::No such file or directory`. */
function opensslSystemError(e: unknown): string {
  const code = errnoCode(e);
  const errno = code !== undefined ? (os.constants.errno as Record<string, number>)[code] : undefined;
  if (errno === undefined) return e instanceof Error ? e.message : String(e);
  const text = e instanceof Error ? e.message.replace(/^[A-Z]+: /, '').replace(/,.*$/, '') : code;
  return 'error:' + (0x80000000 + errno).toString(16).toUpperCase() + ':system library::' + capitalize(text ?? '');
}

function capitalize(s: string): string {
  return s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1);
}

/** memcached's NULL path: OpenSSL is handed a null file name. */
const NULL_PATH_ERROR = 'error:8000000E:system library::Bad address';

function readPem(path: string | null, what: string): Buffer {
  if (path === null) throw new ConfigError(`Error loading the ${what}: (null) : ${NULL_PATH_ERROR}`, ExitCode.Usage);
  try {
    return fs.readFileSync(path);
  } catch (e: unknown) {
    throw new ConfigError(`Error loading the ${what}: ${path} : ${opensslSystemError(e)}`, ExitCode.Usage);
  }
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Builds the context or throws ConfigError (exit 64) with memcached's message. */
export function loadTlsContext(ssl: SslSettings): TlsServerContext {
  const cert = readPem(ssl.chainCert, 'certificate chain');
  // memcached reads the key from ssl_key; with no ssl_key OpenSSL is given a NULL path.
  const key = readPem(ssl.key, 'key');
  if (ssl.keyFormat !== 1) {
    throw new ConfigError(`Error loading the key: ${ssl.key} : memcachedts reads PEM keys only (ssl_keyformat=1)`, ExitCode.Usage);
  }
  const ca = ssl.caCert !== null ? readPem(ssl.caCert, 'CA certificate') : undefined;
  const options: tls.SecureContextOptions = { minVersion: MIN_VERSIONS[ssl.minVersion] ?? 'TLSv1.2' };
  let context: tls.SecureContext;
  try {
    context = tls.createSecureContext({ ...options, cert });
  } catch (e: unknown) {
    throw new ConfigError(`Error loading the certificate chain: ${ssl.chainCert} : ${reason(e)}`, ExitCode.Usage);
  }
  try {
    context = tls.createSecureContext({ ...options, cert, key });
  } catch (e: unknown) {
    throw new ConfigError(`Error loading the key: ${ssl.key} : ${reason(e)}`, ExitCode.Usage);
  }
  if (ca !== undefined) {
    try {
      context = tls.createSecureContext({ ...options, cert, key, ca });
    } catch (e: unknown) {
      throw new ConfigError(`Error loading the CA certificate: ${ssl.caCert} : ${reason(e)}`, ExitCode.Usage);
    }
  }
  if (ssl.ciphers !== null) {
    try {
      context = tls.createSecureContext({ ...options, cert, key, ca, ciphers: ssl.ciphers });
    } catch {
      throw new ConfigError(`Error setting the provided cipher(s): ${ssl.ciphers}`, ExitCode.Usage);
    }
  }
  return { secureContext: context, requestCert: ssl.verifyMode >= 1, rejectUnauthorized: ssl.verifyMode >= 2 };
}
