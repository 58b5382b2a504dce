// What a password source holds now, and how logs say it. Kept apart from password-source.ts so
// that cli/main.ts can word the SIGHUP line without loading SASLprep and the parsers.

/** Users, nothing (an optional file that is absent), or the reason it authenticates nobody. */
export type SourceStatus =
  | { readonly state: 'loaded'; readonly users: number }
  | { readonly state: 'absent' }
  | { readonly state: 'failed'; readonly reason: string };

/** `2 users`, `absent (optional)`, `failed: <reason>`. */
export function describeStatus(status: SourceStatus): string {
  switch (status.state) {
    case 'loaded':
      return status.users === 1 ? '1 user' : `${status.users} users`;
    case 'absent':
      return 'absent (optional)';
    case 'failed':
      return `failed: ${status.reason}`;
  }
}
