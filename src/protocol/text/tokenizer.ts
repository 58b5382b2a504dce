// Splits a request line into space-separated tokens as offsets (no strings, no subarrays).
// memcached splits on ' ' only; tokens past the cap are left in the last token.

export const MAX_TOKENS = 24;

export class Tokens {
  count = 0;
  readonly start = new Int32Array(MAX_TOKENS + 1);
  readonly end = new Int32Array(MAX_TOKENS + 1);
  buf: Buffer = Buffer.alloc(0);

  /** Tokenizes buf[lineStart, lineEnd) (no CR/LF inside). Returns the token count. */
  tokenize(buf: Buffer, lineStart: number, lineEnd: number, maxTokens: number = MAX_TOKENS): number {
    this.buf = buf;
    let n = 0;
    let i = lineStart;
    while (i < lineEnd) {
      while (i < lineEnd && buf[i] === 0x20) i++;
      if (i >= lineEnd) break;
      if (n === maxTokens - 1) {
        // The rest of the line, trailing spaces trimmed.
        let e = lineEnd;
        while (e > i && buf[e - 1] === 0x20) e--;
        this.start[n] = i;
        this.end[n] = e;
        n++;
        break;
      }
      const s = i;
      while (i < lineEnd && buf[i] !== 0x20) i++;
      this.start[n] = s;
      this.end[n] = i;
      n++;
    }
    this.count = n;
    return n;
  }

  len(i: number): number {
    return this.end[i]! - this.start[i]!;
  }

  /** True when token i equals the ASCII word (for rare commands and options). */
  is(i: number, word: string): boolean {
    const s = this.start[i]!;
    const n = this.end[i]! - s;
    if (n !== word.length) return false;
    for (let k = 0; k < n; k++) if (this.buf[s + k] !== word.charCodeAt(k)) return false;
    return true;
  }

  /** Token i as a latin1 string: logs and rare admin commands only. */
  text(i: number): string {
    return this.buf.toString('latin1', this.start[i]!, this.end[i]!);
  }
}
