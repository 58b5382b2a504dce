// npm run test:conformance [-- options] [files]: memcached 1.6.18's own t/ suite against
// memcachedts (or, with --target=real, against Debian's release memcached).
//
//   --target=ours|real   the server under test (default ours: bin/memcachedts.js of this checkout)
//   --memcached=PATH     the release binary for --target=real (default /usr/bin/memcached)
//   -j N                 files run at once (default 2)
//   --timeout=SECONDS    a file still running after this is killed and counts as failed (default 150)
//   --threads=N          start every server with -t N first (a file's own -t still wins; default:
//                        the server's own default)
//   -v, --verbose        show the failed checks of expected failures too (always shown for others)
//   files                t/getset.t, getset.t or getset; default every file test/conformance/files.ts runs
//
// Exits 1 when a file fails that files.ts does not expect to fail; an expected failure that
// passes is reported loudly (take it off the list) but does not fail the run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSuite } from './fetch-suite.js';
import { SUITE_FILES, type FilePlan } from './files.js';
import { failureExcerpt, killGroup, proveFile, type Outcome } from './prove-file.js';
import { makeBuildDir, type Target } from './stand-ins.js';

interface Options {
  readonly target: Target;
  readonly jobs: number;
  readonly timeoutSec: number;
  /** -t given to every server before the file's own arguments; null: none. */
  readonly threads: number | null;
  readonly files: readonly string[];
  readonly verbose: boolean;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const LIST = 'test/conformance/files.ts';
// Variables that switch MemcachedTest.pm to another server or mode: never inherited.
const FOREIGN_ENV = ['T_MEMD_USE_DAEMON', 'SSL_TEST', 'VALGRIND_TEST', 'VALGRIND_ARGS', 'VALGRIND_EXTRA_ARGS', 'MEMCACHED_PORT_FILENAME'];

function parseOptions(argv: readonly string[]): Options {
  let targetKind = 'ours';
  let memcached = '/usr/bin/memcached';
  let jobs = 2;
  let timeoutSec = 150;
  let verbose = false;
  let threads: number | null = null;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [name, inline] =
      arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : /^-j\d+$/.test(arg) ? ['-j', arg.slice(2)] // prove's -j4 spelling
      : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    if (name === '--target') targetKind = value();
    else if (name === '--memcached') memcached = value();
    else if (name === '-j' || name === '--jobs') jobs = positive(name, value());
    else if (name === '--timeout') timeoutSec = positive(name, value());
    else if (name === '--threads') threads = positive(name, value());
    else if (name === '-v' || name === '--verbose') verbose = true;
    else if (name.startsWith('-')) throw new UsageError(`unknown option ${name}`);
    else files.push(suiteName(arg));
  }
  let target: Target;
  if (targetKind === 'ours') target = { kind: 'ours', daemonJs: path.join(REPO_ROOT, 'bin', 'memcachedts.js'), threads };
  else if (targetKind === 'real') target = { kind: 'real', exe: memcached, threads };
  else throw new UsageError(`--target is ours or real, not ${targetKind}`);
  return { target, jobs, timeoutSec, threads, files, verbose };
}

