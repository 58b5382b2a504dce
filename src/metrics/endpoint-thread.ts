// The metrics thread (node:worker_threads), started by metrics-server.ts: it binds the endpoint,
// says whether that worked, then serves scrapes, asking the serving loop for one snapshot per
// rendering. Nothing else of the server runs or is loaded here.

import { parentPort, workerData } from 'node:worker_threads';
import { MetricsCollector } from './collector.js';
import { listenMetrics } from './http-endpoint.js';
import type { EndpointConfig, EndpointMessage, SnapshotMessage, SnapshotReply } from './snapshot-wire.js';

const serving = parentPort!;
const config = workerData as EndpointConfig;

/** The one snapshot asked for and not yet answered (the collector asks for one at a time). */
let waiting: { resolve(m: SnapshotMessage): void; reject(e: Error): void } | null = null;

serving.on('message', (reply: SnapshotReply) => {
  const w = waiting;
  waiting = null;
  if (w === null) return;
  if ('error' in reply) w.reject(new Error(reply.error));
  else w.resolve(reply);
});

function tell(message: EndpointMessage, transfer: ArrayBuffer[] = []): void {
  serving.postMessage(message, transfer);
}

function askSnapshot(spare: ArrayBuffer | null): Promise<SnapshotMessage> {
  return new Promise((resolve, reject) => {
    waiting = { resolve, reject };
    tell({ type: 'snapshot', spare }, spare === null ? [] : [spare]);
  });
}

async function start(): Promise<void> {
  try {
    const collector = await MetricsCollector.create(askSnapshot, config.mechanism);
    const endpoint = await listenMetrics(collector, config.host, config.port);
    tell({ type: 'listening', host: endpoint.host, port: endpoint.port });
  } catch (e: unknown) {
    const code = (e as NodeJS.ErrnoException).code;
    tell({ type: 'failed', code: typeof code === 'string' ? code : null, message: e instanceof Error ? e.message : String(e) });
  }
}

void start();
