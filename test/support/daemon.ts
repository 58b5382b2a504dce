// Spawns the real bin/memcachedts (or Debian's memcached) for tests, on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { nodeFlagsOf } from './node-flags.js';
import { run, type RunResult } from './tools.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = path.join(PROJECT_ROOT, 'bin/memcachedts.js');
/** The node flags bin/memcachedts.js's shebang gives: `node ...BIN_NODE_FLAGS BIN` runs it as installed. */
export const BIN_NODE_FLAGS = nodeFlagsOf(BIN);
export const MEMCACHED_BIN = '/usr/bin/memcached';
/**
 * Every daemon a test starts without its own -t gets -t TEST_THREADS (ours and memcached alike;
 * default 1), so a suite (the differential tests) can be run again at another thread count.
 */
const TEST_THREADS = process.env['TEST_THREADS'] ?? '1';

export interface Daemon {
  readonly port: number;
  readonly proc: ChildProcess;
  /** stderr text so far. */
  stderr(): string;
  stdout(): string;
  /** SIGTERM, then SIGKILL after 3 s; resolves with the exit code (or signal name). */
  stop(): Promise<number | string>;
}

export interface DaemonOptions {
  /** Extra args; `-p PORT -l 127.0.0.1 -u <user>` are added unless the args give -p/-l/-s/-u. */
  args?: string[];
  port?: number;
  env?: NodeJS.ProcessEnv;
  /** Run Debian's memcached instead of ours (differential tests). */
  memcached?: boolean;
  /** Wait for TCP to accept on 127.0.0.1:port (default true unless -s or -p 0). */
  waitTcp?: boolean;
  /** Wait for this unix socket path to accept. */
  waitUnix?: string;
}

function hasFlag(args: string[], ...names: string[]): boolean {
  return args.some((a) => names.some((n) => a === n || a.startsWith(n + '=') || (n.length === 2 && a.startsWith(n) && !a.startsWith('--'))));
}

export async function startDaemon(opts: DaemonOptions = {}): Promise<Daemon> {
  const args = [...(opts.args ?? [])];
  const port = opts.port ?? (await freePort());
  if (!hasFlag(args, '-p', '--port') && !hasFlag(args, '-s', '--unix-socket')) args.push('-p', String(port));
  if (!hasFlag(args, '-l', '--listen') && !hasFlag(args, '-s', '--unix-socket')) args.push('-l', '127.0.0.1');
  if (!hasFlag(args, '-u', '--user') && process.getuid?.() === 0) args.push('-u', 'root');
  // memcached gets the same -t, so that differential tests compare like with like.
  if (!hasFlag(args, '-t', '--threads')) args.push('-t', TEST_THREADS);
  const cmd = opts.memcached ? MEMCACHED_BIN : process.execPath;
  const argv = opts.memcached ? args : [...BIN_NODE_FLAGS, BIN, ...args];
  const proc = spawn(cmd, argv, { env: { ...process.env, ...(opts.env ?? {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString('latin1')));
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString('latin1')));
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  const daemon: Daemon = {
    port,
    proc,
    stderr: () => err,
    stdout: () => out,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
        const r = await exited;
        clearTimeout(t);
        return r;
      }
      return exited;
    },
  };
  const usesSocket = hasFlag(args, '-s', '--unix-socket');
  const tcpOff = args.includes('0') && args[args.indexOf('0') - 1] === '-p';
  const waitTcp = opts.waitTcp ?? (!usesSocket && !tcpOff);
  if (opts.waitUnix !== undefined) await waitAccepting(proc, { path: opts.waitUnix }, daemon.stderr, 10_000);
  else if (waitTcp) await waitAccepting(proc, { port, host: '127.0.0.1' }, daemon.stderr, 10_000);
  return daemon;
}

/** body with a daemon started with opts, stopped afterwards whatever body does. */
export async function withDaemon(opts: DaemonOptions, body: (d: Daemon) => Promise<void>): Promise<void> {
  const d = await startDaemon(opts);
  try {
    await body(d);
  } finally {
    await d.stop();
  }
}

/** Resolves once target accepts a connection; throws if proc exits first, or kills it after ms. */
export async function waitAccepting(proc: ChildProcess, target: net.NetConnectOpts, stderr: () => string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`exited (${proc.exitCode ?? proc.signalCode}): ${stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(target);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`not accepting connections after ${ms} ms: ${stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Exit code and output of a run that is expected to end by itself (bad flags, -h, -V). */
export function runToExit(args: string[], env?: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<RunResult> {
  return run(process.execPath, [...BIN_NODE_FLAGS, BIN, ...args], { ...(env !== undefined ? { env } : {}), timeoutMs });
}
