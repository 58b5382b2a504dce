// memcached-style -v/-vv/-vvv lines (`<26 get foo`, `>26 END`). Callers check `level` before
// building a line, so nothing is formatted when the level is off.

export interface VerboseLog {
  /** 0 = quiet, 1 = -v, 2 = -vv, 3 = -vvv; the `verbosity` command changes it. */
  level: number;
  /** One memcached-style line (no trailing newline). */
  line(text: string): void;
  /** Warnings and errors: printed whatever the level. */
  warn(text: string): void;
  error(text: string): void;
}

export type LineSink = (text: string) => void;

export class StderrVerboseLog implements VerboseLog {
  level: number;
  private readonly sink: LineSink;

  constructor(level: number, sink: LineSink = (t) => process.stderr.write(t + '\n')) {
    this.level = level;
    this.sink = sink;
  }

  line(text: string): void {
    this.sink(text);
  }

  warn(text: string): void {
    this.sink(text);
  }

  error(text: string): void {
    this.sink(text);
  }
}
