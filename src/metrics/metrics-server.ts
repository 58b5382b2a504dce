// -o metrics_listen wired up: the endpoint and prom-client run in a thread of their own
// (endpoint-thread.ts), off the loop that serves clients; this loop only answers the thread's
// requests for a snapshot. server.ts starts it before the cache's own listeners (so that it
// is up when they are) and stops it before them.

import { Worker } from 'node:worker_threads';
import type { ServerContext } from '../server-context.js';
import { SnapshotTaker } from './snapshot-taker.js';
import type { EndpointConfig, EndpointMessage, SnapshotReply } from './snapshot-wire.js';

export interface RunningMetrics {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

const THREAD_URL = new URL('./endpoint-thread.js', import.meta.url);

/**
 * The mechanism the server authenticates with: -S is SASL PLAIN (binary only), -Y memcached's
 * ascii token (memcached refuses to start with both).
 */
function mechanismOf(ctx: ServerContext): string | null {
  if (ctx.sasl !== null) return 'PLAIN';
  if (ctx.asciiAuth !== null) return 'ascii';
  return null;
}

/** Rejects with the listen error (its errno code kept: EADDRINUSE...) when the address cannot be bound. */
export async function startMetrics(ctx: ServerContext, host: string, port: number): Promise<RunningMetrics> {
  const taker = new SnapshotTaker(ctx);
  const config: EndpointConfig = { host, port, mechanism: mechanismOf(ctx) };
  const thread = new Worker(THREAD_URL, { workerData: config });
  const stop = async (): Promise<void> => {
    await thread.terminate();
    taker.close();
  };
  // After start a failure of the thread stops the endpoint only (scrapes fail, Prometheus sees it).
  thread.on('error', (e) => ctx.log.warn('metrics endpoint thread failed: ' + (e instanceof Error ? e.message : String(e))));
  const bound = new Promise<{ host: string; port: number }>((resolve, reject) => {
    thread.once('error', reject);
    thread.once('exit', (code) => reject(new Error(`the metrics thread exited (${code}) before listening`)));
    thread.on('message', (m: EndpointMessage) => {
      switch (m.type) {
        case 'snapshot':
          answer(thread, taker, m.spare);
          break;
        case 'listening':
          resolve(m);
          break;
        case 'failed':
          reject(Object.assign(new Error(m.message), m.code === null ? {} : { code: m.code }));
          break;
      }
    });
  });
  try {
    const address = await bound;
    thread.removeAllListeners('exit');
    return { host: address.host, port: address.port, close: stop };
  } catch (e: unknown) {
    await stop();
    throw e;
  }
}

function answer(thread: Worker, taker: SnapshotTaker, spare: ArrayBuffer | null): void {
  let reply: SnapshotReply;
  try {
    reply = taker.take(spare);
  } catch (e: unknown) {
    // A bug in reading the stats: that scrape fails visibly (HTTP 500), the cache runs on.
    reply = { error: e instanceof Error ? e.message : String(e) };
  }
  thread.postMessage(reply, 'values' in reply ? [reply.values] : []);
}
