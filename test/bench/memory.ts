// npm run bench:memory — memory density side by side: memcachedts and Debian's memcached,
// both at -m 256, filled with 30-byte keys until evictions start and well beyond, for 100 B,
// 1 KiB and 100 KiB values. Prints items held, `bytes`, evictions, RSS and items per MiB of
// -m, with ratios (ours / memcached).
import net from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { startDaemon, MEMCACHED_BIN, type Daemon } from '../support/daemon.js';

const MEM_MB = 256;
const KEY_LEN = 30;
const VALUE_SIZES = [100, 1024, 100 * 1024];
/** Keep storing this many times the items held when evictions started. */
const BEYOND_FACTOR = 1.5;

interface Result {
  name: string;
  items: number;
  bytes: number;
  evictions: number;
  rssMiB: number;
  heapNote: string;
  stored: number;
}

function key(i: number): string {
  const s = String(i);
  return 'key:' + '0'.repeat(KEY_LEN - 4 - s.length) + s;
}

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

class Conn {
  private readonly sock: net.Socket;
  private buf = '';
  private waiter: (() => void) | null = null;

  private constructor(sock: net.Socket) {
    this.sock = sock;
    sock.on('data', (d: Buffer) => {
      this.buf += d.toString('latin1');
      if (this.waiter !== null && this.buf.includes('END\r\n')) {
        const w = this.waiter;
        this.waiter = null;
        w();
      }
    });
  }

  static open(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Conn(s)));
      s.once('error', reject);
    });
  }

  async write(b: Buffer): Promise<void> {
    if (!this.sock.write(b)) await new Promise<void>((r) => this.sock.once('drain', () => r()));
  }

  /** Sends `stats` and returns its fields (also syncs: all earlier requests are done). */
  async stats(): Promise<Map<string, string>> {
    this.buf = '';
    const done = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('stats timeout')), 60_000);
      this.waiter = () => {
        clearTimeout(t);
        resolve();
      };
    });
    await this.write(Buffer.from('stats\r\n'));
    await done;
    const m = new Map<string, string>();
    for (const line of this.buf.split('\r\n')) {
      const p = line.split(' ');
      if (p[0] === 'STAT' && p.length >= 3) m.set(p[1]!, p[2]!);
    }
    return m;
  }

  close(): void {
    this.sock.destroy();
  }
}

async function fill(d: Daemon, name: string, valueSize: number): Promise<Result> {
  const c = await Conn.open(d.port);
  const value = Buffer.alloc(valueSize, 0x76);
  const perBatch = Math.max(1, Math.min(2000, Math.floor((4 * 1024 * 1024) / (valueSize + 64))));
  let i = 0;
  let firstEvictionAt = -1;
  const maxItems = Math.ceil(((MEM_MB * 1024 * 1024) / (valueSize + KEY_LEN)) * 4) + 10_000;
  for (;;) {
    const parts: Buffer[] = [];
    for (let j = 0; j < perBatch; j++, i++) {
      parts.push(Buffer.from(`set ${key(i)} 0 0 ${valueSize} noreply\r\n`, 'latin1'), value, Buffer.from('\r\n'));
    }
    await c.write(Buffer.concat(parts));
    const st = await c.stats();
    const ev = Number(st.get('evictions') ?? 0);
    if (ev > 0 && firstEvictionAt < 0) firstEvictionAt = i;
    if (firstEvictionAt >= 0 && i >= firstEvictionAt * BEYOND_FACTOR) break;
    if (i >= maxItems) break;
  }
  const st = await c.stats();
  c.close();
  return {
    name,
    items: Number(st.get('curr_items')),
    bytes: Number(st.get('bytes')),
    evictions: Number(st.get('evictions')),
    rssMiB: rssMiB(d.proc.pid!),
    heapNote: '',
    stored: i,
  };
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

function printTable(valueSize: number, ours: Result, theirs: Result | null): void {
  const rows: Array<[string, (r: Result) => number, number]> = [
    ['curr_items', (r) => r.items, 0],
    ['bytes', (r) => r.bytes, 0],
    ['evictions', (r) => r.evictions, 0],
    ['RSS MiB', (r) => r.rssMiB, 1],
    ['items per MiB of -m', (r) => r.items / MEM_MB, 1],
    ['sets sent', (r) => r.stored, 0],
  ];
  console.log(`\n== ${KEY_LEN}-byte keys, ${valueSize}-byte values, -m ${MEM_MB}`);
  console.log(`${'metric'.padEnd(22)}${'memcachedts'.padStart(14)}${'memcached'.padStart(14)}${'ratio'.padStart(9)}`);
  for (const [label, f, dg] of rows) {
    const a = f(ours);
    const b = theirs ? f(theirs) : NaN;
    console.log(`${label.padEnd(22)}${fmt(a, dg).padStart(14)}${fmt(b, dg).padStart(14)}${fmt(a / b, 3).padStart(9)}`);
  }
}

async function main(): Promise<void> {
  const haveMemcached = existsSync(MEMCACHED_BIN);
  if (!haveMemcached) console.log(`(${MEMCACHED_BIN} not installed: memcachedts only)`);
  for (const size of VALUE_SIZES) {
    const ours = await startDaemon({ args: ['-m', String(MEM_MB)] });
    let r1: Result;
    try {
      r1 = await fill(ours, 'memcachedts', size);
    } finally {
      await ours.stop();
    }
    let r2: Result | null = null;
    if (haveMemcached) {
      const mc = await startDaemon({ args: ['-m', String(MEM_MB)], memcached: true });
      try {
        r2 = await fill(mc, 'memcached', size);
      } finally {
        await mc.stop();
      }
    }
    printTable(size, r1, r2);
    if (size === 100 && r2 !== null) {
      const ratio = r1.items / r2.items;
      console.log(`target: items >= 0.95x memcached's -> ${ratio >= 0.95 ? 'MET' : 'MISSED'} (${ratio.toFixed(3)}x); ` +
        `RSS <= -m + 48 MiB -> ${r1.rssMiB <= MEM_MB + 48 ? 'MET' : 'MISSED'} (${fmt(r1.rssMiB, 1)} MiB)`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
