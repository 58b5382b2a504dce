// What a password source holds for one user, and the one place a password is checked against
// it: a SHA-256 digest (sasldb and plain files: cheap) or an scrypt hash (memcachedts-passwd
// files: ~70 ms of CPU, so the server checks it on libuv's thread pool, never on the event
// loop). An unknown user gets a stand-in of the same kind that never matches, so the same work
// is done whether or not the user exists (no user enumeration by timing).

import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { SCRYPT_DEFAULTS, scryptMaxmem, type ScryptHash } from './password-file.js';

export type StoredPassword =
  | { readonly kind: 'digest'; readonly digest: Buffer; readonly isKnown: boolean }
  | { readonly kind: 'scrypt'; readonly hash: ScryptHash; readonly isKnown: boolean };

/** Stand-ins for unknown users: random, so no input can be made to match them. */
export const UNKNOWN_DIGEST: StoredPassword = Object.freeze({ kind: 'digest', digest: randomBytes(32), isKnown: false });
export const UNKNOWN_SCRYPT: StoredPassword = Object.freeze({
  kind: 'scrypt',
  hash: {
    N: SCRYPT_DEFAULTS.N,
    r: SCRYPT_DEFAULTS.r,
    p: SCRYPT_DEFAULTS.p,
    salt: randomBytes(SCRYPT_DEFAULTS.saltLen),
    hash: randomBytes(SCRYPT_DEFAULTS.keyLen),
  },
  isKnown: false,
});

export function sha256(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** Synchronous check (tests, tools): scrypt blocks the calling thread. */
export function matchesSync(stored: StoredPassword, password: string): boolean {
  if (stored.kind === 'digest') return digestMatches(stored.digest, password) && stored.isKnown;
  const h = stored.hash;
  const derived = scryptSync(password, h.salt, h.hash.length, { N: h.N, r: h.r, p: h.p, maxmem: scryptMaxmem(h.N, h.r, h.p) });
  return timingSafeEqual(derived, h.hash) && stored.isKnown;
}

/** The server's check: scrypt runs on libuv's thread pool; a digest is compared at once. */
export function matches(stored: StoredPassword, password: string): Promise<boolean> {
  if (stored.kind === 'digest') return Promise.resolve(digestMatches(stored.digest, password) && stored.isKnown);
  const h = stored.hash;
  return new Promise((resolve) => {
    scrypt(password, h.salt, h.hash.length, { N: h.N, r: h.r, p: h.p, maxmem: scryptMaxmem(h.N, h.r, h.p) }, (err, derived) => {
      resolve(err === null && timingSafeEqual(derived, h.hash) && stored.isKnown);
    });
  });
}

function digestMatches(digest: Buffer, password: string): boolean {
  return timingSafeEqual(digest, sha256(Buffer.from(password, 'utf8')));
}
