// Start-up failures and the exit codes memcached uses for them (sysexits.h). Thrown in config/
// and cli/, caught only in cli/main.ts, which prints the message and returns the code.

export const ExitCode = {
  Ok: 0,
  Failure: 1, // EXIT_FAILURE: SASL or -Y file could not be initialised
  Usage: 64, // EX_USAGE: bad flag or value, root without -u
  NoUser: 67, // EX_NOUSER: -u names no such user
  Software: 70, // EX_SOFTWARE: uncaught exception (a bug)
  OsErr: 71, // EX_OSERR: bind failure, privilege drop failure
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A bad command line or configuration: `message` is printed as is (may hold several lines). */
export class ConfigError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = ExitCode.Usage) {
    super(message);
    this.name = 'ConfigError';
    this.exitCode = exitCode;
  }
}

/** A failure while starting (user lookup, privileges, pidfile, detaching). */
export class StartupError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = ExitCode.OsErr) {
    super(message);
    this.name = 'StartupError';
    this.exitCode = exitCode;
  }
}

/** The errno code of a Node system error (`EADDRINUSE`), or undefined. */
export function errnoCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const code = (e as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// The C library's strerror() texts for the errno codes our start-up can meet, so messages read
// as memcached's perror() lines do.
const STRERROR: Readonly<Record<string, string>> = {
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EINVAL: 'Invalid argument',
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device',
  EMFILE: 'Too many open files',
  // getaddrinfo's gai_strerror() texts
  ENOTFOUND: 'Name or service not known',
  EAI_AGAIN: 'Temporary failure in name resolution',
  EAI_FAIL: 'Non-recoverable failure in name resolution',
};

/** strerror()'s text for e's errno code, or undefined when e has none we know. */
export function libcErrorText(e: unknown): string | undefined {
  const code = errnoCode(e);
  return code !== undefined && Object.hasOwn(STRERROR, code) ? STRERROR[code] : undefined;
}

/** strerror()'s text for e's errno code, else e's own message. */
export function strerror(e: unknown): string {
  return libcErrorText(e) ?? errorMessage(e);
}
