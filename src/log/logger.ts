// The process logger: pino underneath, behind the VerboseLog interface that protocol/ and net/
// use. `--log-format text` (default) prints memcached's plain stderr lines (`<26 get foo`);
// `--log-format json` prints the same events as pino JSON lines. Writes are synchronous
// (pino.destination with sync: true) so journald sees each line at once and nothing is lost
// when the process exits right after logging.

import { pino, type DestinationStream, type Logger } from 'pino';
import type { VerboseLog } from './verbose.js';

export type LogFormat = 'text' | 'json';

export interface LoggerOptions {
  readonly format: LogFormat;
  /** memcached's -v count; changed later through `level` (the `verbosity` command). */
  readonly verbosity: number;
  /** Where lines go; default: file descriptor 2, synchronous. */
  readonly destination?: DestinationStream;
}

/** VerboseLog plus the few process-level events cli/main.ts reports. */
export interface AppLogger extends VerboseLog {
  readonly format: LogFormat;
  /** Always printed (start-up facts, `Exiting normally` when the caller decides to). */
  info(text: string): void;
  /** A bug that ends the process: message and stack. */
  fatal(text: string, err?: unknown): void;
  /** The pino logger, for structured extras in json mode. */
  readonly pino: Logger;
}

class ProcessLogger implements AppLogger {
  level: number;
  readonly format: LogFormat;
  readonly pino: Logger;
  private readonly dest: DestinationStream;

  constructor(opts: LoggerOptions) {
    this.level = opts.verbosity;
    this.format = opts.format;
    this.dest = opts.destination ?? pino.destination({ dest: 2, sync: true });
    this.pino = pino(
      {
        level: 'trace',
        base: { pid: process.pid },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      },
      this.dest,
    );
  }

  line(text: string): void {
    if (this.format === 'text') this.dest.write(text + '\n');
    else this.pino.info({ verbosity: this.level }, text);
  }

  info(text: string): void {
    if (this.format === 'text') this.dest.write(text + '\n');
    else this.pino.info(text);
  }

  warn(text: string): void {
    if (this.format === 'text') this.dest.write(text + '\n');
    else this.pino.warn(text);
  }

  error(text: string): void {
    if (this.format === 'text') this.dest.write(text + '\n');
    else this.pino.error(text);
  }

  fatal(text: string, err?: unknown): void {
    if (this.format === 'text') {
      const stack = err instanceof Error ? (err.stack ?? err.message) : err === undefined ? '' : String(err);
      this.dest.write(stack === '' ? text + '\n' : `${text}\n${stack}\n`);
    } else {
      this.pino.fatal(err === undefined ? {} : { err }, text);
    }
  }
}

export function createLogger(opts: LoggerOptions): AppLogger {
  return new ProcessLogger(opts);
}
