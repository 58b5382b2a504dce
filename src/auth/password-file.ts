// Password files other than sasldb:
//  - memcached's MEMCACHED_SASL_PWDB: `user:password` lines, read the way memcached reads them
//    (fgets into a 256-byte buffer; the password ends at `:`, `\n`, `\r` or end of buffer);
//  - ours, written by `memcachedts-passwd`: a header line, then `user:scrypt$N$r$p$salt$hash`.
// Parse errors name a line number, never the line: a line may hold a password.

import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { BdbMagic } from './sasldb.js';

export type PasswordFileFormat = 'sasldb' | 'memcachedts' | 'plain';

export const MEMCACHEDTS_PASSWD_HEADER = '# memcachedts-passwd v1';

/** memcached's MAX_ENTRY_LEN: the fgets buffer, so a "line" holds at most 255 bytes. */
export const PWDB_MAX_ENTRY_LEN = 256;

export class PasswordFileError extends Error {
  readonly code = 'ERR_PASSWORD_FILE_FORMAT';
  constructor(message: string) {
    super(message);
    this.name = 'PasswordFileError';
  }
}

const BDB_MAGIC_OFFSET = 12;

export function detectPasswordFileFormat(buf: Buffer): PasswordFileFormat {
  if (buf.length >= BDB_MAGIC_OFFSET + 4) {
    const le = buf.readUInt32LE(BDB_MAGIC_OFFSET);
    const be = buf.readUInt32BE(BDB_MAGIC_OFFSET);
    for (const magic of Object.values(BdbMagic)) {
      if (le === magic || be === magic) return 'sasldb';
    }
  }
  const header = Buffer.from(MEMCACHEDTS_PASSWD_HEADER, 'latin1');
  if (buf.length >= header.length && buf.compare(header, 0, header.length, 0, header.length) === 0) {
    const next = buf[header.length];
    if (next === undefined || next === 0x0a || next === 0x0d) return 'memcachedts';
  }
  return 'plain';
}

// ---- MEMCACHED_SASL_PWDB ---------------------------------------------------------------------

/**
 * user → password bytes, first line per user wins (memcached stops at the first line whose
 * user matches). Lines are cut the way fgets(buf, 256) cuts them: a longer line continues as
 * the next "line". Lines without `:` are ignored.
 */
export function parsePlainPasswordFile(buf: Buffer): Map<string, Buffer> {
  const users = new Map<string, Buffer>();
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    const lineEnd = Math.min(nl < 0 ? buf.length : nl + 1, pos + PWDB_MAX_ENTRY_LEN - 1);
    const colon = buf.indexOf(0x3a, pos);
    if (colon >= 0 && colon < lineEnd) {
      const user = buf.toString('utf8', pos, colon);
      let passEnd = colon + 1;
      while (passEnd < lineEnd) {
        const c = buf[passEnd];
        if (c === 0x3a || c === 0x0a || c === 0x0d || c === 0x00) break;
        passEnd++;
      }
      if (!users.has(user)) users.set(user, Buffer.from(buf.subarray(colon + 1, passEnd)));
    }
    pos = lineEnd;
  }
  return users;
}

/** memcached refuses a user + password longer than MAX_ENTRY_LEN - 4 bytes before reading. */
export function fitsPlainPasswordFile(user: string, password: string): boolean {
  return Buffer.byteLength(user) + Buffer.byteLength(password) <= PWDB_MAX_ENTRY_LEN - 4;
}

// ---- memcachedts-passwd ----------------------------------------------------------------------

export type ScryptHash = {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
};

export const SCRYPT_DEFAULTS = { N: 16384, r: 8, p: 1, saltLen: 16, keyLen: 32 } as const;

