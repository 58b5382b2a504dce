// -o metrics_listen wired up: one collector for the server's context behind one HTTP endpoint.
// server.ts starts it after the cache's own listeners and stops it before them.

import type { ServerContext } from '../server-context.js';
import { MetricsCollector } from './collector.js';
import { listenMetrics } from './http-endpoint.js';

export interface RunningMetrics {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Rejects with the listen error (EADDRINUSE...) when the address cannot be bound. */
export async function startMetrics(ctx: ServerContext, host: string, port: number): Promise<RunningMetrics> {
  const collector = new MetricsCollector(ctx);
  try {
    const endpoint = await listenMetrics(collector, host, port);
    return {
      host: endpoint.host,
      port: endpoint.port,
      close: async () => {
        await endpoint.close();
        collector.close();
      },
    };
  } catch (e: unknown) {
    collector.close();
    throw e;
  }
}
