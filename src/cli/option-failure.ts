// How a bad command-line flag stops the start (a ConfigError carrying memcached's line and our
// exit code), and the warning for a flag Node cannot honour.

import { ConfigError, ExitCode } from '../errors.js';

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function fail(message: string, exitCode: number = ExitCode.Usage): never {
  throw new ConfigError(message, exitCode);
}

export function notInNode(what: string): string {
  return `WARNING: ${what} is not supported by memcachedts and is ignored.`;
}