const SCRYPT_PREFIX = 'scrypt';
const SCRYPT_MAX_N = 1 << 20;
const SCRYPT_MAX_R = 32;
const SCRYPT_MAX_P = 16;
const DECIMAL = /^[1-9][0-9]{0,9}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** `scrypt$N$r$p$salt$hash` → parts, or null when malformed or out of bounds. */
export function parseScryptHash(text: string): ScryptHash | null {
  const parts = text.split('$');
  if (parts.length !== 6 || parts[0] !== SCRYPT_PREFIX) return null;
  const [, nText, rText, pText, saltText, hashText] = parts;
  if (nText === undefined || rText === undefined || pText === undefined) return null;
  if (saltText === undefined || hashText === undefined) return null;
  if (!DECIMAL.test(nText) || !DECIMAL.test(rText) || !DECIMAL.test(pText)) return null;
  const N = Number(nText);
  const r = Number(rText);
  const p = Number(pText);
  if (N < 2 || N > SCRYPT_MAX_N || (N & (N - 1)) !== 0) return null;
  if (r > SCRYPT_MAX_R || p > SCRYPT_MAX_P) return null;
  if (!BASE64.test(saltText) || !BASE64.test(hashText)) return null;
  const salt = Buffer.from(saltText, 'base64');
  const hash = Buffer.from(hashText, 'base64');
  if (salt.length < 8 || hash.length < 16 || hash.length > 64) return null;
  return { N, r, p, salt, hash };
}

export function formatScryptHash(h: ScryptHash): string {
  return [SCRYPT_PREFIX, h.N, h.r, h.p, h.salt.toString('base64'), h.hash.toString('base64')].join('$');
}

export function scryptMaxmem(N: number, r: number, p: number): number {
  // scrypt needs about 128·N·r bytes (+128·r·p); leave headroom over Node's 32 MiB default.
  return 128 * N * r * 2 + 128 * r * p + 1024 * 1024;
}

/** Hash an already SASLprep'd password with a fresh salt. */
export function hashPassword(password: string, params: Partial<Pick<ScryptHash, 'N' | 'r' | 'p'>> = {}): string {
  const N = params.N ?? SCRYPT_DEFAULTS.N;
  const r = params.r ?? SCRYPT_DEFAULTS.r;
  const p = params.p ?? SCRYPT_DEFAULTS.p;
  const salt = randomBytes(SCRYPT_DEFAULTS.saltLen);
  const hash = scryptSync(password, salt, SCRYPT_DEFAULTS.keyLen, { N, r, p, maxmem: scryptMaxmem(N, r, p) });
  return formatScryptHash({ N, r, p, salt, hash });
}

/** Constant-time check of a password against a stored scrypt hash. */
export function verifyScryptPassword(stored: ScryptHash, password: string): boolean {
  const { N, r, p } = stored;
  const derived = scryptSync(password, stored.salt, stored.hash.length, { N, r, p, maxmem: scryptMaxmem(N, r, p) });
  return timingSafeEqual(derived, stored.hash);
}

/** user → `scrypt$…` text, each validated; throws PasswordFileError with a line number. */
export function parseMemcachedtsPasswd(buf: Buffer): Map<string, string> {
  const lines = buf.toString('utf8').split('\n');
  if (trimCr(lines[0] ?? '') !== MEMCACHEDTS_PASSWD_HEADER) {
    throw new PasswordFileError(`line 1: expected "${MEMCACHEDTS_PASSWD_HEADER}"`);
  }
  const users = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = trimCr(lines[i] ?? '');
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new PasswordFileError(`line ${i + 1}: expected user:hash`);
    const user = line.slice(0, colon);
    const hashText = line.slice(colon + 1);
    if (parseScryptHash(hashText) === null) throw new PasswordFileError(`line ${i + 1}: bad password hash`);
    if (users.has(user)) throw new PasswordFileError(`line ${i + 1}: duplicate user`);
    users.set(user, hashText);
  }
  return users;
}

export function formatMemcachedtsPasswd(users: ReadonlyMap<string, string>): string {
  let out = MEMCACHEDTS_PASSWD_HEADER + '\n';
  for (const [user, hashText] of users) out += `${user}:${hashText}\n`;
  return out;
}

/** A user name our file can hold: non-empty, no `:`, no control characters. */
export function isValidPasswdUser(user: string): boolean {
  // eslint-disable-next-line no-control-regex
  return user.length > 0 && !/[:\x00-\x1f\x7f]/.test(user) && !user.startsWith('#');
}

function trimCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
