// What protocol/ sees of authentication: the mechanisms to offer and a PLAIN check that never
// throws. SASLprep (RFC 4013) runs here; a prohibited character is a failed attempt. Every
// source is consulted for every attempt, known user or not, so that the work (and the time)
// does not tell who exists; the first source that knows the user decides.

import saslprep from 'saslprep';
import type { PasswordSource } from './password-source.js';
import { matches, matchesSync } from './stored-password.js';

export interface Authenticator {
  readonly mechanisms: readonly string[];
  /** RFC 4616 PLAIN: true when `authcid` may log in with `password` (acting as itself). */
  checkPlain(authzid: string, authcid: string, password: string): boolean;
  /**
   * The same check, with password hashing off the event loop (libuv's thread pool). The
   * server uses it when present; fields must be bounded by the caller (SASLprep runs here).
   */
  verifyPlain?(authzid: string, authcid: string, password: string): Promise<boolean>;
  /** Re-read every password source (SIGHUP). Never throws. */
  reload(): void;
}

/** The only mechanism implemented; ANONYMOUS is never offered. */
export const SUPPORTED_MECHANISMS = ['PLAIN'] as const;

export type PasswordAuthenticatorOptions = {
  /** Consulted in order; the first source that knows the user decides. */
  sources: readonly PasswordSource[];
  mechanisms?: readonly string[];
};

export class PasswordAuthenticator implements Authenticator {
  readonly mechanisms: readonly string[];
  readonly #sources: readonly PasswordSource[];

  constructor(options: PasswordAuthenticatorOptions) {
    this.#sources = options.sources;
    const wanted = options.mechanisms ?? SUPPORTED_MECHANISMS;
    this.mechanisms = Object.freeze(SUPPORTED_MECHANISMS.filter((m) => wanted.includes(m)));
  }

  checkPlain(authzid: string, authcid: string, password: string): boolean {
    const creds = this.#prepare(authzid, authcid, password);
    if (creds === null) return false;
    try {
      let verdict: boolean | undefined;
      for (const source of this.#sources) {
        let v: boolean | undefined;
        if (source.lookup !== undefined) {
          const stored = source.lookup(creds.user);
          if (stored !== undefined) {
            const ok = matchesSync(stored, creds.pass);
            if (stored.isKnown) v = ok;
          }
        } else {
          v = source.check(creds.user, creds.pass);
        }
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
      for (const source of this.#sources) {
        let v: boolean | undefined;
        if (source.lookup !== undefined) {
          const stored = source.lookup(creds.user);
          if (stored !== undefined) {
            const ok = await matches(stored, creds.pass);
            if (stored.isKnown) v = ok;
          }
        } else {
          v = source.check(creds.user, creds.pass);
        }
        if (verdict === undefined) verdict = v;
      }
      return verdict === true;
    } catch {
      return false;
    }
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

  reload(): void {
    for (const source of this.#sources) source.reload();
  }
}

/** SASLprep as a query string (unassigned code points allowed); null when prohibited. */
export function prepare(s: string): string | null {
  try {
    return saslprep(s, { allowUnassigned: true });
  } catch {
    return null;
  }
}

/** A string read from a password file: SASLprep'd where possible, else kept as it is. */
export function prepareStored(s: string): string {
  return prepare(s) ?? s;
}

/** SASLprep for a string about to be stored (no unassigned code points); null when refused. */
export function prepareForStorage(s: string): string | null {
  try {
    return saslprep(s);
  } catch {
    return null;
  }
}
