// The process logger, behind the VerboseLog interface that protocol/ and net/ use.
// `--log-format text` (default) prints memcached's plain stderr lines (`<26 get foo`);
// `--log-format json` prints the same events as pino JSON lines. Writes are synchronous so
// journald sees each line at once and nothing is lost when the process exits right after
// logging. pino is loaded only for json: in text mode it would cost every serving thread
// ~2.4 MiB of RSS (docs/threads.md, "Memory per thread") for lines it never formats.

import { createRequire } from 'node:module';
import type { DestinationStream, Logger } from 'pino';
import { writeFully } from '../common/fd-write.js';
import type { VerboseLog } from './verbose.js';

export type LogFormat = 'text' | 'json';

export interface LoggerOptions {
  readonly format: LogFormat;
  /**
   * memcached's -v count, in a level word of the logger's own; changed later through `level`
   * (the `verbosity` command). Default 0.
   */
  readonly verbosity?: number;
  /**
   * Instead of verbosity: a one-word view holding the level, which another thread may share (a
   * serving thread passes the server-wide verbosity word, so `verbosity` on any connection
   * reaches every thread).
   */
  readonly levelWord?: Int32Array;
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
  /** The pino logger, for structured extras in json mode (loaded on first use in text mode). */
  readonly pino: Logger;
}

/** Lines up to this many UTF-16 units are encoded into one reused buffer (3 bytes per unit at most). */
const SCRATCH_UNITS = 1365;
const scratch = Buffer.allocUnsafeSlow(SCRATCH_UNITS * 3);

/** Whole strings to a descriptor with blocking writes: what pino.destination({ sync: true }) does. */
class FdDestination implements DestinationStream {
  private readonly fd: number;

  constructor(fd: number) {
    this.fd = fd;
  }

  write(text: string): void {
    if (text.length <= SCRATCH_UNITS) writeFully(this.fd, scratch, 0, scratch.write(text, 0, 'utf8'));
    else writeFully(this.fd, Buffer.from(text, 'utf8'));
  }
}

/** pino, required only when a json logger is made (it is CommonJS, so this stays synchronous). */
function loadPino(): typeof import('pino') {
  return createRequire(import.meta.url)('pino') as typeof import('pino');
}

class ProcessLogger implements AppLogger {
  readonly format: LogFormat;
  private readonly levelWord: Int32Array;
  private readonly dest: DestinationStream;
  private pinoLogger: Logger | null = null;

  constructor(opts: LoggerOptions) {
    this.levelWord = opts.levelWord ?? Int32Array.of(opts.verbosity ?? 0);
    this.format = opts.format;
    this.dest = opts.destination ?? new FdDestination(2);
    if (this.format === 'json') void this.pino;
  }

  get level(): number {
    return this.levelWord[0]!;
  }

  set level(level: number) {
    Atomics.store(this.levelWord, 0, level);
  }

  get pino(): Logger {
    if (this.pinoLogger === null) {
      const { pino } = loadPino();
      this.pinoLogger = pino(
        {
          level: 'trace',
          base: { pid: process.pid },
          timestamp: pino.stdTimeFunctions.isoTime,
          formatters: { level: (label) => ({ level: label }) },
        },
        this.dest,
      );
    }
    return this.pinoLogger;
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
