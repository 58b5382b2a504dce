// What protocol/ sees of authentication: the mechanisms to offer, and PLAIN and CRAM-MD5 checks
// that never throw. SASLprep (RFC 4013) runs here; a prohibited character is a failed attempt.
// Every source is consulted for every attempt, known user or not, so that the work (and
// the time) does not tell who exists; the first source that knows the user decides.

import type { PasswordSource } from './password-source.js';
import type { SourceStatus } from './source-status.js';
import { matches, matchesSync, type StoredPassword } from './stored-password.js';
import { prepare } from './sasl-prepare.js';

/** One password source as the SIGHUP log and `stats memcachedts` report it. */
export type SourceReport = { readonly path: string; readonly status: SourceStatus };

export interface Authenticator {
  readonly mechanisms: readonly string[];
  /** RFC 4616 PLAIN: true when `authcid` may log in with `password` (acting as itself). */
  checkPlain(authzid: string, authcid: string, password: string): boolean;
  /**
   * CRAM-MD5 (RFC 2195): whether data[start, end) is `authcid`'s HMAC-MD5 of `challenge` in hex;
   * undefined when no source knows the user (Cyrus: SASL_NOUSER).
   */
  checkCramMd5(authcid: string, challenge: Buffer, data: Buffer, start: number, end: number): boolean | undefined;
  /**
   * The PLAIN check, with password hashing off the event loop (libuv's thread pool). The
   * server uses it when present; fields must be bounded by the caller (SASLprep runs here).
   */
  verifyPlain?(authzid: string, authcid: string, password: string): Promise<boolean>;
  /** Re-read every password source (SIGHUP). Never throws. */
  reload(): void;
  /** What each password source holds now, without re-reading. */
  sources(): readonly SourceReport[];
  /** Times a password source became unusable, summed over sources (`auth_source_errors`). */
  sourceErrors(): number;
}

/** A checked stored password's verdict: undefined for a stand-in (the source does not know the user). */
function judged(stored: StoredPassword, isMatch: boolean): boolean | undefined {
  return stored.isKnown ? isMatch : undefined;
}

/** The mechanisms implemented; ANONYMOUS is never offered. */
export const SUPPORTED_MECHANISMS = ['PLAIN', 'CRAM-MD5'] as const;

export type PasswordAuthenticatorOptions = {
  /** Consulted in order; the first source that knows the user decides. */
  sources: readonly PasswordSource[];
  /** `mech_list`, in its order (Cyrus lists mechanisms in that order); default PLAIN. */
  mechanisms?: readonly string[];
  /**
   * Whether the sources keep plaintext passwords, which CRAM-MD5 needs (sasldb, PWDB files;
   * never a memcachedts-passwd file). Without it CRAM-MD5 is not offered.
   */
  hasPlaintext?: boolean;
};

export class PasswordAuthenticator implements Authenticator {
  readonly mechanisms: readonly string[];
  readonly #sources: readonly PasswordSource[];

  constructor(options: PasswordAuthenticatorOptions) {
    this.#sources = options.sources;
    const usable: readonly string[] = options.hasPlaintext === true ? SUPPORTED_MECHANISMS : ['PLAIN'];
    const offered: string[] = [];
    for (const m of options.mechanisms ?? ['PLAIN']) {
      const name = m.toUpperCase();
      if (usable.includes(name) && !offered.includes(name)) offered.push(name);
    }
    this.mechanisms = Object.freeze(offered);
  }

  checkPlain(authzid: string, authcid: string, password: string): boolean {
    const creds = this.#prepare(authzid, authcid, password);
    if (creds === null) return false;
    try {
      let verdict: boolean | undefined;
      for (const answer of this.#ask(creds.user, creds.pass)) {
        const v = typeof answer === 'object' ? judged(answer, matchesSync(answer, creds.pass)) : answer;
        if (verdict === undefined) verdict = v;
      }
      return verdict === true;
    } catch {
      // A source failing mid-check (should not happen: sources catch their own I/O) fails closed.
      return false;
    }
  }

  async verifyPlain(authzid: string, authcid: string, password: string): Promise<boolean> {
    const creds = this.#prepare(authzid, authcid, password);
    if (creds === null) return false;
    try {
      let verdict: boolean | undefined;
      for (const answer of this.#ask(creds.user, creds.pass)) {
        const v = typeof answer === 'object' ? judged(answer, await matches(answer, creds.pass)) : answer;
        if (verdict === undefined) verdict = v;
      }
      return verdict === true;
    } catch {
      return false;
    }
  }

  /**
   * Every source's answer for the user, in order: the stored password to check (a same-kind
   * stand-in for a user it does not know, so the work does not tell), or the source's own
   * verdict when it has no lookup(). The first source that knows the user decides.
   */
  #ask(user: string, pass: string): Array<StoredPassword | boolean | undefined> {
    return this.#sources.map((source) => (source.lookup !== undefined ? source.lookup(user) : source.check(user, pass)));
  }

  /** SASLprep'd user and password; null when the attempt cannot succeed. */
  #prepare(authzid: string, authcid: string, password: string): { user: string; pass: string } | null {
    if (!this.mechanisms.includes('PLAIN')) return null;
    const user = prepare(authcid);
    const pass = prepare(password);
    if (user === null || pass === null || user === '' || pass === '') return null;
    // Acting as someone else is not supported: the authzid, if given, must be the user.
    if (authzid !== '' && prepare(authzid) !== user) return null;
    return { user, pass };
  }

  checkCramMd5(authcid: string, challenge: Buffer, data: Buffer, start: number, end: number): boolean | undefined {
    if (!this.mechanisms.includes('CRAM-MD5')) return false;
    const user = prepare(authcid);
    if (user === null || user === '') return undefined;
    try {
      // As for PLAIN, every source is asked (one HMAC each, known user or not), so the time does
      // not tell which file holds the user; the first that knows the user decides.
      let verdict: boolean | undefined;
      for (const source of this.#sources) {
        const v = source.checkCram(user, challenge, data, start, end);
        if (verdict === undefined) verdict = v;
      }
      return verdict;
    } catch {
      return false; // as in checkPlain: a source failing mid-check fails closed
    }
  }

  reload(): void {
    for (const source of this.#sources) source.reload();
  }

  sources(): readonly SourceReport[] {
    return this.#sources.map((source) => ({ path: source.path, status: source.status() }));
  }

  sourceErrors(): number {
    let n = 0;
    for (const source of this.#sources) n += source.errorCount;
    return n;
  }
}
