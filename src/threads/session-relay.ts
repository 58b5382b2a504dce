// -o ssl_session_cache with -t N: a serving thread's view of the server's one TLS session cache,
// which the main thread holds (net/tls-sessions.ts SessionCache, as memcached's one SSL_CTX
// holds one cache for every worker). Sessions are sent to main as OpenSSL makes them; a
// resumption asks main and answers Node's 'resumeSession' when main replies.

import type { MessagePort } from 'node:worker_threads';
import type { SessionStore } from '../net/tls-sessions.js';
import type { HostOrder, WorkerReport } from './messages.js';

export class SessionRelay implements SessionStore {
  private readonly port: MessagePort;
  private readonly waiting = new Map<number, (data: Buffer | null) => void>();
  private nextRequest = 1;

  constructor(port: MessagePort) {
    this.port = port;
    port.on('message', (order: HostOrder) => {
      if (order.type !== 'tls-session-found') return;
      const answer = this.waiting.get(order.request);
      if (answer === undefined) return;
      this.waiting.delete(order.request);
      answer(order.data === null ? null : Buffer.from(order.data.buffer, order.data.byteOffset, order.data.byteLength));
    });
  }

  save(id: Buffer, data: Buffer): void {
    // Copies of exactly these bytes (posting a Buffer would copy the whole memory under it).
    this.report({ type: 'tls-session-save', id: new Uint8Array(id), data: new Uint8Array(data) });
  }

  find(id: Buffer, answer: (data: Buffer | null) => void): void {
    const request = this.nextRequest++;
    this.waiting.set(request, answer);
    this.report({ type: 'tls-session-find', request, id: new Uint8Array(id) });
  }

  private report(r: WorkerReport): void {
    this.port.postMessage(r);
  }
}
