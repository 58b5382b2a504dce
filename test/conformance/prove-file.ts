// Runs one file of memcached's t/ suite with `prove -v` in the build directory, in a process
// group of its own, and reports how it went.
import { spawn } from 'node:child_process';

const OUTPUT_TAIL_LINES = 20;
const OUTPUT_FAILURE_LINES = 60;

export interface Outcome {
  readonly file: string;
  readonly passed: boolean;
  readonly timedOut: boolean;
  /** The file ran no test (plan skip_all): counted as failed, a run file must run. */
  readonly skipped: boolean;
  readonly seconds: number;
  readonly output: string;
}

/** `running` holds the process groups of files in progress, for the caller to end on Ctrl-C. */
export function proveFile(buildDir: string, file: string, timeoutSec: number, env: NodeJS.ProcessEnv, running: Set<number>): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    // Its own process group, so a timeout ends prove, perl and every server the file started.
    const child = spawn('prove', ['-v', `t/${file}`], { cwd: buildDir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = child.pid ?? 0;
    running.add(pid);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => chunks.push(b));
    child.stderr.on('data', (b: Buffer) => chunks.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(pid);
    }, timeoutSec * 1000);
    // A server a file left behind still sits in the group, holding prove's output pipes open:
    // end it with the file, and count the file done when the pipes close.
    let code: number | null = null;
    child.on('exit', (status) => {
      code = status;
      killGroup(pid);
    });
    child.on('close', () => {
      clearTimeout(timer);
      running.delete(pid);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const output = Buffer.concat(chunks).toString('utf8');
      const skipped = /^Result: NOTESTS$/m.test(output) || /^t\/\S+ \.+ skipped:/m.test(output);
      resolve({ file, passed: code === 0 && !timedOut && !skipped, timedOut, skipped, seconds, output });
    });
    child.on('error', (e) => chunks.push(Buffer.from(`could not start prove: ${e.message}\n`)));
  });
}

export function killGroup(pid: number): void {
  // pid 0 (spawn failed) would mean our own process group.
  if (pid <= 0) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}

/** The failed checks with their diagnostics (prove -v output), then prove's summary. */
export function failureExcerpt(text: string): string {
  const lines = text.trimEnd().split('\n');
  const picked: string[] = [];
  let inFailure = false;
  for (const line of lines) {
    // Test::More's diagnostics come on stderr, so they need not follow their `not ok` line.
    if (/^\s*not ok\b|^#\s+Failed test\b|^# Looks like/.test(line)) inFailure = true;
    else if (!/^\s*#/.test(line)) inFailure = false;
    if (inFailure && picked.length < OUTPUT_FAILURE_LINES) picked.push(line);
  }
  const summaryAt = lines.findIndex((l) => /^Test Summary Report|^Files=\d+/.test(l));
  const rest = summaryAt >= 0 ? lines.slice(summaryAt) : lines.slice(-OUTPUT_TAIL_LINES);
  return [...picked, ...rest].map((l) => `        ${l}`).join('\n');
}
