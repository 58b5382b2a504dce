// Runs one file of memcached's t/ suite with `prove -v` in the build directory, in a process
// group of its own, and reports how it went.
import { spawn } from 'node:child_process';

const OUTPUT_TAIL_LINES = 20;
const OUTPUT_ERROR_LINES = 60;

export interface Outcome {
  readonly file: string;
  readonly passed: boolean;
  readonly timedOut: boolean;
  /** The file ran no test (plan skip_all): counted as failed, a run file must run. */
  readonly skipped: boolean;
  readonly seconds: number;
  /** prove's stdout: the TAP stream and its summary. */
  readonly output: string;
  /** The file's stderr: Test::More's diagnostics, perl's die messages, server output. */
  readonly errors: string;
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
    const errChunks: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => chunks.push(b));
    child.stderr.on('data', (b: Buffer) => errChunks.push(b));
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
      const errors = Buffer.concat(errChunks).toString('utf8');
      resolve({ file, passed: code === 0 && !timedOut && !skipped, timedOut, skipped, seconds, output, errors });
    });
    child.on('error', (e) => errChunks.push(Buffer.from(`could not start prove: ${e.message}\n`)));
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

/** What the file said on stderr (diagnostics, a die message), its failed checks, prove's summary. */
export function failureExcerpt(o: Outcome): string {
  const errors = o.errors.trimEnd().split('\n').filter((l) => l !== '');
  const shownErrors = errors.length > OUTPUT_ERROR_LINES ? [...errors.slice(0, OUTPUT_ERROR_LINES), `... ${errors.length - OUTPUT_ERROR_LINES} more lines`] : errors;
  const lines = o.output.trimEnd().split('\n');
  const failedChecks = lines.filter((l) => /^\s*not ok\b/.test(l)).slice(0, OUTPUT_ERROR_LINES);
  const summaryAt = lines.findIndex((l) => /^Test Summary Report|^Files=\d+/.test(l));
  const summary = summaryAt >= 0 ? lines.slice(summaryAt) : lines.slice(-OUTPUT_TAIL_LINES);
  return [...shownErrors, ...failedChecks, ...summary].map((l) => `        ${l}`).join('\n');
}
