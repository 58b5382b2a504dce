// memcachedts in this process, for integration tests that look inside it (its context, counters,
// -v lines). support/daemon.ts starts the bin instead; both take their ports from ports.ts.
import { startServer, type RunningServer, type ServerDeps } from '../../src/server.js';
import { makeSettings, type Settings } from '../../src/config/settings.js';
import { StderrVerboseLog } from '../../src/log/verbose.js';
import { freePort } from './ports.js';

export interface InProcessOptions {
  /** The -v lines, pushed as they are logged (default: dropped). */
  logLines?: string[];
  logLevel?: number;
  /** Dependencies other than the log (a store, an authenticator), built from the final settings. */
  deps?: (settings: Settings) => Omit<ServerDeps, 'log'>;
}

/** A server with these settings over memcached's defaults; close(graceful) stops it. */
export function startInProcess(overrides: Partial<Settings>, opts: InProcessOptions = {}): Promise<RunningServer> {
  const settings = makeSettings(overrides);
  const lines = opts.logLines;
  const log = new StderrVerboseLog(opts.logLevel ?? 0, (line) => lines?.push(line));
  return startServer(settings, { ...opts.deps?.(settings), log });
}

/** A TCP listener on 127.0.0.1:port, and on [::1]:port with v6, as `-l` would give. */
export function loopback(port: number, v6 = false): Partial<Settings> {
  return {
    port,
    listen: [{ host: '127.0.0.1', port, isIpv6: false }, ...(v6 ? [{ host: '::1', port, isIpv6: true }] : [])],
    listenSpec: v6 ? '127.0.0.1,::1' : '127.0.0.1',
  };
}

export interface LoopbackServer extends RunningServer {
  readonly port: number;
  /** Where GET /metrics is served (0 unless asked for). */
  readonly metricsPort: number;
}

export interface LoopbackOptions extends InProcessOptions {
  /** Serve GET /metrics on another free port. */
  metrics?: boolean;
}

/** A server on a free 127.0.0.1 port; the overrides apply last. */
export async function startOnLoopback(overrides: Partial<Settings> = {}, opts: LoopbackOptions = {}): Promise<LoopbackServer> {
  const port = await freePort();
  const metricsPort = opts.metrics === true ? await freePort() : 0;
  const metrics: Partial<Settings> = metricsPort !== 0 ? { metricsListen: { host: '127.0.0.1', port: metricsPort } } : {};
  const srv = await startInProcess({ ...loopback(port), ...metrics, ...overrides }, opts);
  return Object.assign(srv, { port, metricsPort });
}
