// SASLprep (RFC 4013) of user names and passwords, in the three forms auth/ needs: a query, a
// string read from a password file, and a string about to be stored. Its own module because
// both the authenticator and the password sources it reads use it.

import saslprep from 'saslprep';

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
