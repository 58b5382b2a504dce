// External clients the interop tests use. Under CI=true a missing one fails the run:
// nothing skips silently there. Elsewhere the test is skipped with the reason.
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import type { TestContext } from 'node:test';

export const DEBIAN_PYTHON = '/usr/bin/python3';

/**
 * A pylibmc client with SASL, run as `python3 -c SCRIPT port user password`: prints the value
 * it stored and read back, or `ERR <exception name>`.
 */
export const PYLIBMC_SASL_SCRIPT = String.raw`
import sys, pylibmc
c = pylibmc.Client(['127.0.0.1:' + sys.argv[1]], binary=True, username=sys.argv[2], password=sys.argv[3])
try:
    c.set('k', 'hello')
    print(c.get('k'))
except pylibmc.Error as e:
    print('ERR', type(e).__name__)
`;

/** True when usable; under CI throws, otherwise marks the test skipped. */
export function haveTool(t: TestContext, path: string, what = path): boolean {
  if (fs.existsSync(path)) return true;
  if (process.env.CI === 'true') throw new Error(`${what} is missing (${path}); .ci/run installs it`);
  t.skip(`${what} not installed (${path})`);
  return false;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion with a bounded time. */
export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: opts.cwd, env: { ...process.env, ...(opts.env ?? {}) } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`${cmd} timed out\n${out}\n${err}`));
    }, opts.timeoutMs ?? 60_000);
    p.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    p.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout: out, stderr: err });
    });
    // A program that exits without reading its input closes the pipe: not the test's failure.
    p.stdin.on('error', () => {});
    p.stdin.end(opts.input ?? '');
  });
}
