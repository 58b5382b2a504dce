// CRAM-MD5 (RFC 2195) as Cyrus SASL's server plugin runs it under memcached: SASL_AUTH gets a
// challenge `<random.time@host>` back (status AUTH_CONTINUE), and SASL_STEP carries
// `user SP hex(HMAC-MD5(password, challenge))`. The key is the password as stored, so only
// files holding plaintext (sasldb, MEMCACHED_SASL_PWDB) can serve it, never hashed ones.
// No SASLprep and no saslprep import here: protocol/ loads this module eagerly.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const CRAM_MD5 = 'CRAM-MD5';

/** Lowercase hex of an MD5 digest: what Cyrus compares (strncmp over these 32 bytes). */
export const CRAM_DIGEST_HEX_LEN = 32;

const SPACE = 0x20;

/** A fresh challenge, shaped like Cyrus's: `<3092167785.1764672000@host>`. */
export function makeCramChallenge(hostname: string): Buffer {
  const random = randomBytes(4).readUInt32BE(0);
  const seconds = Math.floor(Date.now() / 1000);
  return Buffer.from(`<${random}.${seconds}@${hostname}>`, 'latin1');
}

/** Where the parts of a response lie in the gathered SASL data. */
export type CramResponse = { user: string; digestStart: number };

/**
 * Cyrus's reading: the user is everything before the last space, with spaces around it trimmed
 * (its canon_user step), the digest what follows. null: no user (Cyrus: "need authentication
 * name", SASL_BADPROT).
 */
export function parseCramResponse(data: Buffer, len: number): CramResponse | null {
  let space = len - 1;
  while (space > 0 && data[space] !== SPACE) space--;
  if (space <= 0) return null;
  let start = 0;
  let end = space;
  while (start < end && data[start] === SPACE) start++;
  while (end > start && data[end - 1] === SPACE) end--;
  if (start === end) return null;
  return { user: data.toString('utf8', start, end), digestStart: space + 1 };
}

/**
 * Whether the client's digest, at data[start, end), is HMAC-MD5(password, challenge) in
 * lowercase hex. Like Cyrus's strncmp, the first 32 bytes decide: a shorter answer fails,
 * bytes after the 32nd are ignored. Constant time over the 32 bytes.
 */
export function cramDigestMatches(password: Buffer, challenge: Buffer, data: Buffer, start: number, end: number): boolean {
  const expected = Buffer.from(createHmac('md5', password).update(challenge).digest('hex'), 'latin1');
  if (end - start < CRAM_DIGEST_HEX_LEN) return false;
  return timingSafeEqual(expected, data.subarray(start, start + CRAM_DIGEST_HEX_LEN));
}