class UsageError extends Error {}

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} takes a positive whole number, not ${text}`);
  return n;
}

function suiteName(arg: string): string {
  const base = path.basename(arg);
  return base.endsWith('.t') ? base : `${base}.t`;
}

/** The table must describe exactly the files the fetched suite has. */
function checkList(suiteDir: string): void {
  const present = new Set(fs.readdirSync(path.join(suiteDir, 't')).filter((f) => f.endsWith('.t')));
  const listed = new Set(Object.keys(SUITE_FILES));
  const unlisted = [...present].filter((f) => !listed.has(f));
  const missing = [...listed].filter((f) => !present.has(f));
  if (unlisted.length > 0 || missing.length > 0) {
    throw new Error(`${LIST} and the fetched suite disagree: not listed ${unlisted.join(' ') || '-'}; listed but absent ${missing.join(' ') || '-'}`);
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const opts = parseOptions(argv);
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  if (opts.target.kind === 'ours' && !fs.existsSync(path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js'))) {
    throw new UsageError('memcachedts is not built: run `npx tsc -p .` (npm run test:conformance does)');
  }
  if (opts.target.kind === 'real' && !fs.existsSync(opts.target.exe)) throw new UsageError(`no ${opts.target.exe}`);

  if (spawnSync('prove', ['--version'], { stdio: 'ignore' }).error !== undefined) throw new UsageError('no prove: install perl (Debian: apt-get install perl libio-socket-ssl-perl)');
  const suiteDir = ensureSuite(log);
  checkList(suiteDir);
  const plans = new Map<string, FilePlan>(Object.entries(SUITE_FILES));
  for (const f of opts.files) if (!plans.has(f)) throw new UsageError(`no ${f} in memcached's t/`);
  const files = opts.files.length > 0 ? opts.files : [...plans].filter(([, p]) => p.kind === 'run').map(([f]) => f);
  const leftOut = opts.files.length > 0 ? 0 : plans.size - files.length;

  const buildDir = makeBuildDir(suiteDir, opts.target);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of FOREIGN_ENV) delete env[name];
  // binary-sasl.t skips itself without it; the suite's own `make test` leaves it unset.
  env['RUN_SASL_TESTS'] = '1';
  const running = new Set<number>();
  const interrupted = (): void => {
    for (const pid of running) killGroup(pid);
    fs.rmSync(buildDir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  const targetName = opts.target.kind === 'ours' ? `memcachedts (${opts.target.daemonJs})` : `release memcached (${opts.target.exe})`;
  const threadsNote = opts.threads === null ? '' : ` with -t ${opts.threads}`;
  log(`memcached's t/ suite against ${targetName}${threadsNote}: ${files.length} files, ${opts.jobs} at a time, suite in ${suiteDir}`);
  const expectedReason = (file: string): string | undefined => {
    const plan = plans.get(file);
    if (plan === undefined || plan.kind !== 'run') return undefined;
    return opts.target.kind === 'ours' ? plan.expectedFailure : plan.failsOnRelease;
  };

  const started = Date.now();
  const outcomes: Outcome[] = [];
  const queue = [...files];
  const worker = async (): Promise<void> => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const plan = plans.get(file);
      const fileEnv = plan !== undefined && plan.kind === 'run' && plan.withTls === true ? { ...env, SSL_TEST: '1' } : env;
      const o = await proveFile(buildDir, file, opts.timeoutSec, fileEnv, running);
      outcomes.push(o);
      const expected = expectedReason(file);
      const secs = `${o.seconds.toFixed(1)}s`.padStart(7);
      const why = o.timedOut ? ` (killed after ${opts.timeoutSec}s)` : o.skipped ? ' (skipped itself: ran no test)' : '';
      if (o.passed && expected === undefined) log(`ok      ${secs}  t/${file}`);
      else if (o.passed) log(`PASSES  ${secs}  t/${file}  <-- listed as an expected failure (${expected}): take it off ${LIST}`);
      else if (expected !== undefined) log(`failed  ${secs}  t/${file}${why}  expected: ${expected}${opts.verbose ? `\n${failureExcerpt(o)}` : ''}`);
      else log(`FAILED  ${secs}  t/${file}${why}\n${failureExcerpt(o)}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.jobs, files.length) }, worker));
  fs.rmSync(buildDir, { recursive: true, force: true });

  const passed = outcomes.filter((o) => o.passed);
  const failed = outcomes.filter((o) => !o.passed);
  const unexpected = failed.filter((o) => expectedReason(o.file) === undefined).map((o) => o.file).sort();
  const nowPassing = passed.filter((o) => expectedReason(o.file) !== undefined).map((o) => o.file).sort();
  log('');
  if (nowPassing.length > 0) {
    log('!!! These files are on the expected-failures list and now PASS; take them off it in ' + LIST + ':');
    log(`!!!   ${nowPassing.join(' ')}`);
  }
  if (unexpected.length > 0) log(`Unexpected failures: ${unexpected.join(' ')}`);
  const wall = ((Date.now() - started) / 1000).toFixed(0);
  log(`${passed.length} passed, ${failed.length} failed (${failed.length - unexpected.length} expected)${leftOut > 0 ? `, ${leftOut} left out` : ''}; ${wall}s`);
  return unexpected.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // UsageError or a failed fetch: one line, no stack.
    process.stderr.write(`test:conformance: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
