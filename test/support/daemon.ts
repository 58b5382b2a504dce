// Spawns the real bin/memcachedts (or Debian's memcached) for tests, on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = path.join(PROJECT_ROOT, 'bin/memcachedts.js');
export const MEMCACHED_BIN = '/usr/bin/memcached';

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
  const cmd = opts.memcached ? MEMCACHED_BIN : process.execPath;
  const argv = opts.memcached ? args : [BIN, ...args];
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
  const deadline = Date.now() + 10_000;
  const target = opts.waitUnix ?? (waitTcp ? null : undefined);
  if (target !== undefined) {
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`daemon exited ${proc.exitCode}: ${err}`);
      const ok = await new Promise<boolean>((resolve) => {
        const s = target === null ? net.connect(port, '127.0.0.1') : net.connect(target);
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (ok) break;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`daemon did not start listening: ${err}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return daemon;
}

/** Exit code and output of a run that is expected to end by itself (bad flags, -h, -V). */
export function runToExit(args: string[], env?: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...(env ?? {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`timed out: ${args.join(' ')}\n${err}`));
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout: out, stderr: err });
    });
  });
}

/** Starts a daemon, runs fn with it and stops it, whatever fn does. */
export async function withDaemon(opts: DaemonOptions, fn: (d: Daemon) => Promise<void>): Promise<void> {
  const d = await startDaemon(opts);
  try {
    await fn(d);
  } finally {
    await d.stop();
  }
}
