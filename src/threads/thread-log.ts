// A serving thread's logger: its own AppLogger for the lines (written straight to stderr, whole
// lines, from any thread), with the level in the server-wide word so that the `verbosity`
// command on any connection changes it for every thread.

import type { Logger } from 'pino';
import type { AppLogger, LogFormat } from '../log/logger.js';
import type { ServerWide } from './server-wide.js';

export class ThreadLog implements AppLogger {
  private readonly base: AppLogger;
  private readonly wide: ServerWide;

  constructor(base: AppLogger, wide: ServerWide) {
    this.base = base;
    this.wide = wide;
  }

  get level(): number {
    return this.wide.verbosity;
  }

  set level(level: number) {
    this.wide.verbosity = level;
    this.base.level = level;
  }

  get format(): LogFormat {
    return this.base.format;
  }

  get pino(): Logger {
    return this.base.pino;
  }

  line(text: string): void {
    this.base.line(text);
  }

  warn(text: string): void {
    this.base.warn(text);
  }

  error(text: string): void {
    this.base.error(text);
  }

  info(text: string): void {
    this.base.info(text);
  }

  fatal(text: string, err?: unknown): void {
    this.base.fatal(text, err);
  }
}
