// Counts memcached text-protocol replies in a byte stream without building strings
// (the load generators must not become the bottleneck).
//
// Every reply ends in one line that is not a VALUE header: END (get), STORED, NOT_STORED,
// EXISTS, NOT_FOUND, DELETED, ERROR, CLIENT_ERROR ..., SERVER_ERROR .... A VALUE header is
// followed by <bytes>\r\n of data, which we skip without looking at it.
import net from 'node:net';

const CH_V = 0x56; // V
const CH_E = 0x45; // E
const CH_C = 0x43; // C
const CH_S = 0x53; // S
const CH_SP = 0x20;
const CH_LF = 0x0a;
const CH_0 = 0x30;
const CH_9 = 0x39;

export class TextReplyCounter {
  /** Replies completed so far. */
  completed = 0;
  /** VALUE blocks seen (hits). */
  values = 0;
  /** Lines starting ERROR, CLIENT_ERROR or SERVER_ERROR. */
  errors = 0;
  /** The first error line seen, for the report. */
  firstError = '';
  /** Called once per completed reply. */
  onReply: (() => void) | null = null;

  private skip = 0; // data bytes (+2) still to skip after a VALUE line
  private line = new Uint8Array(1024); // the current partial line
  private lineLen = 0;

  feed(buf: Uint8Array, start: number, end: number): void {
    let i = start;
    while (i < end) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const lf = buf.indexOf(CH_LF, i);
      const complete = lf >= 0 && lf < end;
      const stop = complete ? lf + 1 : end;
      if (this.lineLen === 0 && complete) {
        // the whole line is in this chunk: parse it where it lies
        this.endLine(buf, i, stop - i);
        i = stop;
        continue;
      }
      // a line split across reads: gather it (rare)
      const n = stop - i;
      if (this.lineLen + n > this.line.length) {
        const bigger = new Uint8Array(Math.max(this.line.length * 2, this.lineLen + n));
        bigger.set(this.line.subarray(0, this.lineLen));
        this.line = bigger;
      }
      this.line.set(buf.subarray(i, stop), this.lineLen);
      this.lineLen += n;
      i = stop;
      if (complete) {
        const len = this.lineLen;
        this.lineLen = 0;
        this.endLine(this.line, 0, len);
      }
    }
  }

  private endLine(l: Uint8Array, off: number, len: number): void {
    const c0 = l[off];
    const c1 = l[off + 1];
    if (c0 === CH_V && c1 === 0x41 /* A */ && len > 6) {
      // VALUE <key> <flags> <bytes>[ <cas>]\r\n: the bytes are the 3rd token after VALUE.
      let tok = 0;
      let bytes = 0;
      const e = off + len;
      for (let j = off + 5; j < e; j++) {
        const c = l[j]!;
        if (c === CH_SP) {
          tok++;
          continue;
        }
        if (tok === 3 && c >= CH_0 && c <= CH_9) bytes = bytes * 10 + (c - CH_0);
      }
      this.skip = bytes + 2;
      this.values++;
      return;
    }
    const isError =
      (c0 === CH_E && c1 === 0x52 /* R */) ||
      (c0 === CH_C && c1 === 0x4c /* L */) ||
      (c0 === CH_S && c1 === 0x45 /* E */ && l[off + 2] === 0x52 /* R */);
    if (isError) {
      this.errors++;
      if (this.firstError === '') this.firstError = Buffer.from(l.subarray(off, off + Math.min(len, 200))).toString('latin1').trim();
    }
    this.completed++;
    this.onReply?.();
  }
}

/** A no-delay connection whose bytes go straight from readBuf into counter (onread: no Buffer per read). */
export function connectCounting(port: number, host: string, counter: TextReplyCounter, readBuf: Buffer): net.Socket {
  return net.connect({
    port,
    host,
    noDelay: true,
    onread: {
      buffer: readBuf,
      callback: (n: number, buf: Uint8Array): boolean => {
        counter.feed(buf, 0, n);
        return true;
      },
    },
  });
}

/** Percentile (0..1) of an ascending-sorted array; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[idx]!;
}

/** Parses `--name value` pairs from argv into a record of strings. */
export function parseArgs(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        out[a.slice(2)] = next;
        i++;
      } else {
        out[a.slice(2)] = 'true';
      }
    }
  }
  return out;
}

export function numArg(args: Record<string, string>, name: string, dflt: number): number {
  const v = args[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name}: not a number: ${v}`);
  return n;
}

/** A value of n bytes that never contains \r or \n (so reply counting stays trivial). */
export function makeValue(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = 0x61 + (i % 26);
  return b;
}

/** `set <key> 0 0 <n>\r\n<value>\r\n` for every key, as one Buffer. */
export function buildSets(keys: readonly string[], value: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (const k of keys) {
    parts.push(Buffer.from(`set ${k} 0 0 ${value.length}\r\n`, 'latin1'), value, Buffer.from('\r\n', 'latin1'));
  }
  return Buffer.concat(parts);
}

/** A seeded xorshift32 generator of numbers in [0, 1): cheap and deterministic. */
export function xorshift32(seed: number): () => number {
  let x = seed | 0;
  return (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** `get` and `set` requests (values of `value`) for nkeys keys named `prefix` + a number. */
export function buildRequests(prefix: string, nkeys: number, value: Buffer): { keys: string[]; gets: Buffer[]; sets: Buffer[] } {
  const keys: string[] = [];
  for (let i = 0; i < nkeys; i++) keys.push(prefix + String(i).padStart(8, '0'));
  const gets = keys.map((k) => Buffer.from(`get ${k}\r\n`, 'latin1'));
  const sets = keys.map((k) => Buffer.concat([Buffer.from(`set ${k} 0 0 ${value.length}\r\n`, 'latin1'), value, Buffer.from('\r\n')]));
  return { keys, gets, sets };
}

/** The hits, error lines and first error over several connections' counters. */
export function sumCounters(counters: Iterable<TextReplyCounter>): { hits: number; errors: number; firstError: string } {
  let hits = 0;
  let errors = 0;
  let firstError = '';
  for (const c of counters) {
    hits += c.values;
    errors += c.errors;
    if (firstError === '') firstError = c.firstError;
  }
  return { hits, errors, firstError };
}
