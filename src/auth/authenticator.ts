// What protocol/ sees of authentication: the mechanisms to offer and a PLAIN check that never
// throws. SASLprep (RFC 4013) runs here; a prohibited character is a failed attempt.

import saslprep from 'saslprep';
import type { PasswordSource } from './password-source.js';
import type { SourceStatus } from './source-status.js';

/** One password source as the SIGHUP log and `stats memcachedts` report it. */
export type SourceReport = { readonly path: string; readonly status: SourceStatus };

export interface Authenticator {
  readonly mechanisms: readonly string[];
  /** RFC 4616 PLAIN: true when `authcid` may log in with `password` (acting as itself). */
  checkPlain(authzid: string, authcid: string, password: string): boolean;
  /** Re-read every password source (SIGHUP). Never throws. */
  reload(): void;
  /** What each password source holds now, without re-reading. */
  sources(): readonly SourceReport[];
  /** Times a password source became unusable, summed over sources (`auth_source_errors`). */
  sourceErrors(): number;
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
    if (!this.mechanisms.includes('PLAIN')) return false;
    const user = prepare(authcid);
    const pass = prepare(password);
    if (user === null || pass === null || user === '' || pass === '') return false;
    if (authzid !== '') {
      // Acting as someone else is not supported: the authzid, if given, must be the user.
      if (prepare(authzid) !== user) return false;
    }
    try {
      for (const source of this.#sources) {
        const verdict = source.check(user, pass);
        if (verdict !== undefined) return verdict;
      }
    } catch {
      // A source failing mid-check (should not happen: sources catch their own I/O) fails closed.
      return false;
    }
    return false;
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
