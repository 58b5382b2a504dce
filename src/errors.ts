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
