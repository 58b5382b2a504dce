// memcachedts-tool: look into a running memcached or memcachedts, in the spirit of Debian's
// /usr/share/memcached/scripts/memcached-tool (same modes, its own output):
//   memcachedts-tool HOST[:PORT] | [V6]:PORT | /path/sock  [display|stats|settings|sizes|dump [N]|keys [N]]

import net from 'node:net';

export const TOOL_USAGE = `Usage: memcachedts-tool <host[:port] | [v6addr]:port | /path/to/socket> [mode]

  memcachedts-tool 127.0.0.1:11211 display      # slab classes in use (default mode)
  memcachedts-tool 127.0.0.1:11211 stats        # general stats
  memcachedts-tool 127.0.0.1:11211 settings     # stats settings
  memcachedts-tool 127.0.0.1:11211 sizes        # stats sizes (needs -o track_sizes)
  memcachedts-tool 127.0.0.1:11211 dump [limit] # every item as an "add" command
  memcachedts-tool 127.0.0.1:11211 keys [limit] # lru_crawler metadump lines
`;

const TIMEOUT_MS = 10_000;
/** A server that says nothing this long to the first request may be a -S one: ask it. */
const FIRST_REPLY_MS = 2_000;
/** The server answered nothing at all (a -S server ignores the text protocol until auth). */
const SILENT = 'the server did not answer';

export type Target = { readonly path: string } | { readonly host: string; readonly port: number };

