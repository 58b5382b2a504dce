// One exchange on a fresh connection, as the differential tests make them: the input in one
// write, then everything the server sends until the replies are complete, it goes quiet, it
// closes the connection, or time is up.
import net from 'node:net';

export interface Exchange {
  out: Buffer;
  /** Why reading stopped. */
  ending: 'complete' | 'idle' | 'timeout' | 'closed' | 'reset';
}

export interface ExchangeOptions {
  /** True once out holds every reply awaited (default: never, read until idle or closed). */
  isComplete?: (out: Buffer) => boolean;
  /** Stop after this long without a byte (default: no idle limit). */
  idleMs?: number;
  /** Stop after this long in all (default 10 s). */
  timeoutMs?: number;
}

/** Rejects only on a socket error other than a reset. */
export function exchangeOnce(port: number, input: Buffer, opts: ExchangeOptions = {}): Promise<Exchange> {
  const isComplete = opts.isComplete ?? (() => false);
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    let size = 0;
    let idleTimer: NodeJS.Timeout | undefined;
    const finish = (ending: Exchange['ending']): void => {
      clearTimeout(idleTimer);
      clearTimeout(totalTimer);
      sock.destroy();
      resolve({ out: Buffer.concat(parts, size), ending });
    };
    const totalTimer = setTimeout(() => finish('timeout'), opts.timeoutMs ?? 10_000);
    const armIdle = (): void => {
      if (opts.idleMs === undefined) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => finish('idle'), opts.idleMs);
    };
    sock.on('connect', () => {
      sock.write(input);
      armIdle();
    });
    sock.on('data', (d: Buffer) => {
      parts.push(d);
      size += d.length;
      if (isComplete(Buffer.concat(parts, size))) finish('complete');
      else armIdle();
    });
    sock.on('close', () => finish('closed'));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET') finish('reset');
      else reject(e);
    });
  });
}
