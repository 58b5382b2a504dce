// `stats detail` per-prefix counters (memcached's stats_prefix.c): one table per server, owned
// by the server context; filled only while `stats detail on` (RuntimeSettings.detailEnabled).
// A rare, opt-in path: a string per prefix is fine here.

interface PrefixCounts {
  get: number;
  hit: number;
  set: number;
  del: number;
}

export class PrefixStats {
  private readonly delimiter: number;
  /** In first-seen order, as `stats detail dump` lists them. */
  private readonly byPrefix = new Map<string, PrefixCounts>();

  constructor(delimiter: string) {
    this.delimiter = delimiter.charCodeAt(0);
  }

  recordGet(key: Buffer, keyStart: number, keyLen: number, isHit: boolean): void {
    const p = this.countsFor(key, keyStart, keyLen);
    if (p === null) return;
    p.get++;
    if (isHit) p.hit++;
  }

  recordSet(key: Buffer, keyStart: number, keyLen: number): void {
    const p = this.countsFor(key, keyStart, keyLen);
    if (p !== null) p.set++;
  }

  recordDelete(key: Buffer, keyStart: number, keyLen: number): void {
    const p = this.countsFor(key, keyStart, keyLen);
    if (p !== null) p.del++;
  }

  /** `stats detail dump` body: `PREFIX <p> get N hit N set N del N` lines (END not included). */
  dumpLines(): string {
    let text = '';
    for (const [name, p] of this.byPrefix) {
      text += 'PREFIX ' + name + ' get ' + p.get + ' hit ' + p.hit + ' set ' + p.set + ' del ' + p.del + '\r\n';
    }
    return text;
  }

  /** `stats reset`. */
  clear(): void {
    this.byPrefix.clear();
  }

  /** The key's prefix counters, or null when the key holds no delimiter (before any NUL). */
  private countsFor(key: Buffer, keyStart: number, keyLen: number): PrefixCounts | null {
    const delim = this.delimiter;
    let n = 0;
    while (n < keyLen && key[keyStart + n] !== delim && key[keyStart + n] !== 0) n++;
    if (n === keyLen || key[keyStart + n] !== delim) return null;
    const name = key.toString('latin1', keyStart, keyStart + n);
    let p = this.byPrefix.get(name);
    if (p === undefined) {
      p = { get: 0, hit: 0, set: 0, del: 0 };
      this.byPrefix.set(name, p);
    }
    return p;
  }
}
