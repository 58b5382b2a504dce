// A raw socket client for byte-exact protocol tests (MemcachedTest.pm's sock/mem_get_is shape).
import net from 'node:net';
import tls from 'node:tls';

/** The `STAT <name> <value>` lines of a stats reply as name -> value (the rest of the line). */
export function parseStats(reply: string): Map<string, string> {
  const stats = new Map<string, string>();
  for (const line of reply.split('\r\n')) {
    const m = /^STAT (\S+) (.*)$/.exec(line);
    if (m !== null) stats.set(m[1]!, m[2]!);
  }
  return stats;
}

export class RawClient {
  readonly socket: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return RawClient.connectTo({ port, host });
  }

  static connectTo(opts: net.NetConnectOpts): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(opts);
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** A TLS client (resolves once the handshake is done; rejects if it fails). */
  static connectTls(opts: tls.ConnectionOptions): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = tls.connect(opts);
      s.once('secureConnect', () => resolve(new RawClient(s)));
      s.once('error', reject);
      s.once('close', () => reject(new Error('closed during the TLS handshake')));
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private waitMore(deadline: number): Promise<boolean> {
    const left = deadline - Date.now();
    if (left <= 0 || this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), left);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  send(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Reads exactly n bytes (rejects on timeout or close). */
  async read(n: number, timeoutMs = 3000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (!(await this.waitMore(deadline)) && this.buf.length < n) {
        throw new Error(`wanted ${n} bytes, have ${JSON.stringify(this.buf.toString('latin1'))}${this.closed ? ' (closed)' : ''}`);
      }
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Reads one line including \r\n, returned without it. */
  async line(timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.buf.indexOf(10);
      if (i >= 0) {
        const text = this.buf.toString('latin1', 0, i + 1);
        this.buf = this.buf.subarray(i + 1);
        return text.endsWith('\r\n') ? text.slice(0, -2) : text.slice(0, -1);
      }
      if (!(await this.waitMore(deadline))) {
        throw new Error(`no line; have ${JSON.stringify(this.buf.toString('latin1'))}${this.closed ? ' (closed)' : ''}`);
      }
    }
  }

  /** Sends a request and returns the reply text up to and including a line equal to `last`. */
  async request(data: string | Buffer, last = 'END', timeoutMs = 3000): Promise<string> {
    this.send(data);
    let out = '';
    for (;;) {
      const l = await this.line(timeoutMs);
      out += l + '\r\n';
      if (l === last || l === 'ERROR' || l.startsWith('CLIENT_ERROR') || l.startsWith('SERVER_ERROR')) return out;
    }
  }

  /** `stats [group]` as name -> value. */
  async stats(group = ''): Promise<Map<string, string>> {
    return parseStats(await this.request(group === '' ? 'stats\r\n' : `stats ${group}\r\n`));
  }

  /** Everything that arrives within ms (for "no reply" assertions and byte comparisons). */
  async drain(ms = 200): Promise<Buffer> {
    const deadline = Date.now() + ms;
    while (await this.waitMore(deadline)) {
      /* keep collecting */
    }
    const out = this.buf;
    this.buf = Buffer.alloc(0);
    return out;
  }

  /** Resolves true if the server closes the connection within ms. */
  async closedWithin(ms = 1000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && (await this.waitMore(deadline))) {
      /* wait */
    }
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}