/** "host", "host:port", "[v6]:port", a bare IPv6 address, or a unix socket path (has a '/'). */
export function parseTarget(addr: string): Target | null {
  if (addr.includes('/')) return { path: addr };
  let host = addr;
  let port = 11211;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(addr);
  const hp = /^([^:]+):(\d+)$/.exec(addr);
  if (v6 !== null) {
    host = v6[1] ?? '';
    if (v6[2] !== undefined) port = Number(v6[2]);
  } else if (hp !== null) {
    host = hp[1] ?? '';
    port = Number(hp[2]);
  }
  if (host === '' || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { host, port };
}

/** A text-protocol connection with line and byte reads (tiny, for a tool: not the hot path). */
class TextConnection {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private ended: Error | null = null;
  private readonly socket: net.Socket;
  private hasHeardFromServer = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.hasHeardFromServer = true;
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.ended ??= new Error('connection closed by server');
      this.wake();
    });
    socket.on('error', (e) => {
      this.ended = e;
      this.wake();
    });
  }

  static open(target: Target): Promise<TextConnection> {
    return new Promise((resolve, reject) => {
      const socket = 'path' in target ? net.connect(target.path) : net.connect(target.port, target.host);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('connect timed out'));
      }, TIMEOUT_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new TextConnection(socket));
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private async waitMore(): Promise<void> {
    if (this.ended !== null) throw this.ended;
    await new Promise<void>((resolve, reject) => {
      const timer = this.hasHeardFromServer
        ? setTimeout(() => reject(new Error('timed out waiting for the server')), TIMEOUT_MS)
        : setTimeout(() => reject(new Error(SILENT)), FIRST_REPLY_MS);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  send(line: string): void {
    this.socket.write(line + '\r\n', 'latin1');
  }

  async readLine(): Promise<string> {
    for (;;) {
      const nl = this.buf.indexOf(0x0a);
      if (nl !== -1) {
        const end = nl > 0 && this.buf[nl - 1] === 0x0d ? nl - 1 : nl;
        const line = this.buf.toString('latin1', 0, end);
        this.buf = this.buf.subarray(nl + 1);
        return line;
      }
      await this.waitMore();
    }
  }

  async readBytes(n: number): Promise<Buffer> {
    while (this.buf.length < n) await this.waitMore();
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Sends a `stats ...` command; its STAT lines as [name, value] in server order. */
  async stats(group: string): Promise<Array<[string, string]>> {
    this.send(group === '' ? 'stats' : `stats ${group}`);
    const out: Array<[string, string]> = [];
    for (;;) {
      const line = await this.readLine();
      if (line === 'END') return out;
      const m = /^STAT (\S+) ?(.*)$/.exec(line);
      if (m === null) throw new Error(`unexpected reply to "stats ${group}": ${line}`);
      out.push([m[1] ?? '', m[2] ?? '']);
    }
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}

function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, leftCols = 0): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: readonly string[]): string =>
    r.map((c, i) => (i < leftCols ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [fmt(header), ...rows.map(fmt)].join('\n') + '\n';
}

/** One row per slab class that holds pages: sizes, pages, items, fill, evictions. */
export function renderDisplay(items: ReadonlyArray<[string, string]>, slabs: ReadonlyArray<[string, string]>, general: ReadonlyArray<[string, string]>): string {
  const classes = new Map<number, Map<string, string>>();
  const put = (cls: number, k: string, v: string): void => {
    let m = classes.get(cls);
    if (m === undefined) classes.set(cls, (m = new Map()));
    m.set(k, v);
  };
  for (const [k, v] of items) {
    const m = /^items:(\d+):(\w+)$/.exec(k);
    if (m !== null) put(Number(m[1]), m[2] ?? '', v);
  }
  for (const [k, v] of slabs) {
    const m = /^(\d+):(\w+)$/.exec(k);
    if (m !== null) put(Number(m[1]), m[2] ?? '', v);
  }
  const num = (m: Map<string, string>, k: string): number => Number(m.get(k) ?? '0');
  const rows: string[][] = [];
  for (const cls of [...classes.keys()].sort((a, b) => a - b)) {
    const m = classes.get(cls);
    if (m === undefined || num(m, 'total_pages') === 0) continue;
    const chunk = num(m, 'chunk_size');
    const used = num(m, 'used_chunks');
    const total = num(m, 'total_chunks');
    rows.push([
      String(cls),
      chunk < 1024 ? `${chunk} B` : `${(chunk / 1024).toFixed(1)} KiB`,
      String(num(m, 'chunks_per_page')),
      String(num(m, 'total_pages')),
      String(num(m, 'number')),
      total === 0 ? '-' : `${((100 * used) / total).toFixed(0)}%`,
      `${num(m, 'age')} s`,
      String(num(m, 'evicted')),
      `${num(m, 'evicted_time')} s`,
      String(num(m, 'outofmemory')),
    ]);
  }
  const g = new Map(general);
  const header = ['Class', 'Chunk', 'Per page', 'Pages', 'Items', 'Used', 'Oldest', 'Evicted', 'Evict age', 'OOM'];
  let out = rows.length === 0 ? 'No slab class holds any page yet (empty cache).\n' : table(header, rows);
  const mem = Number(g.get('bytes') ?? '0');
  const limit = Number(g.get('limit_maxbytes') ?? '0');
  const malloced = Number(slabs.find(([k]) => k === 'total_malloced')?.[1] ?? '0');
  out += `\nItems: ${g.get('curr_items') ?? '?'}  Item bytes: ${humanBytes(mem)}  Slab pages: ${humanBytes(malloced)}  Limit: ${humanBytes(limit)}`;
  out += `  Evictions: ${g.get('evictions') ?? '?'}\n`;
  return out;
}

function renderPairs(title: string, pairs: ReadonlyArray<[string, string]>): string {
  return table([title, 'Value'], pairs.map(([k, v]) => [k, v]), 1);
}

async function dump(conn: TextConnection, target: Target, limit: number, keysOnly: boolean, out: (s: string | Buffer) => void): Promise<number> {
  process.stderr.write(`Dumping memcache ${keysOnly ? 'keys' : 'contents'}${limit > 0 ? ` (limiting to ${limit} keys)` : ''}\n`);
  conn.send('lru_crawler metadump all');
  const keys: Array<{ key: string; exp: number }> = [];
  let hitLimit = false;
  for (;;) {
    const line = await conn.readLine();
    if (line === 'END') break;
    if (line.startsWith('ERROR') || line.startsWith('CLIENT_ERROR') || line.startsWith('SERVER_ERROR')) {
      process.stderr.write(`server refused lru_crawler metadump: ${line}\n`);
      return 1;
    }
    const m = /^key=(\S+) exp=(-?\d+)/.exec(line);
    if (m === null) continue;
    if (keysOnly) out(line + '\n');
    keys.push({ key: (m[1] ?? '').replace(/%([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), exp: Number(m[2]) });
    if (limit > 0 && keys.length >= limit) {
      hitLimit = true;
      break;
    }
  }
  if (keysOnly) return 0;
  // Stop a metadump cut short by the limit by starting over on a fresh connection.
  let c = conn;
  if (hitLimit) {
    conn.close();
    c = await TextConnection.open(target);
  }
  for (const { key, exp } of keys) {
    c.send(`get ${key}`);
    const head = await c.readLine();
    const m = /^VALUE (\S+) (\d+) (\d+)/.exec(head);
    if (m === null) continue; // gone since the metadump (END)
    const len = Number(m[3]);
    const value = await c.readBytes(len + 2);
    await c.readLine(); // END
    out(`add ${key} ${m[2]} ${exp === -1 ? 0 : exp} ${len}\r\n`);
    out(value);
  }
  if (c !== conn) c.close();
  return 0;
}

export async function main(argv: string[], out: (s: string | Buffer) => void = (s) => process.stdout.write(s)): Promise<number> {
  const [addr, modeArg, limitArg, ...rest] = argv;
  const mode = modeArg ?? 'display';
  const modes = ['display', 'stats', 'settings', 'sizes', 'dump', 'keys'];
  const limit = limitArg === undefined ? 0 : Number(limitArg);
  const takesLimit = mode === 'dump' || mode === 'keys';
  if (addr === '-h' || addr === '--help') {
    process.stdout.write(TOOL_USAGE);
    return 0;
  }
  if (addr === undefined || !modes.includes(mode) || rest.length > 0 || (!takesLimit && limitArg !== undefined)) {
    process.stderr.write(TOOL_USAGE);
    return 64;
  }
  if (takesLimit && limitArg !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    process.stderr.write('ERROR: invalid limit (should be a positive number)\n\n' + TOOL_USAGE);
    return 64;
  }
  const target = parseTarget(addr);
  if (target === null) {
    process.stderr.write(`memcachedts-tool: cannot read address "${addr}"\n`);
    return 64;
  }
  let conn: TextConnection;
  try {
    conn = await TextConnection.open(target);
  } catch (e: unknown) {
    process.stderr.write(`Couldn't connect to ${addr}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 69; // EX_UNAVAILABLE
  }
  try {
    switch (mode) {
      case 'stats':
        out(renderPairs(`#${addr}`, await conn.stats('')));
        return 0;
      case 'settings':
        out(renderPairs(`#${addr}`, await conn.stats('settings')));
        return 0;
      case 'sizes':
        out(renderPairs(`#${addr} size`, await conn.stats('sizes')));
        return 0;
      case 'dump':
      case 'keys':
        return await dump(conn, target, limit, mode === 'keys', out);
      default: {
        const items = await conn.stats('items');
        const slabs = await conn.stats('slabs');
        const general = await conn.stats('');
        out(renderDisplay(items, slabs, general));
        return 0;
      }
    }
  } catch (e: unknown) {
    const message = e instanceof Error ? e.message : String(e);
    const mechanisms = message === SILENT ? await saslMechanisms(target) : null;
    if (mechanisms !== null) {
      process.stderr.write(
        `memcachedts-tool: ${addr} requires SASL authentication (-S; it offers ${mechanisms}) and ` +
          `does not answer the text protocol before it; run the tool against a listener without -S\n`,
      );
      return 77; // EX_NOPERM
    }
    process.stderr.write(`memcachedts-tool: ${message === SILENT ? 'timed out waiting for the server' : message}\n`);
    return 1;
  } finally {
    conn.close();
  }
}

/**
 * Asks the server on a new connection for its SASL mechanisms (binary SASL_LIST_MECHS, which a -S
 * server answers before authentication); null when it does not offer SASL or does not answer.
 */
function saslMechanisms(target: Target): Promise<string | null> {
  const request = Buffer.alloc(24);
  request[0] = 0x80; // request magic
  request[1] = 0x20; // SASL_LIST_MECHS
  return new Promise((resolve) => {
    const socket = 'path' in target ? net.connect(target.path) : net.connect(target.port, target.host);
    let reply = Buffer.alloc(0);
    const finish = (mechanisms: string | null): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(mechanisms);
    };
    const timer = setTimeout(() => finish(null), FIRST_REPLY_MS);
    socket.on('error', () => finish(null));
    socket.on('connect', () => socket.write(request));
    socket.on('data', (d: Buffer) => {
      reply = Buffer.concat([reply, d]);
      if (reply.length < 24) return;
      const bodyLength = reply.readUInt32BE(8);
      if (reply.length < 24 + bodyLength) return;
      const isOk = reply[0] === 0x81 && reply.readUInt16BE(6) === 0;
      finish(isOk && bodyLength > 0 ? reply.toString('latin1', 24, 24 + bodyLength) : null);
    });
  });
}
